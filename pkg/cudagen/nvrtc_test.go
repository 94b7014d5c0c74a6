package cudagen

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/gokeops/gokeops/pkg/cudagen/nvrtc"
	"github.com/gokeops/gokeops/pkg/core"
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
// golden sources, to PTX with the real NVRTC.
func TestNVRTCCompilesMatrix(t *testing.T) {
	lib := testNVRTC(t)
	t.Logf("NVRTC %s at %s", lib.Version(), lib.Path)
	type job struct {
		name string
		src  *Source
	}
	var jobs []job
	for _, c := range matrix() {
		k, err := core.Compile(c.spec)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		src, err := GenerateKernel(k, c.opt)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		jobs = append(jobs, job{c.name, src})
	}
	for _, c := range goldenCases {
		k, err := core.Compile(c.spec)
		if err != nil {
			t.Fatal(err)
		}
		src, err := GenerateKernel(k, c.opt)
		if err != nil {
			t.Fatal(err)
		}
		jobs = append(jobs, job{"golden_" + c.name, src})
	}
	var wg sync.WaitGroup
	next := make(chan job)
	var mu sync.Mutex
	compiled := 0
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range next {
				opts := append([]string{"--gpu-architecture=compute_80"}, j.src.Options...)
				out, err := lib.Compile(j.src.Code, j.name+".cu", opts)
				if err != nil {
					t.Errorf("%s: %v", j.name, err)
					continue
				}
				for _, kn := range j.src.Kernels {
					if !strings.Contains(string(out.PTX), ".entry "+kn+"(") {
						t.Errorf("%s: kernel %s missing from the PTX", j.name, kn)
					}
				}
				mu.Lock()
				compiled++
				mu.Unlock()
			}
		}()
	}
	for _, j := range jobs {
		next <- j
	}
	close(next)
	wg.Wait()
	t.Logf("%d sources (%d kernels of the matrix) compiled to PTX", compiled, len(jobs))
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
