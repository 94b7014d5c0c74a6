//go:build !cuda

package gokeops

import (
	"encoding/json"
	"strings"
	"testing"
	"unsafe"
)

// TestGPURunChecksBeforeLaunching: GPURun of the CPU build checks the call
// as the cuda build does (codes, addresses, every length against the
// kernel) and only then answers that it has no CUDA launcher.
func TestGPURunChecksBeforeLaunching(t *testing.T) {
	h, err := Compile("SqDist(x,y)", "x=Vi(2)\ny=Vj(2)", "Sum", 1, 0, "", "auto", "auto")
	if err != nil {
		t.Fatal(err)
	}
	defer Release(h)
	x, y, out := make([]float32, 6), make([]float32, 8), make([]float32, 3)
	addr := func(p unsafe.Pointer) int64 { return int64(uintptr(p)) }
	desc := func(nx int) []int64 {
		return []int64{DescriptorVersion, 1, 3, 4, 0, 2, addr(unsafe.Pointer(&x[0])), int64(nx),
			addr(unsafe.Pointer(&y[0])), 8, addr(unsafe.Pointer(&out[0])), 3, 0, 0, 0}
	}
	run := func(d []int64, dtype, scheme int) error {
		_, err := GPURun(h, dtype, 0, scheme, true, false, 0, uintptr(unsafe.Pointer(&d[0])), len(d))
		return err
	}
	for _, c := range []struct {
		name          string
		d             []int64
		dtype, scheme int
		want          string
	}{
		{"a well-formed call", desc(6), Float32, SchemeAuto, "ValueError: this build of the gokeops engine has no CUDA support"},
		{"argument 0 of 5 values", desc(5), Float32, Scheme1D, "ValueError: argument 0 (Vi, dim 2) has 5 values, expected 6"},
		{"an unknown scheme", desc(6), Float32, 3, "ValueError: unknown GPU scheme code 3"},
		{"an unknown dtype", desc(6), 9, SchemeAuto, "TypeError: unsupported dtype code 9"},
		{"a descriptor of another version", append([]int64{99}, desc(6)[1:]...), Float32, Scheme2D, "ValueError: call descriptor version 99"},
		{"a truncated descriptor", desc(6)[:9], Float16, SchemeAuto, "ValueError: call descriptor too short"},
	} {
		if err := run(c.d, c.dtype, c.scheme); err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.name, err, c.want)
		}
	}
	d := desc(6)
	d[6] = 2 // misaligned for float32
	if err := run(d, Float32, SchemeAuto); err == nil || !strings.Contains(err.Error(), "argument 0: buffer at 0x2 is not aligned") {
		t.Errorf("a misaligned argument: %v", err)
	}
	if _, err := GPURun(h, Float32, -1, SchemeAuto, true, false, 0, uintptr(unsafe.Pointer(&d[0])), len(d)); err == nil || !strings.Contains(err.Error(), "device_id -1") {
		t.Errorf("device -1: %v", err)
	}
	if ok, err := CUDAEnabled(); ok || err != nil {
		t.Errorf("CUDAEnabled of the CPU build = %v, %v", ok, err)
	}
	if _, err := GPUConfigure("/a:/b", t.TempDir()); err != nil {
		t.Error(err)
	}
	s, err := GPUStats()
	var st map[string]any
	if err != nil || json.Unmarshal([]byte(s), &st) != nil || st["cuda"] != false {
		t.Errorf("GPUStats = %s, %v", s, err)
	}
}
