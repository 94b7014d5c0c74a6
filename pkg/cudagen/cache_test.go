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
