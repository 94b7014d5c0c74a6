package nvrtc

import (
	"os"
	"path/filepath"
	"testing"
)

// TestCandidatesOrder: newest major first, the given site-packages order
// among equals, versions the driver cannot load left out, and only soname
// files (no .alt or full-version duplicates).
func TestCandidatesOrder(t *testing.T) {
	root := t.TempDir()
	torch, wheel := filepath.Join(root, "torch-site"), filepath.Join(root, "venv-site")
	files := []string{
		filepath.Join(torch, "nvidia", "cu13", "lib", "libnvrtc.so.13"),
		filepath.Join(torch, "nvidia", "cuda_nvrtc", "lib", "libnvrtc.so.12"),
		filepath.Join(wheel, "nvidia", "cuda_nvrtc", "lib", "libnvrtc.so.12"),
		filepath.Join(wheel, "nvidia", "cuda_nvrtc", "lib", "libnvrtc.alt.so.12"),
		filepath.Join(wheel, "nvidia", "cuda_nvrtc", "lib", "libnvrtc.so.12.9.86"),
	}
	for _, f := range files {
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got := Candidates([]string{torch, wheel}, 0)
	var paths []string
	for _, c := range got {
		if filepath.HasPrefix(c.Path, root) {
			paths = append(paths, c.Path)
		}
	}
	want := files[:3]
	if len(paths) != len(want) {
		t.Fatalf("got %v, want %v", paths, want)
	}
	for k := range want {
		if paths[k] != want[k] {
			t.Fatalf("candidate %d: got %s, want %s", k, paths[k], want[k])
		}
	}
	for _, c := range Candidates([]string{torch, wheel}, 12) {
		if c.Major > 12 {
			t.Fatalf("driver limit 12: got %s", c.Path)
		}
	}
}
