package core

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gokeops/gokeops/internal/oracle"
)

// TestFoldLongTiles runs the radial folds (dot, diff, and the store mode
// under LogSumExp) over 1 to 3 columns, one partial tile, and several fold
// tiles (1024 float64 or 2048 float32 columns, the float32 loops by blocks
// of 256) with a tail, odd and even rows, against the oracle in float64.
// The specials send tiles to the exact loops: a NaN or an infinite point in
// one tile only, a row far from every point (its terms underflow, through
// the subnormals), an infinite row factor, -inf log-weights; a positive
// scale always.
func TestFoldLongTiles(t *testing.T) {
	cases := []struct{ f, red string }{
		{"Exp(-SqDist(x,y))*b", "Sum"},
		{"Exp(-p*SqDist(x,y))*b*s", "Sum"},
		{"Exp(-Sqrt(SqDist(x,y)))*b", "Sum"},
		{"Exp(p*SqDist(x,y))*b", "Sum"}, // a growing exponential: the exact loop
		{"Exp(-p*SqDist(x,y))*(y-x)", "Sum"},
		{"Grad(Exp(-SqDist(x,y))*b, x, s)", "Sum"},
		{"-p*SqDist(x,y)+b", "LogSumExp"},
		{"Exp(-p*SqDist(x,y))", "LogSumExp"},
	}
	for _, c := range cases {
		for _, d := range []int{1, 3} {
			for _, n := range []int{1, 2, 3, 300, 2*2048 + 300} {
				for _, m := range []int{5, 2} {
					for _, special := range []string{"", "nan", "inf", "far", "rowinf", "-inf"} {
						for _, f32 := range []bool{false, true} {
							if n < 300 && special != "" && special != "far" {
								continue
							}
							name := fmt.Sprintf("%s/%s/d%d/n%d/m%d/%s/f32=%v", c.red, c.f, d, n, m, special, f32)
							t.Run(name, func(t *testing.T) { checkFoldLong(t, c.f, c.red, d, m, n, special, f32) })
						}
					}
				}
			}
		}
	}
}

func checkFoldLong(t *testing.T, f, red string, d, m, n int, special string, f32 bool) {
	k, err := Compile(Spec{Formula: f, Aliases: foldAliases(d), Reduction: red, Axis: 1})
	if err != nil {
		t.Fatal(err)
	}
	if k.prog.fold == nil {
		t.Fatal("not planned as a fold")
	}
	rng := rand.New(rand.NewPCG(uint64(n), uint64(d)))
	x, y, b, s := make([]float64, m*d), make([]float64, n*d), make([]float64, n), make([]float64, m)
	for _, v := range [][]float64{x, y, b, s} {
		for i := range v {
			v[i] = math.Round(rng.NormFloat64()*8) / 8
		}
	}
	j := min(n-1, 2648) // in the second float32 tile (its third block), the third float64 one
	switch special {
	case "nan":
		y[j*d] = math.NaN()
	case "inf":
		y[j*d] = math.Inf(1)
	case "far":
		// Squared distances about 730 (float64) or 90 (float32): past
		// the exponent add's range, some terms subnormal, some zero.
		x[d] = 27
		if f32 {
			x[d] = 9.5
		}
		for jj := range b {
			b[jj] = math.Abs(b[jj]) + 1 // no cancellation among the tiny terms
		}
	case "rowinf":
		s[1] = math.Inf(1)
	case "-inf":
		b[j] = math.Inf(-1)
	}
	args := map[int][]float64{0: x, 1: y, 2: b, 3: s, 4: {0.5}}
	want := make([]float64, m*k.ValsDim)
	scale := make([]float64, m*k.ValsDim)
	for i := 0; i < m; i++ {
		terms := make([][]float64, n)
		for jj := 0; jj < n; jj++ {
			pair := make([][]float64, len(k.Sig))
			for a, v := range k.Sig {
				r := 0
				switch v.Ind {
				case 0, 3:
					r = i
				case 1, 2:
					r = jj
				}
				pair[a] = args[v.Ind][r*v.Dim : (r+1)*v.Dim]
			}
			terms[jj] = oracle.EvalArgs(k.Formula, pair)
		}
		if red == "LogSumExp" {
			mx := math.Inf(-1)
			for _, v := range terms {
				mx = math.Max(mx, v[0])
			}
			sum := 0.0
			for _, v := range terms {
				sum += math.Exp(v[0] - mx)
			}
			want[i], scale[i] = mx+math.Log(sum), 1+math.Abs(mx)
			if math.IsInf(mx, 0) {
				want[i] = mx
			}
			for _, v := range terms {
				if math.IsNaN(v[0]) {
					want[i] = math.NaN()
				}
			}
			continue
		}
		for c := 0; c < k.ValsDim; c++ {
			// Neumaier's compensated sum: the reference's own rounding
			// stays below the loops'.
			sum, comp := 0.0, 0.0
			for _, v := range terms {
				tv := sum + v[c]
				if math.Abs(sum) >= math.Abs(v[c]) {
					comp += (sum - tv) + v[c]
				} else {
					comp += (v[c] - tv) + sum
				}
				sum = tv
				scale[i*k.ValsDim+c] += math.Abs(v[c])
			}
			want[i*k.ValsDim+c] = sum + comp
			if math.IsInf(sum, 0) || math.IsNaN(sum) {
				want[i*k.ValsDim+c] = sum
			}
		}
	}
	var got []float64
	if f32 {
		c := &Call[float32]{ArgBatch: make([][]int, len(k.Sig)), M: m, N: n, Vals: make([]float32, len(want))}
		for _, v := range k.Sig {
			a := make([]float32, len(args[v.Ind]))
			for i, xv := range args[v.Ind] {
				a[i] = float32(xv)
			}
			c.Args = append(c.Args, a)
		}
		if err := Run(k, c); err != nil {
			t.Fatal(err)
		}
		for _, v := range c.Vals {
			got = append(got, float64(v))
		}
	} else {
		c := &Call[float64]{ArgBatch: make([][]int, len(k.Sig)), M: m, N: n, Vals: make([]float64, len(want))}
		for _, v := range k.Sig {
			c.Args = append(c.Args, args[v.Ind])
		}
		if err := Run(k, c); err != nil {
			t.Fatal(err)
		}
		got = c.Vals
	}
	// float64: the sums to 1e-13 of the sum of the terms' magnitudes (each
	// term within 1e-15; the lanes add hundreds of terms one after the
	// other); float32: 1e-5. Plus, for the far row, an absolute error a
	// term of some subnormal ulps (float32: the factors' products of a
	// subnormal kernel value keep few bits), far below the smallest normal
	// number, the value a clamped exp would give.
	tol, tiny := 1e-13, float64(n)*64*math.SmallestNonzeroFloat64
	if f32 {
		tol, tiny = 1e-5, float64(n)*1e-42
	}
	for i, w := range want {
		g := got[i]
		if f32 && math.Abs(w) > math.MaxFloat32 {
			w = math.Inf(int(math.Copysign(1, w))) // past float32's range
		}
		switch {
		case math.IsNaN(w) || math.IsInf(w, 0):
			if !(math.IsNaN(w) && math.IsNaN(g)) && g != w {
				t.Fatalf("value %d: got %v, want %v", i, g, w)
			}
		case !(math.Abs(g-w) <= tol*scale[i]+tiny):
			t.Fatalf("value %d: got %v, want %v (scale %v)", i, g, w, scale[i])
		}
	}
}
