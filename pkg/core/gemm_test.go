package core

import (
	"math"
	"math/rand/v2"
	"sort"
	"testing"
)

// TestGemmKNN checks the blocked high-dimensional distance kernel through
// ArgKMin and KMin against exact per-pair distances, at sizes that leave
// partial row groups and partial vectors of columns, for both axes.
func TestGemmKNN(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	const dim, K = 40, 5
	for _, sz := range [][2]int{{1, 3}, {7, 300}, {66, 517}} {
		m, n := sz[0], sz[1]
		x, y := randn(rng, m*dim), randn(rng, n*dim)
		for _, axis := range []int{0, 1} {
			k, err := Compile(Spec{Formula: "SqDist(x,y)", Aliases: []string{"x=Vi(40)", "y=Vj(40)"},
				Reduction: "KMin_ArgKMin", Axis: axis, OptArg: K})
			if err != nil {
				t.Fatal(err)
			}
			if k.prog.gemm == nil {
				t.Fatal("the blocked kernel was not planned")
			}
			q, db, rows, others := x, y, m, n
			if axis == 0 {
				q, db, rows, others = y, x, n, m
			}
			exact := func(i, j int) float64 {
				d := 0.0
				for c := 0; c < dim; c++ {
					v := q[i*dim+c] - db[j*dim+c]
					d += v * v
				}
				return d
			}
			check := func(name string, vals []float64, idx []int64, tol float64) {
				for i := 0; i < rows; i++ {
					all := make([]float64, others)
					for j := range all {
						all[j] = exact(i, j)
					}
					sort.Float64s(all)
					for l := 0; l < K; l++ {
						want := math.Inf(1)
						if l < others {
							want = all[l]
						}
						if l >= others {
							if !math.IsInf(vals[i*K+l], 1) || idx[i*K+l] != -1 {
								t.Fatalf("%s row %d slot %d: got (%v, %d), want (+inf, -1)", name, i, l, vals[i*K+l], idx[i*K+l])
							}
							continue
						}
						if got := exact(i, int(idx[i*K+l])); math.Abs(got-want) > tol*(1+want) {
							t.Fatalf("%s row %d slot %d: neighbour %d at distance %v, want %v", name, i, l, idx[i*K+l], got, want)
						}
						if math.Abs(vals[i*K+l]-want) > tol*(1+want) {
							t.Fatalf("%s row %d slot %d: value %v, want %v", name, i, l, vals[i*K+l], want)
						}
					}
				}
			}
			vals, idx := make([]float64, rows*K), make([]int64, rows*K)
			if err := Run(k, &Call[float64]{Args: [][]float64{x, y}, ArgBatch: make([][]int, 2), M: m, N: n, Vals: vals, Idx: idx}); err != nil {
				t.Fatal(err)
			}
			check("float64", vals, idx, 1e-12)
			x32, y32 := make([]float32, len(x)), make([]float32, len(y))
			for i := range x {
				x32[i] = float32(x[i])
			}
			for i := range y {
				y32[i] = float32(y[i])
			}
			v32 := make([]float32, rows*K)
			if err := Run(k, &Call[float32]{Args: [][]float32{x32, y32}, ArgBatch: make([][]int, 2), M: m, N: n, Vals: v32, Idx: idx}); err != nil {
				t.Fatal(err)
			}
			for i := range vals {
				vals[i] = float64(v32[i])
			}
			check("float32", vals, idx, 1e-4)
		}
	}
}
