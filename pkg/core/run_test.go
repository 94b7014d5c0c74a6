package core

import (
	"math"
	"math/rand/v2"
	"testing"
)

func randn(rng *rand.Rand, n int) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = rng.NormFloat64()
	}
	return x
}

// TestGaussianSum checks the kernel density example against a dense loop.
func TestGaussianSum(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, sz := range [][2]int{{1, 1}, {1, 1000}, {7, 3}, {300, 517}, {1000, 1}} {
		m, n := sz[0], sz[1]
		x, y, b := randn(rng, 3*m), randn(rng, 3*n), randn(rng, n)
		for _, axis := range []int{0, 1} {
			k, err := Compile(Spec{Formula: "Exp(-G*SqDist(x,y))*b", Aliases: []string{"x=Vi(3)", "y=Vj(3)", "b=Vj(1)", "G=Pm(1)"}, Reduction: "Sum", Axis: axis})
			if err != nil {
				t.Fatal(err)
			}
			rows := n
			if axis == 1 {
				rows = m
			}
			out := make([]float64, rows)
			g := []float64{0.5}
			err = Run(k, &Call[float64]{Args: [][]float64{x, y, b, g}, ArgBatch: make([][]int, 4), M: m, N: n, Vals: out})
			if err != nil {
				t.Fatal(err)
			}
			want := make([]float64, rows)
			for i := 0; i < m; i++ {
				for j := 0; j < n; j++ {
					d := 0.0
					for c := 0; c < 3; c++ {
						d += (x[3*i+c] - y[3*j+c]) * (x[3*i+c] - y[3*j+c])
					}
					v := math.Exp(-0.5*d) * b[j]
					if axis == 1 {
						want[i] += v
					} else {
						want[j] += v
					}
				}
			}
			for r := range want {
				if math.Abs(out[r]-want[r]) > 1e-12*(1+math.Abs(want[r])) {
					t.Fatalf("M=%d N=%d axis=%d row %d: got %v want %v", m, n, axis, r, out[r], want[r])
				}
			}
		}
	}
}
