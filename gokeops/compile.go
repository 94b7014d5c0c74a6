package gokeops

import (
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/gokeops/gokeops/pkg/core"
	"github.com/gokeops/gokeops/pkg/errkind"
	"github.com/gokeops/gokeops/pkg/formula"
)

// Version is the version of the engine.
func Version() (v string, err error) {
	defer guard(&err)
	return "0.1.0", nil
}

// Compile compiles a reduction and returns its kernel handle, held once by
// the caller until Release. aliases are separated by newlines. Compiling
// the same arguments again, while the kernel is held or among the
// registry's recently released ones, returns the same handle without
// compiling (see registry.go).
func Compile(formulaSrc, aliases, reduction string, axis, optArg int, formula2, dtypeAcc, sumScheme string) (h int64, err error) {
	defer guard(&err)
	key := strings.Join([]string{formulaSrc, aliases, reduction, strconv.Itoa(axis), strconv.Itoa(optArg), formula2, dtypeAcc, sumScheme}, "\x00")
	if h, ok := kernels.hold(key); ok {
		return h, nil
	}
	var al []string
	if aliases != "" {
		al = strings.Split(aliases, "\n")
	}
	k, err := core.Compile(core.Spec{Formula: formulaSrc, Aliases: al, Reduction: reduction, Axis: axis,
		OptArg: optArg, Formula2: formula2, DtypeAcc: dtypeAcc, SumScheme: sumScheme})
	if err != nil {
		return 0, err
	}
	return kernels.add(key, k), nil
}

// Release gives back one hold on kernel h (taken by Compile). A kernel
// nobody holds stays in the registry among the RegistrySize most recently
// released ones, then is dropped; its handle is then unknown.
func Release(h int64) (ok bool, err error) {
	defer guard(&err)
	return true, kernels.release(h)
}

// Kernels is the number of kernels in the registry: those held plus at most
// RegistrySize released ones.
func Kernels() (n int, err error) {
	defer guard(&err)
	return kernels.len(), nil
}

// Describe returns a JSON description of a kernel: its arguments (category
// and dimension), output dimensions and reduction.
func Describe(h int64) (s string, err error) {
	defer guard(&err)
	k, err := kernels.lookup(h)
	if err != nil {
		return "", err
	}
	return k.Describe(), nil
}

// threads is the number of goroutines a call uses; 0 means GOMAXPROCS.
var threads atomic.Int64

// SetThreads sets the number of goroutines used by each call (0: one per
// core) and returns the previous setting.
func SetThreads(n int) (prev int, err error) {
	defer guard(&err)
	if n < 0 {
		return 0, errkind.Errorf(errkind.BadValue, "the number of threads must be >= 0, got %d", n)
	}
	return int(threads.Swap(int64(n))), nil
}

// Threads is the number of goroutines a call will use.
func Threads() (n int, err error) {
	defer guard(&err)
	if t := threads.Load(); t > 0 {
		return int(t), nil
	}
	return runtime.GOMAXPROCS(0), nil
}

// OpNames lists the operations of the formula language, one per line.
func OpNames() (s string, err error) {
	defer guard(&err)
	return strings.Join(formula.OpNames(), "\n"), nil
}

// ElementwiseMethods lists the LazyTensor methods that the op table derives
// (x.exp() is Exp(x)), one per line: the op, the method name and what it
// computes, separated by tabs.
func ElementwiseMethods() (s string, err error) {
	defer guard(&err)
	var b strings.Builder
	for _, m := range formula.ElementwiseMethods() {
		b.WriteString(m.Op + "\t" + m.Name + "\t" + m.About + "\n")
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}
