// Package gokeops is the only package exported to CPython (with gopy). It is
// deliberately small and flat: only integers, floats, strings and booleans
// cross the boundary.
//
// A reduction is compiled once by [Compile] into a kernel handle (an int64
// into the kernel registry, see registry.go), held until [Release]: the
// registry owns every kernel's lifetime, keeping the held ones and the
// RegistrySize most recently released. [Run] executes a
// handle on NumPy buffers passed as raw addresses inside a descriptor (an
// int64 array, see run.go); every length is checked before any memory is
// viewed, and nothing keeps an address once the call returns.
//
// The facts of the API that the Python layer checks arguments against are
// exported too, so that it states none of them itself (tables.go): the
// reductions table and the option values as one JSON document read at
// import ([Tables]), the option check of a reduction ([CheckOptions]), the
// alias parser ([ParseAlias]) and the dimension rules of the op table
// ([FormulaDim]).
//
// Every exported function returns (T, error) and starts with
// `defer guard(&err)`: a Go panic becomes an error and never reaches
// CPython, and every error's message starts with the Python exception that
// its errkind kind maps to ("ValueError: ...", see guard.go), which
// pykeops_go/common/engine.py raises.
package gokeops
