package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/gokeops/gokeops/pkg/core/internal/kerngen"
)

// TestRun checks that run removes a stale generated file, keeps the
// hand-written ones, and writes every file of kerngen.Files.
func TestRun(t *testing.T) {
	dir := t.TempDir()
	stale := filepath.Join(dir, "kernels_old_gen.go")
	hand := filepath.Join(dir, "frame.go")
	if err := os.WriteFile(stale, []byte(kerngen.Header+"\n\npackage core\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(hand, []byte("package core\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := run(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("stale generated file kept (%v)", err)
	}
	if _, err := os.Stat(hand); err != nil {
		t.Errorf("hand-written file: %v", err)
	}
	for _, f := range kerngen.Files() {
		if _, err := os.Stat(filepath.Join(dir, f.Name)); err != nil {
			t.Errorf("%s: %v", f.Name, err)
		}
	}
}
