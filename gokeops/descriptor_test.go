package gokeops

import (
	"strings"
	"testing"
	"unsafe"
)

func addr(s []float64) int64 { return int64(uintptr(unsafe.Pointer(&s[0]))) }

// heapFloats allocates on the heap, where values never move: a descriptor
// keeps addresses as integers, which would not follow a stack that grows.
//
//go:noinline
func heapFloats(n int) []float64 { return make([]float64, n) }

// w1Descriptor is the descriptor of a W1 call with M = N = 10 on x, y, w,
// written from the layout constants.
func w1Descriptor(x, y, w, out []float64) []int64 {
	desc := make([]int64, HeaderWords)
	desc[WordVersion], desc[WordToken], desc[WordM], desc[WordN], desc[WordNBatch] = DescriptorVersion, 7, 10, 10, 0
	desc = append(desc, 3)
	for _, a := range [][]float64{x, y, w} {
		desc = append(desc, addr(a), int64(len(a)))
	}
	desc = append(desc, addr(out), int64(len(out)), 0, 0) // OutWords
	return append(desc, 0)                                // no ranges
}

func TestDescriptorVersion(t *testing.T) {
	h, err := Compile("Exp(-SqDist(x,y))*b", "x=Vi(3)\ny=Vj(3)\nb=Vj(1)", "Sum", 1, 0, "", "auto", "auto")
	if err != nil {
		t.Fatal(err)
	}
	defer Release(h)
	x, y, w, out := heapFloats(30), heapFloats(30), heapFloats(10), heapFloats(10)
	for i := range w {
		w[i] = 1
	}
	desc := w1Descriptor(x, y, w, out)
	if _, err := Run(h, Float64, uintptr(unsafe.Pointer(&desc[0])), len(desc)); err != nil {
		t.Fatal(err)
	}
	if out[0] != 10 { // x = y = 0: ten terms exp(0) * 1
		t.Fatalf("out[0] = %v, want 10", out[0])
	}
	desc[WordVersion] = DescriptorVersion + 1
	_, err = Run(h, Float64, uintptr(unsafe.Pointer(&desc[0])), len(desc))
	if err == nil || !strings.HasPrefix(err.Error(), "ValueError: call descriptor version 2, expected 1") {
		t.Fatalf("a descriptor of another version gave %v", err)
	}
}
