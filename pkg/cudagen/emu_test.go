package cudagen

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/gokeops/gokeops/pkg/core"
	"github.com/gokeops/gokeops/pkg/formula"
)

// The generated kernels, compiled as C++ with testdata/emu/cuda_emu.h (a
// thread per CUDA thread, a barrier for __syncthreads), run on the data of
// the CPU engine's calls; their outputs are compared with the engine's.

const (
	emuM, emuN   = 37, 53 // rows of the i and j variables
	emuBlock     = 16     // threads per block: several tiles, a partial last one
	emuJChunk    = 32     // 2D: reduced indices per block (two tiles)
	emuBatch     = 2
	emuParmValue = 0.5
)

// emuCall is one case's data and the engine's results.
type emuCall struct {
	c       matrixCase
	kernel  *core.Kernel
	src     *Source
	args    [][]float64
	argB    [][]int
	batch   []int
	ranges  *core.Ranges
	nx, ny  int
	nvals   int
	nidx    int
	vals    []float64 // the engine's
	idx     []int64
	nbatch  int
	cpuErr  error
	emuVals []float64
	emuIdx  []int64
}

// emuSpecialArg is b, the argument of the special cases' special values.
const emuSpecialArg = 2

// emuSpecial is the value of b at row r: +inf at rows 3 and 9, -inf at 18
// and 30, NaN at 45, else a multiple of 1/4. Of emuRanges' reduced spans
// [0,17) has infinities of one sign and no NaN, [5,20) of both signs, the
// others NaN.
func emuSpecial(r int) float64 {
	switch r {
	case 3, 9:
		return math.Inf(1)
	case 18, 30:
		return math.Inf(-1)
	case 45:
		return math.NaN()
	}
	return float64(r%9-4) / 4
}

// emuRanges is a block-sparse structure over outer x inner rows: three
// row blocks, one overlapping the next (the last wins), rows 30.. of none,
// an empty reduced list for the middle block's second row range.
func emuRanges(outer, inner int) (ranges, slices, red []int64) {
	ranges = []int64{0, 12, 10, 25, 25, 30}
	slices = []int64{2, 2, 4}
	red = []int64{0, int64(inner / 3), int64(inner / 2), int64(inner), 5, 20, 15, int64(inner)}
	_ = outer
	return
}

func newEmuCall(t *testing.T, c matrixCase, seed uint64) *emuCall {
	k, err := core.Compile(c.spec)
	if err != nil {
		t.Fatalf("%s: %v", c.name, err)
	}
	opt := c.opt
	opt.BlockSize = emuBlock
	src, err := GenerateKernel(k, opt)
	if err != nil {
		t.Fatalf("%s: %v", c.name, err)
	}
	e := &emuCall{c: c, kernel: k, src: src, nbatch: 1}
	if c.batch {
		e.batch = []int{emuBatch}
		e.nbatch = emuBatch
	}
	rng := rand.New(rand.NewPCG(seed, 7))
	for a, v := range k.Sig {
		rows := 1
		switch v.Cat {
		case formula.CatI:
			rows = emuM
		case formula.CatJ:
			rows = emuN
		}
		nb := 1
		var ab []int
		if c.batch {
			nb = 1 + a%2 // odd arguments batched, even ones broadcast
			ab = []int{nb}
		}
		e.argB = append(e.argB, ab)
		vals := make([]float64, nb*rows*v.Dim)
		for q := range vals {
			if v.Cat == formula.CatParm {
				vals[q] = emuParmValue
			} else if c.special && a == emuSpecialArg {
				vals[q] = emuSpecial(q % rows)
			} else {
				vals[q] = float64(rng.IntN(16)-8) / 4 // multiples of 1/4 in [-2, 2): exact in every dtype
			}
		}
		e.args = append(e.args, vals)
	}
	e.nx, e.ny = emuM, emuN
	if c.spec.Axis == 0 {
		e.nx, e.ny = emuN, emuM
	}
	if c.opt.Ranges {
		r, s, red := emuRanges(e.nx, e.ny)
		e.ranges = &core.Ranges{RangesI: r, SlicesI: s, RedRangesJ: red, RangesJ: r, SlicesJ: s, RedRangesI: red}
	}
	e.nvals, e.nidx = e.nbatch*e.nx*k.ValsDim, e.nbatch*e.nx*k.IdxDim
	// float16 data is computed by the engine in float32.
	if c.opt.Dtype == Float64 {
		e.vals, e.idx, e.cpuErr = runCPU[float64](e)
	} else {
		e.vals, e.idx, e.cpuErr = runCPU[float32](e)
	}
	return e
}

func runCPU[T float32 | float64](e *emuCall) ([]float64, []int64, error) {
	call := &core.Call[T]{ArgBatch: e.argB, Batch: e.batch, M: emuM, N: emuN, Ranges: e.ranges,
		Vals: make([]T, e.nvals), Idx: make([]int64, e.nidx), Workers: 1}
	if e.batch == nil {
		call.ArgBatch = make([][]int, len(e.args))
	}
	for _, a := range e.args {
		v := make([]T, len(a))
		for q, x := range a {
			v[q] = T(x)
		}
		call.Args = append(call.Args, v)
	}
	err := core.Run(e.kernel, call)
	out := make([]float64, len(call.Vals))
	for q, v := range call.Vals {
		out[q] = float64(v)
	}
	return out, call.Idx, err
}

// record writes the case's launch for the driver (testdata/emu/driver.h).
func (e *emuCall) record(w *bytes.Buffer, id int) {
	put := func(v int64) { binary.Write(w, binary.LittleEndian, v) }
	putv := func(v []int64) {
		put(int64(len(v)))
		binary.Write(w, binary.LittleEndian, v)
	}
	kind := int64(0)
	var offs, items []int64
	nitems, nby := 0, 0
	switch {
	case e.c.opt.Ranges:
		kind = 1
		rg := e.ranges
		items, nitems = RangeItems(e.nx, rg.RangesI, rg.SlicesI, rg.RedRangesJ, emuBlock)
	default:
		argB := e.argB
		if e.batch == nil {
			argB = make([][]int, len(e.args))
		}
		offs = ArgOffsets(e.kernel.Sig, e.batch, argB, emuM, emuN)
		if e.c.opt.Scheme == Scheme2D {
			kind = 2
			nby = (e.ny + emuJChunk - 1) / emuJChunk
		}
	}
	put(int64(id))
	for _, v := range []int{int(kind), e.nx, e.ny, e.nbatch, emuBlock, emuJChunk, nby, nitems} {
		put(int64(v))
	}
	putv(offs)
	putv(items)
	put(int64(e.nvals))
	put(int64(e.nidx))
	for _, a := range e.args {
		put(int64(len(a)))
		binary.Write(w, binary.LittleEndian, a)
	}
}

// dispatch is the driver's branch for case id.
func (e *emuCall) dispatch(id int) string {
	d := map[Dtype]string{Float32: "float", Float64: "double", Float16: "unsigned short"}[e.c.opt.Dtype]
	ns := fmt.Sprintf("c%d", id)
	var run string
	switch {
	case e.c.opt.Ranges:
		run = fmt.Sprintf("gk_run_ranges(r, c, %s::%s)", ns, e.src.Kernels[0])
	case e.c.opt.Scheme == Scheme2D:
		run = fmt.Sprintf("gk_run_2d(r, c, %s::%s, %s::%s, %d)", ns, e.src.Kernels[0], ns, e.src.Kernels[1], e.src.PartLen)
	default:
		run = fmt.Sprintf("gk_run_1d(r, c, %s::%s)", ns, e.src.Kernels[0])
	}
	return fmt.Sprintf("    case %d: gk_case<%s>(r, %d, [&](gk_call<%s>& c) { %s; }); break;\n", id, d, len(e.args), d, run)
}

func TestEmulationMatchesEngine(t *testing.T) {
	gxx, err := exec.LookPath("g++")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("g++ is needed for the CUDA emulation test")
		}
		t.Skip("no g++")
	}
	// The headers are copied next to the generated sources: reading them
	// here also lets go test's cache see when they change.
	dir := t.TempDir()
	for _, h := range []string{"cuda_emu.h", "driver.h"} {
		b, err := os.ReadFile(filepath.Join("testdata", "emu", h))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, h), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cases := matrix()
	calls := make([]*emuCall, len(cases))
	for n, c := range cases {
		if c.opt.UseFastMath {
			continue // the same source; only NVRTC reads the option
		}
		calls[n] = newEmuCall(t, c, uint64(n))
		if calls[n].cpuErr != nil {
			t.Fatalf("%s: engine: %v", c.name, calls[n].cpuErr)
		}
	}
	// A few binaries, built in parallel, each running its share of the cases.
	const parts = 4
	var wg sync.WaitGroup
	errs := make([]error, parts)
	for p := 0; p < parts; p++ {
		wg.Add(1)
		go func(p int) {
			defer wg.Done()
			var tu, sw strings.Builder
			var in bytes.Buffer
			tu.WriteString("#include \"cuda_emu.h\"\n#include \"driver.h\"\n")
			for id, e := range calls {
				if e == nil || id%parts != p {
					continue
				}
				opt := e.c.opt
				opt.BlockSize, opt.Prefix = emuBlock, fmt.Sprintf("c%d", id)
				src, err := GenerateKernel(e.kernel, opt)
				if err != nil {
					errs[p] = err
					return
				}
				e.src = src
				tu.WriteString(src.Code)
				sw.WriteString(e.dispatch(id))
				e.record(&in, id)
			}
			tu.WriteString("int main() {\n  for (;;) {\n    long long id = gk_rd();\n    gk_record r = gk_read_record();\n    switch (id) {\n")
			tu.WriteString(sw.String())
			tu.WriteString("    default: return 3;\n    }\n  }\n}\n")
			cpp := filepath.Join(dir, fmt.Sprintf("emu%d.cpp", p))
			bin := filepath.Join(dir, fmt.Sprintf("emu%d", p))
			if err := os.WriteFile(cpp, []byte(tu.String()), 0o644); err != nil {
				errs[p] = err
				return
			}
			cmd := exec.Command(gxx, "-std=c++17", "-O1", "-pthread", "-w", "-I", dir, "-o", bin, cpp)
			if out, err := cmd.CombinedOutput(); err != nil {
				errs[p] = fmt.Errorf("g++: %v\n%s", err, firstLines(string(out), 40))
				return
			}
			cmd = exec.Command(bin)
			cmd.Stdin = &in
			out, err := cmd.Output()
			if err != nil {
				errs[p] = fmt.Errorf("emulation binary: %v", err)
				return
			}
			r := bytes.NewReader(out)
			for id, e := range calls {
				if e == nil || id%parts != p {
					continue
				}
				e.emuVals = make([]float64, e.nvals)
				e.emuIdx = make([]int64, e.nidx)
				if err := binary.Read(r, binary.LittleEndian, e.emuVals); err != nil {
					errs[p] = fmt.Errorf("%s: reading values: %v", e.c.name, err)
					return
				}
				if err := binary.Read(r, binary.LittleEndian, e.emuIdx); err != nil {
					errs[p] = fmt.Errorf("%s: reading indices: %v", e.c.name, err)
					return
				}
			}
		}(p)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	checked := 0
	for _, e := range calls {
		if e == nil {
			continue
		}
		e.compare(t)
		checked++
	}
	t.Logf("%d kernels run under the emulation and compared with the CPU engine", checked)
}

// compare checks values within the dtype's tolerance and indices exactly
// (the data make ties exact).
func (e *emuCall) compare(t *testing.T) {
	tol := map[Dtype]float64{Float64: 1e-9, Float32: 2e-4, Float16: 2e-2}[e.c.opt.Dtype]
	if e.c.approx {
		tol = 0.1
	}
	// Indices alone over axis 1 see NaN and infinities in every row but are
	// finite (the NaN skipped): the comparison checks them.
	if e.c.special && (e.nvals > 0 || e.c.spec.Axis == 0) && !e.hasSpecialResult() {
		t.Errorf("%s: the special values gave only finite results and no absent index", e.c.name)
	}
	bad := 0
	for q, want := range e.vals {
		got := e.emuVals[q]
		if math.IsNaN(want) && math.IsNaN(got) || want == got {
			continue
		}
		if !(math.Abs(got-want) <= tol*(1+math.Abs(want))) {
			if bad < 3 {
				t.Errorf("%s: value %d: emulation %v, engine %v", e.c.name, q, got, want)
			}
			bad++
		}
	}
	for q, want := range e.idx {
		if e.emuIdx[q] != want {
			if bad < 3 {
				t.Errorf("%s: index %d: emulation %d, engine %d", e.c.name, q, e.emuIdx[q], want)
			}
			bad++
		}
	}
	if bad > 3 {
		t.Errorf("%s: %d mismatches in all", e.c.name, bad)
	}
}

// hasSpecialResult: some engine output is NaN or infinite, or an index is absent.
func (e *emuCall) hasSpecialResult() bool {
	for _, v := range e.vals {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return true
		}
	}
	for _, j := range e.idx {
		if j < 0 {
			return true
		}
	}
	return false
}

func firstLines(s string, n int) string {
	ls := strings.SplitN(s, "\n", n+1)
	if len(ls) > n {
		ls = ls[:n]
	}
	return strings.Join(ls, "\n")
}
