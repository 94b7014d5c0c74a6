package core

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gokeops/gokeops/internal/oracle"
	"github.com/gokeops/gokeops/pkg/formula"
)

// foldCases are Sums the planner must run as radial folds, with the mode.
var foldCases = []struct {
	f    string
	mode foldMode
}{
	{"Exp(-SqDist(x,y))*b", foldDot},
	{"Exp(-Sum(Square(x-y)))*b", foldDot},
	{"Exp(-p*SqDist(x,y))", foldDot},
	{"b*(-(s*Inv(1+SqDist(y,x))))*p", foldDot},
	{"Exp(-Sqrt(SqDist(x,y)))*b*s", foldDot},
	{"Grad(Exp(-SqDist(x,y))*b, x, s)", foldDiff},
	{"Exp(-p*SqDist(x,y))*(y-x)", foldDiff},
	{"(x-y)*(Inv(1+SqDist(x,y))*b)", foldDiff},
	// Other spellings of the same kernels (formula.Canonical and the
	// matchers): what LazyTensor, gpytorch, geomloss and tutorials write.
	{"Exp(-SqNorm2(x-y)*p)*b", foldDot},
	{"Exp(SqDist(x,y)*(-p))*b", foldDot},
	{"Exp(-((x-y)|(x-y)))*b", foldDot},
	{"Exp(-Sum(Pow(x-y,2)))*b", foldDot},
	{"Exp(-Sum(Square(x-y))/IntCst(2))*b", foldDot},
	{"Exp(-p*Norm2(x-y))*b", foldDot},
	{"Inv(1+p*Sum(Square(y-x)))*b", foldDot},
	{"Grad(Exp(-Sum(Square(x-y)))*b, x, s)", foldDiff},
	{"Grad(Exp(-Sum(Square(x-y))/IntCst(2))*b, y, s)", foldDiff},
	{"Grad(Exp(-((x-y)|(x-y))*p)*b, x, s)", foldDiff},
	{"-(2*(x-y))*Exp(-SqDist(x,y))*b", foldDiff},
}

func foldAliases(d int) []string {
	return []string{fmt.Sprintf("x=Vi(%d)", d), fmt.Sprintf("y=Vj(%d)", d), "b=Vj(1)", "s=Vi(1)", "p=Pm(1)"}
}

// TestFoldPlanned checks that the radial fold cases are planned as folds
// (with no per-pair instruction), and that near misses are not.
func TestFoldPlanned(t *testing.T) {
	for _, c := range foldCases {
		k, err := Compile(Spec{Formula: c.f, Aliases: foldAliases(3), Reduction: "Sum", Axis: 1})
		if err != nil {
			t.Fatal(err)
		}
		// The store mode's one pair instruction is its fused kernel.
		pairs := len(k.prog.instrs[levelPair])
		if fd := k.prog.fold; fd == nil || fd.mode != c.mode || pairs != 0 && c.mode != foldStore {
			t.Errorf("%s: fold %+v, %d pair instructions", c.f, fd, pairs)
		}
	}
	for _, f := range []string{
		"Exp(-SqDist(x,y))*Exp(-SqDist(x,y))", // two kernels
		"Exp(-SqDist(x,y))*b*SqNorm2(x-y)",    // a factor of both i and j
		"Exp(-SqDist(x,y))*(x-x)",             // not x - y
	} {
		k, err := Compile(Spec{Formula: f, Aliases: foldAliases(3), Reduction: "Sum", Axis: 1})
		if err != nil {
			t.Fatal(err)
		}
		if k.prog.fold != nil {
			t.Errorf("%s: planned as a fold", f)
		}
	}
	// A radial kernel alone, under any reduction: the store mode.
	for _, c := range []struct{ f, red string }{
		{"-SqDist(x,y)+b", "Sum"}, {"-p*SqDist(x,y)+b", "LogSumExp"}, {"Exp(-SqDist(x,y))", "ArgMin"},
		{"Inv(1+SqDist(x,y))", "KMin"},
	} {
		k, err := Compile(Spec{Formula: c.f, Aliases: foldAliases(3), Reduction: c.red, Axis: 1, OptArg: map[bool]int{true: 3}[c.red == "KMin"]})
		if err != nil {
			t.Fatal(err)
		}
		if fd := k.prog.fold; fd == nil || fd.mode != foldStore {
			t.Errorf("%s %s: fold %+v, want the store mode", c.red, c.f, fd)
		}
	}
	// The formulas clients send (no aliases): the LazyTensor chain of W9, a
	// parameterised Gaussian, the backward of the chain (torch), gpytorch's
	// RBF kernel, and geomloss' online softmin (LogSumExp, the store mode).
	for _, c := range []struct {
		f, red string
		mode   foldMode
	}{
		{"(Exp(Minus(Sum(Square((Var(0,3,0) - Var(1,3,1)))))) * Var(2,1,1))", "Sum", foldDot},
		{"(Exp(Minus((Var(3,1,2) * SqDist(Var(0,3,0),Var(1,3,1))))) * Var(2,1,1))", "Sum", foldDot},
		{"Grad((Exp(Minus(Sum(Square((Var(0,3,0) - Var(1,3,1)))))) * Var(2,1,1)),Var(0,3,0),Var(3,1,0))", "Sum", foldDiff},
		{"(Exp((Minus(Sum(Square((Var(0,2,0) - Var(1,2,1))))) / IntCst(2))) * Var(2,1,1))", "Sum", foldDot},
		{"( Var(2,1,1) - (Var(3,1,2) * (SqDist(Var(0,3,0),Var(1,3,1)) / IntCst(2)) ) )", "LogSumExp", foldStore},
	} {
		k, err := Compile(Spec{Formula: c.f, Reduction: c.red, Axis: 1})
		if err != nil {
			t.Fatal(err)
		}
		// The store mode's one pair instruction is its fused kernel.
		pairs := len(k.prog.instrs[levelPair])
		if fd := k.prog.fold; fd == nil || fd.mode != c.mode || pairs != 0 && c.mode != foldStore {
			t.Errorf("%s: fold %+v, %d pair instructions", c.f, fd, pairs)
		}
	}
	k, _ := Compile(Spec{Formula: foldCases[0].f, Aliases: foldAliases(3), Reduction: "Sum", Axis: 1, SumScheme: "kahan_scheme"})
	if k.prog.fold != nil {
		t.Errorf("kahan_scheme: planned as a fold")
	}
}

// TestFoldDims runs every fold case at dimensions 1 to 6 (the generated
// loops and the portable loop past them), on both axes and dtypes, with row
// counts odd and even and tile tails, against the oracle summed in float64;
// some inputs are NaN or infinite.
func TestFoldDims(t *testing.T) {
	for _, c := range foldCases {
		for d := 1; d <= 6; d++ {
			for _, axis := range []int{1, 0} {
				for _, f32 := range []bool{false, true} {
					for _, special := range []bool{false, true} {
						name := fmt.Sprintf("%s/d%d/axis%d/f32=%v/special=%v", c.f, d, axis, f32, special)
						t.Run(name, func(t *testing.T) { checkFold(t, c.f, d, axis, f32, special) })
					}
				}
			}
		}
	}
}

func checkFold(t *testing.T, f string, d, axis int, f32, special bool) {
	k, err := Compile(Spec{Formula: f, Aliases: foldAliases(d), Reduction: "Sum", Axis: axis})
	if err != nil {
		t.Fatal(err)
	}
	if k.prog.fold == nil {
		t.Fatal("not planned as a fold")
	}
	m, n := 7, 300 // odd rows; 300 = a full tile and a tail of 44
	if axis == 0 {
		m, n = 300, 7
	}
	rng := rand.New(rand.NewPCG(uint64(d), uint64(axis)))
	rows := []int{m, n, n, m, 1} // x, y, b, s, p
	cats := []formula.Cat{formula.CatI, formula.CatJ, formula.CatJ, formula.CatI, formula.CatParm}
	dims := []int{d, d, 1, 1, 1}
	args := make([][]float64, len(k.Sig))
	for a, v := range k.Sig {
		idx := v.Ind
		vals := make([]float64, rows[idx]*dims[idx])
		for i := range vals {
			vals[i] = math.Round(rng.NormFloat64()*8) / 8
		}
		if cats[idx] == formula.CatParm {
			vals[0] = 0.5
		}
		args[a] = vals
	}
	if special {
		// A NaN point, an infinite weight, an infinite point.
		for a, v := range k.Sig {
			switch v.Ind {
			case 1:
				args[a][2*d] = math.NaN()
				args[a][5*d] = math.Inf(1)
			case 2:
				args[a][3] = math.Inf(1)
			}
		}
	}
	outer := m
	if axis == 0 {
		outer = n
	}
	want := make([]float64, outer*k.ValsDim)
	for o := 0; o < outer; o++ {
		for inner := 0; inner < m+n-outer; inner++ {
			i, j := o, inner
			if axis == 0 {
				i, j = inner, o
			}
			pair := make([][]float64, len(k.Sig))
			for a, v := range k.Sig {
				r := 0
				switch cats[v.Ind] {
				case formula.CatI:
					r = i
				case formula.CatJ:
					r = j
				}
				pair[a] = args[a][r*v.Dim : (r+1)*v.Dim]
			}
			for c, v := range oracle.EvalArgs(k.Formula, pair) {
				want[o*k.ValsDim+c] += v
			}
		}
	}
	var got []float64
	if f32 {
		c := &Call[float32]{ArgBatch: make([][]int, len(args)), M: m, N: n, Vals: make([]float32, len(want))}
		for _, a := range args {
			v := make([]float32, len(a))
			for i, x := range a {
				v[i] = float32(x)
			}
			c.Args = append(c.Args, v)
		}
		if err := Run(k, c); err != nil {
			t.Fatal(err)
		}
		for _, v := range c.Vals {
			got = append(got, float64(v))
		}
	} else {
		c := &Call[float64]{Args: args, ArgBatch: make([][]int, len(args)), M: m, N: n, Vals: make([]float64, len(want))}
		if err := Run(k, c); err != nil {
			t.Fatal(err)
		}
		got = c.Vals
	}
	tol := 1e-13
	if f32 {
		tol = 1e-5
	}
	for i, w := range want {
		g := got[i]
		switch {
		case math.IsNaN(w) || math.IsInf(w, 0):
			if !(math.IsNaN(w) && math.IsNaN(g)) && g != w {
				t.Fatalf("value %d: got %v, want %v", i, g, w)
			}
		case math.Abs(g-w) > tol*(1+math.Abs(w)):
			t.Fatalf("value %d: got %v, want %v", i, g, w)
		}
	}
}

// TestFoldRangesPacked runs folds and LogSumExp over ranges of many short
// spans (packed end to end into tiles, across tile boundaries, a span
// visited twice), both dtypes, against the oracle over the visited columns.
func TestFoldRangesPacked(t *testing.T) {
	const m, n, d = 9, 400, 3
	// Row blocks [0,4) and [4,9); the first visits 60 spans of 1 to 12
	// columns (some twice), the second one long span and one short.
	var red, slices []int64
	rng := rand.New(rand.NewPCG(7, 8))
	for s := 0; s < 60; s++ {
		lo := rng.IntN(n - 12)
		red = append(red, int64(lo), int64(lo+1+rng.IntN(12)))
	}
	red = append(red, red[10], red[11]) // visited twice
	slices = append(slices, int64(len(red)/2))
	red = append(red, 3, 390, 395, 398)
	slices = append(slices, int64(len(red)/2))
	rg := &Ranges{RangesI: []int64{0, 4, 4, 9}, SlicesI: slices, RedRangesJ: red}
	for _, c := range []struct{ f, red string }{
		{"Exp(-SqDist(x,y))*b", "Sum"}, {"Exp(-p*SqDist(x,y))*(y-x)*s", "Sum"},
		{"-p*SqDist(x,y)+b", "LogSumExp"}, {"Sin(x-y)*b", "Sum"},
	} {
		k, err := Compile(Spec{Formula: c.f, Aliases: foldAliases(d), Reduction: c.red, Axis: 1})
		if err != nil {
			t.Fatal(err)
		}
		rows := []int{m, n, n, m, 1}
		dims := []int{d, d, 1, 1, 1}
		args := make([][]float64, len(k.Sig))
		for a, v := range k.Sig {
			args[a] = make([]float64, rows[v.Ind]*dims[v.Ind])
			for i := range args[a] {
				args[a][i] = math.Round(rng.NormFloat64()*8) / 8
			}
			if v.Ind == 4 {
				args[a][0] = 0.5
			}
		}
		want := make([]float64, m*k.ValsDim)
		for i := 0; i < m; i++ {
			blk, lo := 1, slices[0]
			if i < 4 {
				blk, lo = 0, 0
			}
			var terms [][]float64
			for s := lo; s < slices[blk]; s++ {
				for j := int(red[2*s]); j < int(red[2*s+1]); j++ {
					pair := make([][]float64, len(k.Sig))
					for a, v := range k.Sig {
						r := 0
						switch v.Ind {
						case 0, 3:
							r = i
						case 1, 2:
							r = j
						}
						pair[a] = args[a][r*dims[v.Ind] : (r+1)*dims[v.Ind]]
					}
					terms = append(terms, oracle.EvalArgs(k.Formula, pair))
				}
			}
			if c.red == "LogSumExp" {
				mx := math.Inf(-1)
				for _, v := range terms {
					mx = math.Max(mx, v[0])
				}
				s := 0.0
				for _, v := range terms {
					s += math.Exp(v[0] - mx)
				}
				want[i] = mx + math.Log(s)
				continue
			}
			for _, v := range terms {
				for cc := range v {
					want[i*k.ValsDim+cc] += v[cc]
				}
			}
		}
		for _, f32 := range []bool{false, true} {
			var got []float64
			if f32 {
				cl := &Call[float32]{ArgBatch: make([][]int, len(args)), M: m, N: n, Ranges: rg, Vals: make([]float32, len(want))}
				for _, a := range args {
					v := make([]float32, len(a))
					for i, x := range a {
						v[i] = float32(x)
					}
					cl.Args = append(cl.Args, v)
				}
				if err := Run(k, cl); err != nil {
					t.Fatal(err)
				}
				for _, v := range cl.Vals {
					got = append(got, float64(v))
				}
			} else {
				cl := &Call[float64]{Args: args, ArgBatch: make([][]int, len(args)), M: m, N: n, Ranges: rg, Vals: make([]float64, len(want))}
				if err := Run(k, cl); err != nil {
					t.Fatal(err)
				}
				got = cl.Vals
			}
			tol := 1e-13
			if f32 {
				tol = 1e-5
			}
			for i, w := range want {
				if math.Abs(got[i]-w) > tol*(1+math.Abs(w)) {
					t.Errorf("%s %s f32=%v: value %d: got %v, want %v", c.red, c.f, f32, i, got[i], w)
				}
			}
		}
	}
}

// TestFoldStoreLogSumExp checks LogSumExp of a lone radial kernel (the
// store mode, whose loop also finds the tile's extremes) against the
// oracle, with tile tails, NaN points, infinite log-weights of both
// signs and a term far above the others, both dtypes.
// The second formula is geomloss' online softmin (w - s*d).
func TestFoldStoreLogSumExp(t *testing.T) {
	for _, n := range []int{5, 300} {
		for _, special := range []string{"", "nan", "+inf", "-inf", "all-inf", "big"} {
			for _, f := range []string{"-p*SqDist(x,y)+b", "b - (p*(SqDist(x,y)/IntCst(2)))"} {
				testFoldStoreLogSumExp(t, f, n, special)
			}
		}
	}
}

func testFoldStoreLogSumExp(t *testing.T, f string, n int, special string) {
	k, err := Compile(Spec{Formula: f, Aliases: foldAliases(3), Reduction: "LogSumExp", Axis: 1})
	if err != nil {
		t.Fatal(err)
	}
	if fd := k.prog.fold; fd == nil || fd.mode != foldStore {
		t.Fatalf("%s: fold %+v, want the store mode", f, fd)
	}
	const m = 5
	rng := rand.New(rand.NewPCG(uint64(n), 9))
	x, y, b := make([]float64, 3*m), make([]float64, 3*n), make([]float64, n)
	for _, v := range [][]float64{x, y, b} {
		for i := range v {
			v[i] = math.Round(rng.NormFloat64()*8) / 8
		}
	}
	switch special {
	case "nan":
		y[3*(n-1)] = math.NaN()
	case "+inf":
		b[n/2] = math.Inf(1)
	case "-inf":
		b[n-1] = math.Inf(-1)
	case "big": // a wrong shift would overflow the exponentials
		b[2] = 1000
	case "all-inf":
		for j := range b {
			b[j] = math.Inf(-1)
		}
	}
	want := make([]float64, m)
	for i := 0; i < m; i++ {
		terms := make([]float64, n)
		mx := math.Inf(-1)
		for j := range terms {
			terms[j] = oracle.EvalArgs(k.Formula, [][]float64{x[3*i : 3*i+3], y[3*j : 3*j+3], b[j : j+1], {0}, {0.5}})[0]
			mx = math.Max(mx, terms[j])
		}
		s := 0.0
		for _, v := range terms {
			s += math.Exp(v - mx)
		}
		want[i] = mx + math.Log(s)
		if math.IsInf(mx, 0) {
			want[i] = mx
		}
	}
	for _, f32 := range []bool{false, true} {
		args := [][]float64{x, y, b, make([]float64, m), {0.5}}
		var got []float64
		if f32 {
			c := &Call[float32]{ArgBatch: make([][]int, 5), M: m, N: n, Vals: make([]float32, m)}
			for _, a := range args {
				v := make([]float32, len(a))
				for i := range a {
					v[i] = float32(a[i])
				}
				c.Args = append(c.Args, v)
			}
			if err := Run(k, c); err != nil {
				t.Fatal(err)
			}
			for _, v := range c.Vals {
				got = append(got, float64(v))
			}
		} else {
			c := &Call[float64]{Args: args, ArgBatch: make([][]int, 5), M: m, N: n, Vals: make([]float64, m)}
			if err := Run(k, c); err != nil {
				t.Fatal(err)
			}
			got = c.Vals
		}
		tol := 1e-13
		if f32 {
			tol = 1e-5
		}
		for i, w := range want {
			g := got[i]
			if math.IsNaN(w) != math.IsNaN(g) || math.IsInf(w, 0) && g != w || !math.IsInf(w, 0) && !(math.Abs(g-w) <= tol*(1+math.Abs(w))) && !math.IsNaN(w) {
				t.Errorf("n=%d %s f32=%v: row %d: got %v, want %v", n, special, f32, i, g, w)
			}
		}
	}
}
