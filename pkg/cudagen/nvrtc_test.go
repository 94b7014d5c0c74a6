package cudagen

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/gokeops/gokeops/pkg/core"
	"github.com/gokeops/gokeops/pkg/cudagen/nvrtc"
)

// testNVRTC finds the NVRTC library of the repository's virtualenv (make
// installs nvidia-cuda-nvrtc-cu12 there) or of GOKEOPS_SITE_PACKAGES. In
// CI (CI=true) a missing library is a failure, elsewhere a skip.
func testNVRTC(t *testing.T) *nvrtc.Lib {
	t.Helper()
	sites, _ := filepath.Glob("../../.venv/lib/python3*/site-packages")
	if s := os.Getenv("GOKEOPS_SITE_PACKAGES"); s != "" {
		sites = append(strings.Split(s, string(os.PathListSeparator)), sites...)
	}
	lib, err := nvrtc.Find(sites, 0)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%v (make installs nvidia-cuda-nvrtc-cu12 into .venv)", err)
		}
		t.Skip(err)
	}
	return lib
}

// TestNVRTCCompilesMatrix compiles every kernel of the test matrix, and the
// golden sources, to PTX with the real NVRTC, without a warning.
func TestNVRTCCompilesMatrix(t *testing.T) {
	lib := testNVRTC(t)
	t.Logf("NVRTC %s at %s", lib.Version(), lib.Path)
	type job struct {
		name string
		src  *Source
	}
	var jobs []job
	for n, c := range matrix() {
		k, err := core.Compile(c.spec)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		opt := c.opt
		opt.Prefix = fmt.Sprintf("m%d", n) // unique names: sources are compiled in groups
		src, err := GenerateKernel(k, opt)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		jobs = append(jobs, job{c.name, src})
	}
	for n, c := range goldenCases {
		k, err := core.Compile(c.spec)
		if err != nil {
			t.Fatal(err)
		}
		opt := c.opt
		opt.Prefix = fmt.Sprintf("g%d", n)
		src, err := GenerateKernel(k, opt)
		if err != nil {
			t.Fatal(err)
		}
		jobs = append(jobs, job{"golden_" + c.name, src})
	}
	// Sources are compiled in groups (one NVRTC program each, which saves
	// the per-program start-up); a group that fails is compiled source by
	// source to name the culprit.
	const group = 16
	var groups [][]job
	for g := 0; g < len(jobs); g += group {
		groups = append(groups, jobs[g:min(g+group, len(jobs))])
	}
	compile := func(js []job) error {
		var code strings.Builder
		var kernels []string
		opts := []string{"--gpu-architecture=compute_80"}
		for _, j := range js {
			code.WriteString(j.src.Code)
			kernels = append(kernels, j.src.Kernels...)
			for _, o := range j.src.Options {
				if !slices.Contains(opts, o) {
					opts = append(opts, o)
				}
			}
		}
		out, err := lib.Compile(code.String(), js[0].name+".cu", opts)
		if err != nil {
			return err
		}
		if strings.Contains(out.Log, "warning") {
			return fmt.Errorf("NVRTC warnings:\n%s", out.Log)
		}
		for _, kn := range kernels {
			if !strings.Contains(string(out.PTX), ".entry "+kn+"(") {
				return fmt.Errorf("kernel %s missing from the PTX", kn)
			}
		}
		return nil
	}
	var wg sync.WaitGroup
	next := make(chan []job)
	var mu sync.Mutex
	compiled := 0
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for js := range next {
				if compile(js) != nil {
					for _, j := range js {
						if err := compile([]job{j}); err != nil {
							t.Errorf("%s: %v", j.name, err)
							continue
						}
						mu.Lock()
						compiled++
						mu.Unlock()
					}
					continue
				}
				mu.Lock()
				compiled += len(js)
				mu.Unlock()
			}
		}()
	}
	for _, js := range groups {
		next <- js
	}
	close(next)
	wg.Wait()
	t.Logf("%d sources (%d of the matrix) compiled to PTX", compiled, len(jobs)-len(goldenCases))
	if compiled != len(jobs) {
		t.Fatalf("%d of %d sources compiled", compiled, len(jobs))
	}
}

func TestNVRTCReportsErrors(t *testing.T) {
	lib := testNVRTC(t)
	_, err := lib.Compile(`extern "C" __global__ void k() { undefined_name(); }`, "bad.cu", []string{"--gpu-architecture=compute_80"})
	ce, ok := err.(*nvrtc.CompileError)
	if !ok || !strings.Contains(ce.Log, "undefined_name") {
		t.Fatalf("want a CompileError naming undefined_name, got %v", err)
	}
}

// ptxasInfo reads "N bytes stack frame, N bytes spill stores" and "Used N
// registers" of ptxas' verbose log.
var ptxasInfo = regexp.MustCompile(`(\d+) bytes stack frame, (\d+) bytes spill stores[^\n]*\n[^\n]*Used (\d+) registers`)

// TestChunkedKernelsDoNotSpill compiles the chunked kernels (dims 100 to
// 1600) for sm_90 with ptxas' report: no local memory (stack frame, spill
// stores) and at most 64 registers, where the same formulas without chunks
// use up to 255 registers, spill, or keep their variables in local memory.
func TestChunkedKernelsDoNotSpill(t *testing.T) {
	lib := testNVRTC(t)
	report := func(src *Source) (stack, spill, regs int) {
		out, err := lib.Compile(src.Code, "chunked.cu", append([]string{"--gpu-architecture=sm_90", "--ptxas-options=-v"}, src.Options...))
		if err != nil {
			t.Fatal(err)
		}
		ms := ptxasInfo.FindAllStringSubmatch(out.Log, -1)
		if len(ms) == 0 {
			t.Fatalf("no ptxas report in %q", out.Log)
		}
		for _, m := range ms { // the worst kernel of the source
			a, _ := strconv.Atoi(m[1])
			b, _ := strconv.Atoi(m[2])
			c, _ := strconv.Atoi(m[3])
			stack, spill, regs = max(stack, a), max(spill, b), max(regs, c)
		}
		return
	}
	worstUnchunked := 0
	for _, d := range []int{100, 200, 400, 1600} {
		al := []string{fmt.Sprintf("u=Vi(%d)", d), fmt.Sprintf("v=Vj(%d)", d)}
		for _, f := range []string{"SqDist(u,v)", "Exp(-SqDist(u,v))*(u|v)"} {
			for _, opt := range []Options{{Dtype: Float32}, {Dtype: Float64}, {Dtype: Float32, Scheme: Scheme2D}} {
				k, err := core.Compile(core.Spec{Formula: f, Aliases: al, Reduction: "Sum", Axis: 1})
				if err != nil {
					t.Fatal(err)
				}
				src, err := GenerateKernel(k, opt)
				if err != nil {
					t.Fatal(err)
				}
				stack, spill, regs := report(src)
				if stack != 0 || spill != 0 || regs > 64 {
					t.Errorf("dim %d %s %+v: %d bytes stack frame, %d bytes spilled, %d registers", d, f, opt, stack, spill, regs)
				}
				unchunked = true
				plain, _ := GenerateKernel(k, opt)
				unchunked = false
				stack, spill, regs = report(plain)
				if stack+spill > 0 || regs > 200 {
					worstUnchunked++
				}
			}
		}
	}
	if worstUnchunked == 0 {
		t.Error("without chunks no kernel used local memory or more than 200 registers: the comparison shows nothing")
	}
	t.Logf("%d of 24 kernels use local memory or more than 200 registers without chunks, none with", worstUnchunked)
}
