package core

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestCanonicalExact checks that the spellings formula.Canonical rewrites
// to SqNorm2 compute, in the interpreter of both dtypes, bit for bit what
// they spell: the rounded squares summed in order, in the dtype. Max over
// j returns one term unchanged, infinite inputs included.
func TestCanonicalExact(t *testing.T) {
	for _, f := range []string{"Sum(Square(x+y))", "(x+y)|(x+y)", "SqNorm2(x+y)"} {
		t.Run(f, func(t *testing.T) {
			checkCanonicalExact[float64](t, f)
			checkCanonicalExact[float32](t, f)
		})
	}
}

func checkCanonicalExact[T float](t *testing.T, f string) {
	const m, n, d = 5, 300, 3
	k, err := Compile(Spec{Formula: f, Aliases: []string{"x=Vi(3)", "y=Vj(3)"}, Reduction: "Max", Axis: 1})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	x, y := make([]T, m*d), make([]T, n*d)
	for _, v := range [][]T{x, y} {
		for i := range v {
			v[i] = T(rng.NormFloat64() * math.Pow(2, float64(rng.IntN(30)-15)))
		}
	}
	y[20] = T(math.Inf(1))
	x[4] = T(math.Inf(-1))
	c := &Call[T]{Args: [][]T{x, y}, ArgBatch: make([][]int, 2), M: m, N: n, Vals: make([]T, m)}
	if err := Run(k, c); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < m; i++ {
		var best T
		for j := 0; j < n; j++ {
			var s T
			for c := 0; c < d; c++ {
				v := x[i*d+c] + y[j*d+c]
				s += T(v * v)
			}
			if j == 0 || s > best {
				best = s
			}
		}
		if g := c.Vals[i]; g != best {
			t.Errorf("%T row %d: got %v, want %v", best, i, g, best)
		}
	}
}
