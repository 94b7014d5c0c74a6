package keops_test

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"sort"
	"testing"
	"time"

	"github.com/gokeops/gokeops/pkg/keops"
)

func randn(r *rand.Rand, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = r.NormFloat64()
	}
	return out
}

func to32(x []float64) []float32 {
	out := make([]float32, len(x))
	for i, v := range x {
		out[i] = float32(v)
	}
	return out
}

// denseGauss is the dense float64 reference of Sum(Exp(-g*SqDist(x,y))*b).
func denseGauss(x, y, b []float64, d int, g float64, axis int) []float64 {
	m, n := len(x)/d, len(y)/d
	outer := m
	if axis == 0 {
		outer = n
	}
	out := make([]float64, outer)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			s := 0.0
			for k := 0; k < d; k++ {
				t := x[i*d+k] - y[j*d+k]
				s += t * t
			}
			if axis == 1 {
				out[i] += math.Exp(-g*s) * b[j]
			} else {
				out[j] += math.Exp(-g*s) * b[i]
			}
		}
	}
	return out
}

func closeTo(t *testing.T, got []float64, want []float64, rtol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d values, want %d", len(got), len(want))
	}
	for i := range got {
		if math.Abs(got[i]-want[i]) > rtol*(1+math.Abs(want[i])) {
			t.Fatalf("value %d: got %g, want %g", i, got[i], want[i])
		}
	}
}

func TestGaussianSumMatchesDense(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const m, n, d = 300, 700, 3
	x, y := randn(r, m*d), randn(r, n*d)
	g := []float64{0.5}
	for _, axis := range []int{0, 1} {
		bn := n
		if axis == 0 {
			bn = m
		}
		b := randn(r, bn)
		aliases := []string{"x = Vi(3)", "y = Vj(3)", "b = Vj(1)", "g = Pm(1)"}
		if axis == 0 {
			aliases[2] = "b = Vi(1)"
		}
		k, err := keops.Compile(keops.Spec{Formula: "Exp(-g * SqDist(x, y)) * b", Aliases: aliases,
			Reduction: "Sum", Axis: axis})
		if err != nil {
			t.Fatal(err)
		}
		want := denseGauss(x, y, b, d, g[0], axis)
		res, err := keops.Run(context.Background(), k, [][]float64{x, y, b, g})
		if err != nil {
			t.Fatal(err)
		}
		closeTo(t, res.Values, want, 1e-10)
		res32, err := keops.Run(context.Background(), k, [][]float32{to32(x), to32(y), to32(b), to32(g)})
		if err != nil {
			t.Fatal(err)
		}
		got := make([]float64, len(res32.Values))
		for i, v := range res32.Values {
			got[i] = float64(v)
		}
		closeTo(t, got, want, 1e-4)
	}
}

func TestArgKMinMatchesSort(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	const m, n, d, K = 50, 400, 2, 5
	x, y := randn(r, m*d), randn(r, n*d)
	k := keops.MustCompile(keops.Spec{Formula: "SqDist(x, y)", Aliases: []string{"x = Vi(2)", "y = Vj(2)"},
		Reduction: "ArgKMin", OptArg: K, Axis: 1})
	res, err := keops.Run(context.Background(), k, [][]float64{x, y})
	if err != nil {
		t.Fatal(err)
	}
	if res.Dim != 0 || res.IndexDim != K || len(res.Indices) != m*K {
		t.Fatalf("dims %d %d, %d indices", res.Dim, res.IndexDim, len(res.Indices))
	}
	for i := 0; i < m; i++ {
		idx := make([]int, n)
		dist := make([]float64, n)
		for j := range idx {
			idx[j] = j
			dist[j] = (x[2*i]-y[2*j])*(x[2*i]-y[2*j]) + (x[2*i+1]-y[2*j+1])*(x[2*i+1]-y[2*j+1])
		}
		sort.SliceStable(idx, func(a, b int) bool { return dist[idx[a]] < dist[idx[b]] })
		for q := 0; q < K; q++ {
			if got := res.Indices[i*K+q]; got != int64(idx[q]) {
				t.Fatalf("row %d, neighbour %d: got %d, want %d", i, q, got, idx[q])
			}
		}
	}
}

func TestLogSumExpMatchesDense(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	const m, n = 40, 90
	x, y := randn(r, m), randn(r, n)
	k := keops.MustCompile(keops.Spec{Formula: "-SqDist(x, y)", Aliases: []string{"x = Vi(1)", "y = Vj(1)"},
		Reduction: "LogSumExp", Axis: 1, DtypeAcc: "float64", SumScheme: "kahan_scheme"})
	res, err := keops.Run(context.Background(), k, [][]float32{to32(x), to32(y)})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < m; i++ {
		s := 0.0
		for j := 0; j < n; j++ {
			s += math.Exp(-(float64(float32(x[i])) - float64(float32(y[j]))) * (float64(float32(x[i])) - float64(float32(y[j]))))
		}
		if want := math.Log(s); math.Abs(float64(res.Values[i])-want) > 1e-5*(1+math.Abs(want)) {
			t.Fatalf("row %d: got %g, want %g", i, res.Values[i], want)
		}
	}
}

func TestProgressPiecesGiveTheSameResult(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	const m, n = 1234, 300
	x, y, b := randn(r, 3*m), randn(r, 3*n), randn(r, n)
	for _, red := range []struct {
		name string
		opt  int
	}{{"Sum", 0}, {"KMin_ArgKMin", 3}} {
		k := keops.MustCompile(keops.Spec{Formula: "Exp(-SqDist(x, y)) * b",
			Aliases: []string{"x = Vi(3)", "y = Vj(3)", "b = Vj(1)"}, Reduction: red.name, OptArg: red.opt, Axis: 1})
		whole, err := keops.Run(context.Background(), k, [][]float64{x, y, b})
		if err != nil {
			t.Fatal(err)
		}
		var calls, last int
		pieces, err := keops.Run(context.Background(), k, [][]float64{x, y, b}, keops.WithProgress(func(done, total int) {
			if total != m || done < last {
				t.Errorf("progress(%d, %d) after %d", done, total, last)
			}
			calls, last = calls+1, done
		}))
		if err != nil {
			t.Fatal(err)
		}
		if last != m || calls < 10 {
			t.Fatalf("%d progress calls, last done = %d", calls, last)
		}
		for i := range whole.Values {
			if whole.Values[i] != pieces.Values[i] {
				t.Fatalf("%s value %d: %g in one run, %g in pieces", red.name, i, whole.Values[i], pieces.Values[i])
			}
		}
		for i := range whole.Indices {
			if whole.Indices[i] != pieces.Indices[i] {
				t.Fatalf("%s index %d differs", red.name, i)
			}
		}
	}
}

func TestCancelStopsALongRun(t *testing.T) {
	const m = 200_000 // 4e10 pairs: minutes if it ran to the end
	x := make([]float64, m*3)
	k := keops.MustCompile(keops.Spec{Formula: "Exp(-SqDist(x, y))", Aliases: []string{"x = Vi(3)", "y = Vj(3)"},
		Reduction: "Sum", Axis: 1})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := keops.Run(ctx, k, [][]float64{x, x})
	if !errors.Is(err, keops.ErrCancelled) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want a cancellation", err)
	}
	// Generous: the run stops between tiles, well within a second.
	if el := time.Since(start); el > 10*time.Second {
		t.Fatalf("cancelled run took %v", el)
	}
}

func TestThreadsDoNotChangeTheResult(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	x, y := randn(r, 3*2000), randn(r, 3*500)
	k := keops.MustCompile(keops.Spec{Formula: "Exp(-SqDist(x, y))", Aliases: []string{"x = Vi(3)", "y = Vj(3)"},
		Reduction: "Sum", Axis: 1})
	one, err := keops.Run(keops.WithThreads(context.Background(), 1), k, [][]float64{x, y})
	if err != nil {
		t.Fatal(err)
	}
	four, err := keops.Run(keops.WithThreads(context.Background(), 4), k, [][]float64{x, y})
	if err != nil {
		t.Fatal(err)
	}
	for i := range one.Values {
		if one.Values[i] != four.Values[i] {
			t.Fatalf("row %d: %g with 1 thread, %g with 4", i, one.Values[i], four.Values[i])
		}
	}
}

func TestCompileErrorKinds(t *testing.T) {
	base := keops.Spec{Formula: "SqDist(x, y)", Aliases: []string{"x = Vi(3)", "y = Vj(3)"}, Reduction: "Sum", Axis: 1}
	cases := []struct {
		name string
		edit func(*keops.Spec)
		kind error
	}{
		{"syntax", func(s *keops.Spec) { s.Formula = "SqDist(x, y" }, keops.ErrFormula},
		{"unknown name", func(s *keops.Spec) { s.Formula = "SqDist(x, q)" }, keops.ErrFormula},
		{"dimensions", func(s *keops.Spec) { s.Aliases[1] = "y = Vj(2)" }, keops.ErrFormula},
		{"empty formula", func(s *keops.Spec) { s.Formula = " " }, keops.ErrFormula},
		{"bad alias", func(s *keops.Spec) { s.Aliases[0] = "x = Vk(3)" }, keops.ErrAlias},
		{"alias dimension", func(s *keops.Spec) { s.Aliases[0] = "x = Vi(0)" }, keops.ErrAlias},
		{"reduction", func(s *keops.Spec) { s.Reduction = "Average" }, keops.ErrReduction},
		{"axis", func(s *keops.Spec) { s.Axis = 2 }, keops.ErrOption},
		{"opt_arg missing", func(s *keops.Spec) { s.Reduction = "KMin" }, keops.ErrOption},
		{"dtype_acc", func(s *keops.Spec) { s.DtypeAcc = "int8" }, keops.ErrOption},
		{"sum_scheme", func(s *keops.Spec) { s.SumScheme = "pairwise" }, keops.ErrOption},
		{"dtype", func(s *keops.Spec) { s.Dtype = "float16" }, keops.ErrOption},
		{"scalar formula", func(s *keops.Spec) { s.Formula, s.Reduction = "x - y", "LogSumExp" }, keops.ErrFormula},
	}
	for _, c := range cases {
		s := base
		s.Aliases = append([]string(nil), base.Aliases...)
		c.edit(&s)
		_, err := keops.Compile(s)
		var e *keops.Error
		if !errors.Is(err, c.kind) || !errors.As(err, &e) || e.Msg == "" {
			t.Errorf("%s: got %v, want kind %v", c.name, err, c.kind)
		}
	}
}

func TestRunErrorKinds(t *testing.T) {
	k := keops.MustCompile(keops.Spec{Formula: "SqDist(x, y) * s", Aliases: []string{"x = Vi(3)", "y = Vj(3)", "s = Pm(1)"},
		Reduction: "Sum", Axis: 1, Dtype: "float64"})
	ok := [][]float64{make([]float64, 6), make([]float64, 9), {1}}
	if _, err := keops.Run(context.Background(), k, ok); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		err  error
		kind error
		arg  int
	}{
		{"count", run(k, ok[:2]), keops.ErrShape, -1},
		{"not rows*dim", run(k, [][]float64{make([]float64, 7), ok[1], ok[2]}), keops.ErrShape, 0},
		{"parameter", run(k, [][]float64{ok[0], ok[1], {1, 2}}), keops.ErrShape, 2},
		{"sizes", run(k, ok, keops.WithSizes(3, 3)), keops.ErrShape, 0},
		{"batch", run(k, ok, keops.WithBatch([]int{2}, nil)), keops.ErrShape, 1},
		{"ranges", run(k, ok, keops.WithRanges(keops.Ranges{RangesI: []int64{0, 5}, SlicesI: []int64{1}, RedRangesJ: []int64{0, 3}})), keops.ErrShape, -1},
		{"dtype", func() error {
			_, err := keops.Run(context.Background(), k, [][]float32{make([]float32, 6), make([]float32, 9), {1}})
			return err
		}(), keops.ErrDtype, -1},
	}
	for _, c := range cases {
		var e *keops.Error
		if !errors.Is(c.err, c.kind) || !errors.As(c.err, &e) || e.Arg != c.arg {
			t.Errorf("%s: got %v (arg %d), want kind %v, arg %d", c.name, c.err, e.Arg, c.kind, c.arg)
		}
	}
}

func run(k *keops.Kernel, args [][]float64, opts ...keops.Option) error {
	_, err := keops.Run(context.Background(), k, args, opts...)
	return err
}

func TestKernelDescribesItsArguments(t *testing.T) {
	k := keops.MustCompile(keops.Spec{Formula: "SqDist(x, y) * s", Aliases: []string{"y = Vj(1, 2)", "x = Vi(0, 2)", "s = Pm(2, 1)"},
		Reduction: "KMin", OptArg: 3, Axis: 1})
	args := k.Args()
	want := []keops.Arg{{0, "x", keops.I, 2}, {1, "y", keops.J, 2}, {2, "s", keops.Param, 1}}
	if len(args) != 3 {
		t.Fatalf("args %v", args)
	}
	for i := range want {
		if args[i] != want[i] {
			t.Errorf("arg %d: %+v, want %+v", i, args[i], want[i])
		}
	}
	if a, ok := k.Arg("y"); !ok || a.Index != 1 {
		t.Errorf("Arg(y) = %v, %v", a, ok)
	}
	if k.Dim() != 3 || k.IndexDim() != 0 {
		t.Errorf("Dim %d IndexDim %d", k.Dim(), k.IndexDim())
	}
}
