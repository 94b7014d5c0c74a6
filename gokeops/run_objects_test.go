package gokeops

import (
	"math"
	"runtime"
	"strings"
	"testing"
	"unsafe"
)

// objectOffset is the byte offset of the buffer address in the objects of
// these tests: two header words, then the address, as in a NumPy array.
const objectOffset = 16

// object is an object holding the address of s at objectOffset.
func object(s []float64) []int64 {
	o := make([]int64, 4)
	o[objectOffset/8] = addr(s)
	return o
}

func objAddr(o []int64) int64 { return int64(uintptr(unsafe.Pointer(&o[0]))) }

// objectsDescriptor is w1Descriptor with the addresses of objects holding
// the buffers, and token 0 (a call that cannot be cancelled).
func objectsDescriptor(x, y, w, out []float64) (desc []int64, objs [][]int64) {
	desc = w1Descriptor(x, y, w, out)
	desc[WordToken] = 0
	objs = [][]int64{object(x), object(y), object(w), object(out)}
	for i, pos := range []int{HeaderWords + 1, HeaderWords + 3, HeaderWords + 5, HeaderWords + 7} {
		desc[pos] = objAddr(objs[i])
	}
	return desc, objs
}

func TestRunObjects(t *testing.T) {
	h, err := Compile("Exp(-SqDist(x,y))*b", "x=Vi(3)\ny=Vj(3)\nb=Vj(1)", "Sum", 1, 0, "", "auto", "auto")
	if err != nil {
		t.Fatal(err)
	}
	defer Release(h)
	x, y, w := heapFloats(30), heapFloats(30), heapFloats(10)
	for i := range x {
		x[i], y[i] = math.Sin(float64(i)), math.Cos(float64(i))
	}
	for j := range w {
		w[j] = float64(j + 1)
	}
	direct, byObject := heapFloats(10), heapFloats(10)
	desc := w1Descriptor(x, y, w, direct)
	if _, err := Run(h, Float64, uintptr(unsafe.Pointer(&desc[0])), len(desc)); err != nil {
		t.Fatal(err)
	}
	odesc, objs := objectsDescriptor(x, y, w, byObject)
	if _, err := RunObjects(h, Float64, uintptr(unsafe.Pointer(&odesc[0])), len(odesc), objectOffset); err != nil {
		t.Fatal(err)
	}
	for i := range direct {
		// The Go reference of the same sum, in the same order.
		want := 0.0
		for j := 0; j < 10; j++ {
			d2 := 0.0
			for k := 0; k < 3; k++ {
				d := x[3*i+k] - y[3*j+k]
				d2 += d * d
			}
			want += math.Exp(-d2) * w[j]
		}
		if byObject[i] != direct[i] || math.Abs(direct[i]-want) > 1e-12*math.Max(1, math.Abs(want)) {
			t.Fatalf("row %d: by object %v, by address %v, want %v", i, byObject[i], direct[i], want)
		}
	}
	for _, off := range []int{0, -8, 12, maxDataOffset + 8} {
		_, err := RunObjects(h, Float64, uintptr(unsafe.Pointer(&odesc[0])), len(odesc), off)
		if err == nil || !strings.HasPrefix(err.Error(), "ValueError: data offset") {
			t.Errorf("data offset %d gave %v", off, err)
		}
	}
	// An object at a null or misaligned address is refused, naming the buffer.
	for _, bad := range []int64{0, objAddr(objs[1]) + 1} {
		odesc[HeaderWords+3] = bad
		_, err := RunObjects(h, Float64, uintptr(unsafe.Pointer(&odesc[0])), len(odesc), objectOffset)
		if err == nil || !strings.Contains(err.Error(), "argument 1: invalid object address") {
			t.Errorf("object address %#x gave %v", bad, err)
		}
	}
	odesc[HeaderWords+3] = objAddr(objs[1])
	odesc[HeaderWords+7] = 0 // the values output
	_, err = RunObjects(h, Float64, uintptr(unsafe.Pointer(&odesc[0])), len(odesc), objectOffset)
	if err == nil || !strings.Contains(err.Error(), "values output: invalid object address 0x0") {
		t.Errorf("a null values object gave %v", err)
	}
	odesc[HeaderWords+7] = objAddr(objs[3])
	// An object holding a null buffer address is refused as such a buffer is.
	odesc[HeaderWords+3] = objAddr(objs[1])
	objs[1][objectOffset/8] = 0
	_, err = RunObjects(h, Float64, uintptr(unsafe.Pointer(&odesc[0])), len(odesc), objectOffset)
	if err == nil || !strings.Contains(err.Error(), "argument 1: invalid buffer") {
		t.Errorf("a null buffer gave %v", err)
	}
	runtime.KeepAlive(objs)
	runtime.KeepAlive([][]float64{x, y, w, direct, byObject})
}

// BenchmarkRunObjectsSmall is the W6 call (M = N = 10) as the Python layer
// makes it: through RunObjects, with token 0.
func BenchmarkRunObjectsSmall(b *testing.B) {
	h, err := Compile("Exp(-SqDist(x,y))*b", "x=Vi(3)\ny=Vj(3)\nb=Vj(1)", "Sum", 1, 0, "", "auto", "auto")
	if err != nil {
		b.Fatal(err)
	}
	x, y, w, out := heapFloats(30), heapFloats(30), heapFloats(10), heapFloats(10)
	desc, objs := objectsDescriptor(x, y, w, out)
	for i := 0; i < b.N; i++ {
		if _, err := RunObjects(h, Float64, uintptr(unsafe.Pointer(&desc[0])), len(desc), objectOffset); err != nil {
			b.Fatal(err)
		}
	}
	runtime.KeepAlive(objs)
	runtime.KeepAlive([][]float64{x, y, w, out})
}
