package gokeops

import (
	"runtime"
	"testing"
	"unsafe"
)

// BenchmarkRunSmall is the W6 call (M = N = 10) through the exported Run.
func BenchmarkRunSmall(b *testing.B) {
	h, err := Compile("Exp(-SqDist(x,y))*b", "x=Vi(3)\ny=Vj(3)\nb=Vj(1)", "Sum", 1, 0, "", "auto", "auto")
	if err != nil {
		b.Fatal(err)
	}
	x, y, w, out := heapFloats(30), heapFloats(30), heapFloats(10), heapFloats(10)
	desc := w1Descriptor(x, y, w, out)
	for i := 0; i < b.N; i++ {
		if _, err := Run(h, Float64, uintptr(unsafe.Pointer(&desc[0])), len(desc)); err != nil {
			b.Fatal(err)
		}
	}
	// desc holds the buffers' addresses as integers, which keep nothing alive.
	runtime.KeepAlive([][]float64{x, y, w, out})
}
