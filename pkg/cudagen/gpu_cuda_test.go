//go:build cuda

package cudagen

import (
	"encoding/binary"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gokeops/gokeops/pkg/core"
)

// These tests need a GPU: the cuda-tagged test binary (make cuda-test-bin)
// runs them on a GPU machine (benchmarks/gpu_check.sh). They compare every
// kernel of the test matrix with the CPU engine, and time W1.

func gpuDevice(t testing.TB) *Device {
	t.Helper()
	var sites []string
	if s := os.Getenv("GOKEOPS_SITE_PACKAGES"); s != "" {
		sites = strings.Split(s, string(os.PathListSeparator))
	}
	cache := os.Getenv("GOKEOPS_GPU_CACHE")
	if cache == "" {
		cache = CacheDir(t.TempDir())
	}
	d, err := OpenDevice(0, sites, cache)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("device 0: %s (%s), driver %d, NVRTC %s at %s", d.Name, d.Arch, DriverVersion(), d.compiler.Lib.Version(), d.compiler.Lib.Path)
	return d
}

// halfBits and halfValue convert float32 to IEEE half and back (round to
// nearest even; the test data are exact in half).
func halfBits(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int(b>>23&0xff) - 127 + 15
	man := b & 0x7fffff
	switch {
	case b&0x7fffffff == 0:
		return sign
	case exp >= 31:
		return sign | 0x7c00
	case exp <= 0:
		if exp < -10 {
			return sign
		}
		man |= 0x800000
		shift := uint(14 - exp)
		h := man >> shift
		if rem := man & (1<<shift - 1); rem > 1<<(shift-1) || rem == 1<<(shift-1) && h&1 == 1 {
			h++
		}
		return sign | uint16(h)
	}
	h := uint32(exp)<<10 | man>>13
	if rem := man & 0x1fff; rem > 0x1000 || rem == 0x1000 && h&1 == 1 {
		h++
	}
	return sign | uint16(h)
}

func halfValue(h uint16) float32 {
	sign := uint32(h&0x8000) << 16
	exp := uint32(h>>10) & 0x1f
	man := uint32(h & 0x3ff)
	switch {
	case exp == 0 && man == 0:
		return math.Float32frombits(sign)
	case exp == 0:
		for man&0x400 == 0 {
			man <<= 1
			exp--
		}
		exp++
		man &= 0x3ff
	case exp == 31:
		return math.Float32frombits(sign | 0x7f800000 | man<<13)
	}
	return math.Float32frombits(sign | (exp+127-15)<<23 | man<<13)
}

// encode writes values in the data type of dt.
func encode(v []float64, dt Dtype) []byte {
	out := make([]byte, len(v)*dt.Size())
	for q, x := range v {
		switch dt {
		case Float64:
			binary.LittleEndian.PutUint64(out[8*q:], math.Float64bits(x))
		case Float32:
			binary.LittleEndian.PutUint32(out[4*q:], math.Float32bits(float32(x)))
		default:
			binary.LittleEndian.PutUint16(out[2*q:], halfBits(float32(x)))
		}
	}
	return out
}

func decode(b []byte, dt Dtype) []float64 {
	out := make([]float64, len(b)/dt.Size())
	for q := range out {
		switch dt {
		case Float64:
			out[q] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*q:]))
		case Float32:
			out[q] = float64(math.Float32frombits(binary.LittleEndian.Uint32(b[4*q:])))
		default:
			out[q] = float64(halfValue(binary.LittleEndian.Uint16(b[2*q:])))
		}
	}
	return out
}

// TestGPUMatchesEngine runs the test matrix on the GPU (the sizes of the
// emulation, with the default block sizes) and compares with the engine.
func TestGPUMatchesEngine(t *testing.T) {
	d := gpuDevice(t)
	defer d.Close()
	runs := 0
	for n, c := range matrix() {
		e := newEmuCall(t, c, uint64(n))
		if e.cpuErr != nil {
			t.Fatalf("%s: engine: %v", c.name, e.cpuErr)
		}
		hc := &HostCall{ArgBatch: e.argB, Batch: e.batch, M: emuM, N: emuN, Ranges: e.ranges,
			Vals: make([]byte, e.nvals*c.opt.Dtype.Size()), Idx: make([]int64, e.nidx)}
		for _, a := range e.args {
			hc.Args = append(hc.Args, encode(a, c.opt.Dtype))
		}
		// The default blocks, then blocks of 16 threads as in the emulation
		// (several tiles, two pieces of the reduced index in 2D).
		for _, block := range []int{0, emuBlock} {
			opt := c.opt
			opt.BlockSize = block
			if err := d.RunHost(e.kernel, opt, hc); err != nil {
				t.Errorf("%s (block %d): %v", c.name, block, err)
				continue
			}
			e.emuVals, e.emuIdx = decode(hc.Vals, c.opt.Dtype), hc.Idx
			e.compare(t)
			runs++
		}
	}
	t.Logf("%d kernel runs on the GPU compared with the CPU engine", runs)
}

// w1 is the Gaussian kernel sum of the benchmarks (W1), float32.
func w1(t testing.TB, n int) (*core.Kernel, *HostCall) {
	k, err := core.Compile(core.Spec{Formula: "Exp(-SqDist(x,y))*b", Aliases: []string{"x=Vi(3)", "y=Vj(3)", "b=Vj(1)"}, Reduction: "Sum", Axis: 1})
	if err != nil {
		t.Fatal(err)
	}
	x, y, b := make([]float64, 3*n), make([]float64, 3*n), make([]float64, n)
	for q := range x {
		x[q] = math.Sin(float64(q)) // deterministic, spread over [-1, 1]
		y[q] = math.Cos(1.3 * float64(q))
	}
	for q := range b {
		b[q] = 0.5 + 0.5*math.Sin(0.7*float64(q))
	}
	hc := &HostCall{M: n, N: n, Args: [][]byte{encode(x, Float32), encode(y, Float32), encode(b, Float32)},
		Vals: make([]byte, 4*n)}
	return k, hc
}

// TestGPUW1Timing times W1 float32 (1e5 and 1e6 points), the first call of
// a new formula (generation, NVRTC, module load) and the overhead of a
// cached call. Set GOKEOPS_W1_CHECK=1 to also check 1e5 against the CPU
// engine (a few seconds on the CPU).
func TestGPUW1Timing(t *testing.T) {
	d := gpuDevice(t)
	defer d.Close()
	// First call of a new formula: a cache folder of its own, empty.
	d.compiler = NewCompiler(d.compiler.Lib, CacheDir(t.TempDir()))
	k, hc := w1(t, 10)
	t0 := time.Now()
	if err := d.RunHost(k, Options{}, hc); err != nil {
		t.Fatal(err)
	}
	first := time.Since(t0)
	const reps = 200
	t0 = time.Now()
	for r := 0; r < reps; r++ {
		if err := d.RunHost(k, Options{}, hc); err != nil {
			t.Fatal(err)
		}
	}
	overhead := time.Since(t0) / reps
	t.Logf("W1 first call (new formula, NVRTC + load): %v; cached call at n=10: %v", first, overhead)
	// A new process with the disk cache: a new compiler reading the folder.
	d.compiler = NewCompiler(d.compiler.Lib, d.compiler.Dir)
	d.modules = map[string]*loaded{}
	t0 = time.Now()
	if err := d.RunHost(k, Options{}, hc); err != nil {
		t.Fatal(err)
	}
	t.Logf("W1 first call with the disk cache (load only): %v", time.Since(t0))
	for _, n := range []int{100_000, 1_000_000} {
		k, hc := w1(t, n)
		for _, sc := range []Scheme{Scheme1D, Scheme2D} {
			opt := Options{Scheme: sc}
			if err := d.RunHost(k, opt, hc); err != nil { // warm-up (compilation)
				t.Fatal(err)
			}
			best := time.Duration(math.MaxInt64)
			for r := 0; r < 3; r++ {
				t0 := time.Now()
				if err := d.RunHost(k, opt, hc); err != nil {
					t.Fatal(err)
				}
				best = min(best, time.Since(t0))
			}
			t.Logf("W1 float32 n=%d %s: %.4f s (best of 3, host arrays, transfers included)", n, sc, best.Seconds())
		}
		if n == 100_000 && os.Getenv("GOKEOPS_W1_CHECK") != "" {
			call := &core.Call[float32]{M: n, N: n, ArgBatch: make([][]int, 3), Vals: make([]float32, n)}
			for _, a := range hc.Args {
				v := decode(a, Float32)
				f := make([]float32, len(v))
				for q := range v {
					f[q] = float32(v[q])
				}
				call.Args = append(call.Args, f)
			}
			if err := core.Run(k, call); err != nil {
				t.Fatal(err)
			}
			got := decode(hc.Vals, Float32)
			for q, want := range call.Vals {
				if math.Abs(got[q]-float64(want)) > 1e-3*(1+math.Abs(float64(want))) {
					t.Fatalf("W1 n=%d row %d: GPU %v, engine %v", n, q, got[q], want)
				}
			}
			t.Logf("W1 n=%d: GPU matches the CPU engine", n)
		}
	}
}
