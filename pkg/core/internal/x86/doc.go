// Package x86 writes and runs the x86-64 machine code of pkg/core's
// compiled pair loops: an encoder for the AVX2/FMA and general-purpose
// instructions those loops use (asm.go), executable memory (exec_*.go) and
// the call into it (call_amd64.s).
//
// The encoder knows only the forms the loops need: 256-bit VEX
// instructions on ymm registers with a register or memory last operand,
// and a few 64-bit integer instructions for addresses and loop counters.
// Code written here obeys Go's ABI0 when called through Call: it leaves
// SP and BP as found, never touches R14 and R15, and ends with VZEROUPPER.
package x86
