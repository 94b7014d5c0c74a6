package gokeops

import (
	"testing"
	"unsafe"
)

// BenchmarkRunSmall is the W6 call (M = N = 10) through the exported Run.
func BenchmarkRunSmall(b *testing.B) {
	h, err := Compile("Exp(-SqDist(x,y))*b", "x=Vi(3)\ny=Vj(3)\nb=Vj(1)", "Sum", 1, 0, "", "auto", "auto")
	if err != nil {
		b.Fatal(err)
	}
	x, y, w, out := make([]float64, 30), make([]float64, 30), make([]float64, 10), make([]float64, 10)
	addr := func(s []float64) int64 { return int64(uintptr(unsafe.Pointer(&s[0]))) }
	desc := []int64{1, 10, 10, 0, 3, addr(x), 30, addr(y), 30, addr(w), 10, addr(out), 10, 0, 0, 0}
	for i := 0; i < b.N; i++ {
		if _, err := Run(h, Float64, uintptr(unsafe.Pointer(&desc[0])), len(desc)); err != nil {
			b.Fatal(err)
		}
	}
}
