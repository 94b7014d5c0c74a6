package cudagen

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
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
