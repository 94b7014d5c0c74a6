package gokeops

import (
	"math"
	"strings"
	"testing"
	"unsafe"
)

// TestPartialExports runs an ArgKMin through the exported functions: the
// states of two halves of j (the second with its offset), merged and
// finished, give the indices of Run; bad buffers are errors.
func TestPartialExports(t *testing.T) {
	h, err := Compile("SqDist(x,y)", "x=Vi(1)\ny=Vj(1)", "ArgKMin", 1, 3, "", "auto", "auto")
	if err != nil {
		t.Fatal(err)
	}
	n, err := StateLen(h)
	if err != nil || n != 6 {
		t.Fatalf("StateLen = %d, %v; want 6", n, err)
	}
	x := []float64{0, 10}
	y := make([]float64, 600)
	for j := range y {
		y[j] = math.Mod(float64(j)*7.3, 20)
	}
	addr := func(p unsafe.Pointer) int64 { return int64(uintptr(p)) }
	desc := func(ys []float64, vals []int64) []int64 {
		d := []int64{DescriptorVersion, 1, 2, int64(len(ys)), 0, 2, addr(unsafe.Pointer(&x[0])), 2, addr(unsafe.Pointer(&ys[0])), int64(len(ys)), 0, 0, 0, 0, 0}
		if vals != nil {
			d[12], d[13] = addr(unsafe.Pointer(&vals[0])), int64(len(vals))
		}
		return d
	}
	want := make([]int64, 6)
	d := desc(y, want)
	if _, err := Run(h, Float64, uintptr(unsafe.Pointer(&d[0])), len(d)); err != nil {
		t.Fatal(err)
	}
	states := [2][]float64{make([]float64, 12), make([]float64, 12)}
	for p, cut := range [][2]int{{0, 256}, {256, 600}} {
		d := desc(y[cut[0]:cut[1]], nil)
		if _, err := RunPartial(h, Float64, uintptr(unsafe.Pointer(&d[0])), len(d), uintptr(unsafe.Pointer(&states[p][0])), 12, cut[0]); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := MergeStates(h, Float64, uintptr(unsafe.Pointer(&states[0][0])), uintptr(unsafe.Pointer(&states[1][0])), 12); err != nil {
		t.Fatal(err)
	}
	got := make([]int64, 6)
	if _, err := FinishStates(h, Float64, uintptr(unsafe.Pointer(&states[0][0])), 12, 0, 0, uintptr(unsafe.Pointer(&got[0])), 6); err != nil {
		t.Fatal(err)
	}
	for k := range want {
		if got[k] != want[k] {
			t.Fatalf("indices %v, Run gives %v", got, want)
		}
	}
	d = desc(y, nil)
	if _, err := RunPartial(h, Float64, uintptr(unsafe.Pointer(&d[0])), len(d), uintptr(unsafe.Pointer(&states[0][0])), 11, 0); err == nil || !strings.HasPrefix(err.Error(), "ValueError: ") {
		t.Errorf("a state of 11 values: got %v, want a ValueError", err)
	}
	if _, err := MergeStates(h, 7, uintptr(unsafe.Pointer(&states[0][0])), uintptr(unsafe.Pointer(&states[1][0])), 12); err == nil || !strings.HasPrefix(err.Error(), "TypeError: ") {
		t.Errorf("dtype code 7: got %v, want a TypeError", err)
	}
	if _, err := FinishStates(h, Float64, 0, 12, 0, 0, 0, 0); err == nil {
		t.Error("a nil state buffer: no error")
	}
}
