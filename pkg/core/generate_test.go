package core

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/gokeops/gokeops/pkg/core/internal/kerngen"
)

// TestGeneratedFilesUpToDate checks that the committed kernel files are
// byte for byte what kerngen writes now, and that no file carrying its
// header is left over from an older generator.
func TestGeneratedFilesUpToDate(t *testing.T) {
	want := map[string]bool{}
	for _, f := range kerngen.Files() {
		want[f.Name] = true
		got, err := os.ReadFile(f.Name)
		if err != nil {
			t.Errorf("%v (run go generate ./pkg/core)", err)
			continue
		}
		if !bytes.Equal(got, f.Src) {
			t.Errorf("%s differs from kerngen's output: run go generate ./pkg/core", f.Name)
		}
	}
	names, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if kerngen.IsGenerated(src) && !want[name] {
			t.Errorf("%s carries kerngen's header but kerngen no longer writes it: run go generate ./pkg/core", name)
		}
	}
}
