package gokeops

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
)

func compileW1(t testing.TB, c float64) int64 {
	h, err := Compile(fmt.Sprintf("Exp(-SqDist(x,y)*%v)*b", c), "x=Vi(3)\ny=Vj(3)\nb=Vj(1)", "Sum", 1, 0, "", "auto", "auto")
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func heapBytes() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// TestRegistryFlat creates 100,000 distinct formulas, each compiled and
// released as a program building LazyTensors with changing constants does: the registry stays at RegistrySize kernels and the Go heap flat.
func TestRegistryFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles 100,000 formulas")
	}
	const total, warm = 100_000, 2 * RegistrySize
	before := kernels.len()
	var heapWarm uint64
	for i := range total {
		h := compileW1(t, 1+float64(i)*1e-6)
		if _, err := Release(h); err != nil {
			t.Fatal(err)
		}
		if i == warm {
			heapWarm = heapBytes()
		}
	}
	heapEnd := heapBytes()
	if n := kernels.len(); n > before+RegistrySize {
		t.Fatalf("registry holds %d kernels after %d formulas, want at most %d", n, total, before+RegistrySize)
	}
	t.Logf("Go heap after %d formulas: %.1f MB, after %d: %.1f MB", warm, float64(heapWarm)/1e6, total, float64(heapEnd)/1e6)
	if heapEnd > heapWarm+8<<20 {
		t.Fatalf("Go heap grew from %d to %d bytes between %d and %d formulas", heapWarm, heapEnd, warm, total)
	}
}

// TestRegistryHolds checks the lifetime rules: a held kernel survives any
// number of other formulas, the same key gives the same handle, releasing
// more often than compiling fails, and a kernel dropped from the registry
// is an unknown handle.
func TestRegistryHolds(t *testing.T) {
	held := compileW1(t, -1)
	if again := compileW1(t, -1); again != held {
		t.Fatalf("the same formula compiled twice gave handles %d and %d", held, again)
	}
	if _, err := Release(held); err != nil { // one hold left
		t.Fatal(err)
	}
	first := compileW1(t, -2)
	if _, err := Release(first); err != nil {
		t.Fatal(err)
	}
	if _, err := Release(first); err == nil || !strings.HasPrefix(err.Error(), "ValueError: kernel handle") {
		t.Fatalf("a second release gave %v", err)
	}
	for i := range RegistrySize + 10 {
		if _, err := Release(compileW1(t, -3-float64(i))); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := Describe(held); err != nil {
		t.Fatalf("a held kernel was dropped: %v", err)
	}
	if _, err := Describe(first); err == nil || err.Error() != fmt.Sprintf("ValueError: unknown kernel handle %d", first) {
		t.Fatalf("the least recently released kernel is still there: %v", err)
	}
	if _, err := Release(held); err != nil {
		t.Fatal(err)
	}
}
