package main

import (
	"bytes"
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The golden files in testdata are written by testdata/gen.py with NumPy:
// inputs in several layouts, and dense float64 results to compare with.

const gauss = "Exp(-g * SqDist(x, y)) * b"

var gaussAliases = []string{"--alias", "x = Vi(3)", "--alias", "y = Vj(3)", "--alias", "b = Vj(1)", "--alias", "g = Pm(1)"}

func td(name string) string { return filepath.Join("testdata", name) }

// cli runs the command and returns its exit code and stderr.
func cli(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, &stdout, &stderr, false)
	return code, stderr.String()
}

func reduceArgs(formula string, aliases []string, rest ...string) []string {
	return append(append([]string{"reduce", "--formula", formula}, aliases...), rest...)
}

func loadFloat(t *testing.T, path string) ([]float64, []int) {
	t.Helper()
	a, err := loadNpy(path)
	if err != nil {
		t.Fatal(err)
	}
	switch a.dtype {
	case "float64":
		return a.f64, a.shape
	case "float32":
		out := make([]float64, len(a.f32))
		for i, v := range a.f32 {
			out[i] = float64(v)
		}
		return out, a.shape
	}
	out := make([]float64, len(a.i64))
	for i, v := range a.i64 {
		out[i] = float64(v)
	}
	return out, a.shape
}

func compareGolden(t *testing.T, got, want string, rtol float64) {
	t.Helper()
	g, gs := loadFloat(t, got)
	w, ws := loadFloat(t, want)
	if len(gs) != 2 || len(ws) != 2 || gs[0] != ws[0] || gs[1] != ws[1] {
		t.Fatalf("%s: shape %v, want %v", got, gs, ws)
	}
	for i := range w {
		if math.Abs(g[i]-w[i]) > rtol*(1+math.Abs(w[i])) {
			t.Fatalf("%s: value %d is %g, want %g", got, i, g[i], w[i])
		}
	}
}

func TestGolden(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out.npy")
	cases := []struct {
		name string
		args []string
		want string
		rtol float64
	}{
		{"gauss", reduceArgs(gauss, gaussAliases, "--reduction", "Sum", "--axis", "1",
			td("x.npy"), td("y.npy"), td("b.npy"), td("g.npy"), "-o", out), "want_gauss_axis1.npy", 1e-12},
		{"flags after files, b of shape (N,)", reduceArgs(gauss, gaussAliases,
			td("x.npy"), td("y.npy"), td("b_flat.npy"), td("g.npy"), "-o", out, "--threads", "1"), "want_gauss_axis1.npy", 1e-12},
		{"fortran order", reduceArgs(gauss, gaussAliases,
			td("x_fortran.npy"), td("y.npy"), td("b.npy"), td("g.npy"), "-o", out), "want_gauss_axis1.npy", 1e-12},
		{"big endian", reduceArgs(gauss, gaussAliases,
			td("x.npy"), td("y_bigendian.npy"), td("b.npy"), td("g.npy"), "-o", out), "want_gauss_axis1.npy", 1e-12},
		{"float32, fortran and big endian", reduceArgs("Exp(-SqDist(x, y) * 7 / 10) * b",
			[]string{"--alias", "x = Vi(3)", "--alias", "y = Vj(3)", "--alias", "b = Vj(1)"},
			td("x_f32.npy"), td("y_f32_fortran_bigendian.npy"), td("b_f32.npy"), "-o", out, "--dtype-acc", "float32"),
			"want_gauss_axis1.npy", 1e-5},
		{"axis 0", reduceArgs("Exp(-g * SqDist(x, y)) * w",
			[]string{"--alias", "x = Vi(3)", "--alias", "y = Vj(3)", "--alias", "w = Vi(1)", "--alias", "g = Pm(1)"},
			"--axis", "0", td("x.npy"), td("y.npy"), td("w.npy"), td("g.npy"), "-o", out), "want_gauss_axis0.npy", 1e-12},
		{"argkmin", reduceArgs("SqDist(x, y)", []string{"--alias", "x = Vi(3)", "--alias", "y = Vj(3)"},
			"--reduction", "ArgKMin", "-k", "4", td("x.npy"), td("y.npy"), "-o", out), "want_argkmin.npy", 0},
		{"kmin", reduceArgs("SqDist(x, y)", []string{"--alias", "x = Vi(3)", "--alias", "y = Vj(3)"},
			"--reduction", "KMin", "--opt-arg", "4", td("x.npy"), td("y.npy"), "-o", out), "want_kmin.npy", 1e-12},
		{"logsumexp", reduceArgs("-SqDist(x, y)", []string{"--alias", "x = Vi(3)", "--alias", "y = Vj(3)"},
			"--reduction", "LogSumExp", "--sum-scheme", "kahan_scheme", td("x.npy"), td("y.npy"), "-o", out), "want_lse.npy", 1e-12},
		{"ranges", reduceArgs(gauss, gaussAliases, "--ranges", td("ranges.npz"),
			td("x.npy"), td("y.npy"), td("b.npy"), td("g.npy"), "-o", out), "want_gauss_ranges.npy", 1e-12},
		{"ranges, positional npz", reduceArgs(gauss, gaussAliases, "--ranges", td("ranges_positional.npz"),
			td("x.npy"), td("y.npy"), td("b.npy"), td("g.npy"), "-o", out), "want_gauss_ranges.npy", 1e-12},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			os.Remove(out)
			code, stderr := cli(t, c.args...)
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			compareGolden(t, out, td(c.want), c.rtol)
		})
	}
}

func TestMinArgMinWritesTwoFiles(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "m.npy")
	code, stderr := cli(t, reduceArgs("SqDist(x, y)", []string{"--alias", "x = Vi(3)", "--alias", "y = Vj(3)"},
		"--reduction", "KMin_ArgKMin", "-k", "4", td("x.npy"), td("y.npy"), "-o", out)...)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	compareGolden(t, out, td("want_kmin.npy"), 1e-12)
	compareGolden(t, filepath.Join(dir, "m_indices.npy"), td("want_argkmin.npy"), 0)
	if a, _ := loadNpy(filepath.Join(dir, "m_indices.npy")); a.dtype != "int64" {
		t.Fatalf("indices of dtype %s", a.dtype)
	}
}

func TestBadInputIsOneLineAndAnExitCode(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out.npy")
	good := []string{td("x.npy"), td("y.npy"), td("b.npy"), td("g.npy")}
	with := func(k int, file string) []string {
		files := append([]string(nil), good...)
		files[k] = file
		return append(files, "-o", out)
	}
	cases := []struct {
		name string
		args []string
		code int
		msg  string // a part of the message
	}{
		{"no command", nil, exitUsage, "Usage"},
		{"unknown command", []string{"reduc"}, exitUsage, "unknown command"},
		{"unknown flag", reduceArgs(gauss, gaussAliases, append(with(0, td("x.npy")), "--nope")...), exitUsage, "nope"},
		{"no formula", []string{"reduce", "-o", out}, exitUsage, "--formula"},
		{"no output", reduceArgs(gauss, gaussAliases, good...), exitUsage, "-o"},
		{"file count", reduceArgs(gauss, gaussAliases, td("x.npy"), "-o", out), exitUsage, "takes 4 arguments"},
		{"bad threads", reduceArgs(gauss, gaussAliases, append(with(0, td("x.npy")), "--threads", "-2")...), exitUsage, "threads"},
		{"bad formula", reduceArgs("Exp(-g * SqDist(x, z)) * b", gaussAliases, with(0, td("x.npy"))...), exitSpec, "col 20"},
		{"bad alias", reduceArgs(gauss, []string{"--alias", "x = Vq(3)"}, with(0, td("x.npy"))...), exitSpec, "invalid alias"},
		{"bad reduction", reduceArgs(gauss, append(gaussAliases, "--reduction", "Mean"), with(0, td("x.npy"))...), exitSpec, "unknown reduction"},
		{"bad dtype-acc", reduceArgs(gauss, append(gaussAliases, "--dtype-acc", "int"), with(0, td("x.npy"))...), exitSpec, "dtype_acc"},
		{"missing file", reduceArgs(gauss, gaussAliases, with(0, filepath.Join(dir, "nope.npy"))...), exitInput, "nope.npy: cannot read"},
		{"directory", reduceArgs(gauss, gaussAliases, with(0, dir)...), exitInput, "directory"},
		{"bad magic", reduceArgs(gauss, gaussAliases, with(0, td("bad_magic.npy"))...), exitInput, "not a .npy file"},
		{"empty file", reduceArgs(gauss, gaussAliases, with(0, td("empty.npy"))...), exitInput, "not a .npy file"},
		{"truncated header", reduceArgs(gauss, gaussAliases, with(0, td("truncated_header.npy"))...), exitInput, "truncated .npy header"},
		{"truncated data", reduceArgs(gauss, gaussAliases, with(0, td("truncated_data.npy"))...), exitInput, "truncated"},
		{"bad header", reduceArgs(gauss, gaussAliases, with(0, td("bad_header.npy"))...), exitInput, "malformed .npy header"},
		{"int dtype", reduceArgs(gauss, gaussAliases, with(0, td("x_int.npy"))...), exitInput, "dtype int64, expected float32 or float64"},
		{"3-d input", reduceArgs(gauss, gaussAliases, with(0, td("x_3d.npy"))...), exitInput, "shape (1, 23, 3)"},
		{"wrong dim", reduceArgs(gauss, gaussAliases, with(2, td("x.npy"))...), exitInput, "expected (rows, 1) for b = Vj(1)"},
		{"rows disagree", reduceArgs(gauss, gaussAliases, with(1, td("x.npy"))...), exitInput, "rows"},
		{"mixed dtypes", reduceArgs(gauss, gaussAliases, with(0, td("x_f32.npy"))...), exitInput, "one dtype"},
		{"parameter shape", reduceArgs(gauss, gaussAliases, with(3, td("b.npy"))...), exitInput, "expected (1,) for g = Pm(1)"},
		{"ranges not npz", reduceArgs(gauss, append(gaussAliases, "--ranges", td("x.npy")), with(0, td("x.npy"))...), exitInput, "not a .npz file"},
		{"unwritable output", reduceArgs(gauss, gaussAliases, append(good, "-o", filepath.Join(dir, "no", "out.npy"))...), exitFailure, "cannot write"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, stderr := cli(t, c.args...)
			if code != c.code {
				t.Fatalf("exit %d, want %d: %s", code, c.code, stderr)
			}
			if !strings.Contains(stderr, c.msg) {
				t.Fatalf("stderr %q does not mention %q", stderr, c.msg)
			}
			if c.code != exitUsage || c.msg != "Usage" {
				if lines := strings.Count(strings.TrimSpace(stderr), "\n"); lines != 0 {
					t.Fatalf("%d lines on stderr: %q", lines+1, stderr)
				}
			}
			if strings.Contains(stderr, "goroutine") || strings.Contains(stderr, "panic") {
				t.Fatalf("a stack trace: %q", stderr)
			}
		})
	}
}

func TestRangesOutOfBounds(t *testing.T) {
	// ranges.npz is for M = 23 rows: on 10 rows its row blocks lie outside.
	dir := t.TempDir()
	x10 := filepath.Join(dir, "x10.npy")
	a, err := loadNpy(td("x.npy"))
	if err != nil {
		t.Fatal(err)
	}
	if err := writeNpy(x10, a.f64[:30], 10, 3); err != nil {
		t.Fatal(err)
	}
	code, stderr := cli(t, reduceArgs(gauss, append(gaussAliases, "--ranges", td("ranges.npz")),
		x10, td("y.npy"), td("b.npy"), td("g.npy"), "-o", filepath.Join(dir, "o.npy"))...)
	if code != exitInput || !strings.Contains(stderr, "ranges") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
}

func TestHelpAndProgress(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"reduce", "--help"}, &stdout, &stderr, false); code != exitOK ||
		!strings.Contains(stdout.String(), "Examples:") || !strings.Contains(stdout.String(), "Exit codes") {
		t.Fatalf("help: exit %d, %q", code, stdout.String())
	}
	out := filepath.Join(t.TempDir(), "o.npy")
	args := reduceArgs(gauss, gaussAliases, td("x.npy"), td("y.npy"), td("b.npy"), td("g.npy"), "-o", out, "-q")
	stderr.Reset()
	if code := run(context.Background(), append(args, "--progress", "always"), &stdout, &stderr, false); code != exitOK ||
		!strings.Contains(stderr.String(), "100%") {
		t.Fatalf("no progress bar with --progress always: exit %d, %q", code, stderr.String())
	}
	stderr.Reset()
	if code := run(context.Background(), args, &stdout, &stderr, true); code != exitOK || stderr.Len() != 0 {
		t.Fatalf("a progress bar for a short run on a terminal: exit %d, %q", code, stderr.String())
	}
	stderr.Reset()
	if code := run(context.Background(), args, &stdout, &stderr, false); code != exitOK || stderr.Len() != 0 {
		t.Fatalf("output when not a terminal and quiet: exit %d, %q", code, stderr.String())
	}
}

func TestInterruptedRunExits130(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var stdout, stderr bytes.Buffer
	args := reduceArgs(gauss, gaussAliases, td("x.npy"), td("y.npy"), td("b.npy"), td("g.npy"),
		"-o", filepath.Join(t.TempDir(), "o.npy"))
	if code := run(ctx, args, &stdout, &stderr, false); code != exitInterrupted {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
}

func TestFortranTranspose(t *testing.T) {
	// A (2, 3, 2) array in Fortran order: element (i, j, k) at i + 2j + 6k.
	shape := []int{2, 3, 2}
	src := make([]int, 12)
	for i := range src {
		src[i] = i
	}
	got := transpose(src, shape)
	for i := 0; i < 2; i++ {
		for j := 0; j < 3; j++ {
			for k := 0; k < 2; k++ {
				if c := (i*3+j)*2 + k; got[c] != i+2*j+6*k {
					t.Fatalf("(%d,%d,%d): %d", i, j, k, got[c])
				}
			}
		}
	}
}

func TestNpyVersions(t *testing.T) {
	// The same (2, 1) float64 array in the 1.0, 2.0 and 3.0 formats (as NumPy's
	// write_array(version=...) lays them out: 3.0 is 2.0 with a UTF-8 header).
	hdr := "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 1), }"
	data := make([]byte, 16)
	for i, v := range []float64{1.5, -2} {
		b := math.Float64bits(v)
		for k := 0; k < 8; k++ {
			data[8*i+k] = byte(b >> (8 * k))
		}
	}
	for _, major := range []byte{1, 2, 3} {
		pre := 10
		if major > 1 {
			pre = 12
		}
		h := hdr + strings.Repeat(" ", 63-(pre+len(hdr))%64) + "\n"
		raw := append([]byte("\x93NUMPY"), major, 0)
		n := len(h)
		raw = append(raw, byte(n), byte(n>>8))
		if major > 1 {
			raw = append(raw, byte(n>>16), byte(n>>24))
		}
		raw = append(append(raw, h...), data...)
		a, err := parseNpy("x.npy", raw)
		if err != nil {
			t.Fatalf("version %d.0: %v", major, err)
		}
		if len(a.f64) != 2 || a.f64[0] != 1.5 || a.f64[1] != -2 {
			t.Fatalf("version %d.0: %v", major, a.f64)
		}
	}
}
