package cudagen

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/gokeops/gokeops/pkg/core"
)

// TestCompilerCaches: a source is compiled once per process (memory) and
// once per machine (disk, shared by a new Compiler); another architecture
// or option set is another entry; Clean empties the folder.
func TestCompilerCaches(t *testing.T) {
	lib := testNVRTC(t)
	k, err := core.Compile(core.Spec{Formula: "Exp(-SqDist(x,y))*b", Aliases: goldenAliases, Reduction: "Sum", Axis: 1})
	if err != nil {
		t.Fatal(err)
	}
	src, err := GenerateKernel(k, Options{})
	if err != nil {
		t.Fatal(err)
	}
	dir := CacheDir(t.TempDir())
	c := NewCompiler(lib, dir)
	im, err := c.Compile(src, "sm_80")
	if err != nil {
		t.Fatal(err)
	}
	if len(im.CUBIN) == 0 {
		t.Fatal("sm_80: want a CUBIN")
	}
	if _, err := c.Compile(src, "sm_80"); err != nil || c.Runs != 1 {
		t.Fatalf("second compilation in the same process: runs %d, err %v", c.Runs, err)
	}
	c2 := NewCompiler(lib, dir)
	im2, err := c2.Compile(src, "sm_80")
	if err != nil || c2.Runs != 0 || string(im2.CUBIN) != string(im.CUBIN) {
		t.Fatalf("a new compiler should read the disk cache: runs %d, err %v", c2.Runs, err)
	}
	ptx, err := c2.Compile(src, "compute_80")
	if err != nil || c2.Runs != 1 || len(ptx.PTX) == 0 || ptx.Data()[len(ptx.Data())-1] != 0 {
		t.Fatalf("compute_80: runs %d, err %v", c2.Runs, err)
	}
	fast, _ := GenerateKernel(k, Options{UseFastMath: true})
	if c2.Key(fast, "sm_80") == c2.Key(src, "sm_80") {
		t.Fatal("use_fast_math must change the key")
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	if len(files) != 2 {
		t.Fatalf("want 2 cached files, got %v", files)
	}
	if err := Clean(dir); err != nil {
		t.Fatal(err)
	}
	if files, _ := os.ReadDir(dir); len(files) != 0 {
		t.Fatalf("Clean left %d files", len(files))
	}
}

// TestCacheKeyAndFolder: the key is a function of the generated source,
// the architecture, the NVRTC version and the options only; the file of a
// key is named by it, a compiler of another NVRTC version does not read
// it, an empty file is a miss, and SetDir moves the cache
// (pykeops.set_build_folder).
func TestCacheKeyAndFolder(t *testing.T) {
	lib := testNVRTC(t)
	gen := func(f string) *Source {
		k, err := core.Compile(core.Spec{Formula: f, Aliases: goldenAliases, Reduction: "Sum", Axis: 1})
		if err != nil {
			t.Fatal(err)
		}
		src, err := GenerateKernel(k, Options{})
		if err != nil {
			t.Fatal(err)
		}
		return src
	}
	gauss, cauchy := gen("Exp(-SqDist(x,y))*b"), gen("Inv(IntCst(1)+SqDist(x,y))*b")
	c := NewCompiler(lib, "")
	key := c.Key(gauss, "sm_90")
	if again := NewCompiler(lib, "").Key(gen("Exp(-SqDist(x,y))*b"), "sm_90"); again != key {
		t.Fatalf("the same formula gives keys %s and %s", key, again)
	}
	other := *lib
	other.Minor++
	for name, k := range map[string]string{
		"another source":        c.Key(cauchy, "sm_90"),
		"another architecture":  c.Key(gauss, "sm_80"),
		"another NVRTC version": NewCompiler(&other, "").Key(gauss, "sm_90"),
	} {
		if k == key {
			t.Errorf("%s: same key %s", name, key)
		}
	}
	a, b := t.TempDir(), t.TempDir()
	c = NewCompiler(lib, a)
	if _, err := c.Compile(gauss, "sm_90"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(a, key+".cubin")); err != nil {
		t.Fatalf("the image of key %s: %v", key, err)
	}
	c3 := NewCompiler(&other, a)
	if _, err := c3.Compile(gauss, "sm_90"); err != nil || c3.Compilations() != 1 {
		t.Errorf("another NVRTC version reused the cache: runs %d, err %v", c3.Compilations(), err)
	}
	if err := os.WriteFile(filepath.Join(a, key+".cubin"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	c4 := NewCompiler(lib, a)
	if _, err := c4.Compile(gauss, "sm_90"); err != nil || c4.Compilations() != 1 {
		t.Errorf("an empty cached file: runs %d, err %v", c4.Compilations(), err)
	}
	c4.SetDir(b)
	if _, err := c4.Compile(cauchy, "sm_90"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(b, c4.Key(cauchy, "sm_90")+".cubin")); err != nil {
		t.Errorf("after SetDir the image goes to the new folder: %v", err)
	}
	if _, err := os.Stat(filepath.Join(a, c4.Key(cauchy, "sm_90")+".cubin")); err == nil {
		t.Error("after SetDir the old folder still receives images")
	}
}
