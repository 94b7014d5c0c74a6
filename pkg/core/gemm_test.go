package core

import (
	"fmt"
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

// TestGemmTopKMatchesBlock checks that the fused K-smallest selection
// (gemm_topk.go) returns exactly what the block kernel followed by
// kminReducer.fold returns, values bit for bit and indices, in dimensions
// with and without a last odd component or partial register blocks, on
// data with duplicate points (ties), NaN and infinite components.
func TestGemmTopKMatchesBlock(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, dim := range []int{16, 17, 33, 100} {
		for _, sz := range [][2]int{{1, 5}, {5, 17}, {130, 700}} {
			m, n := sz[0], sz[1]
			x, y := randn(rng, m*dim), randn(rng, n*dim)
			for j := 1; j < n; j += 3 {
				copy(y[j*dim:(j+1)*dim], y[(j-1)*dim:j*dim]) // ties
			}
			if n > 7 {
				y[3*dim+1], y[7*dim] = math.NaN(), math.Inf(1)
			}
			if m > 2 {
				x[2*dim+dim-1] = math.NaN()
			}
			aliases := []string{fmt.Sprintf("x=Vi(%d)", dim), fmt.Sprintf("y=Vj(%d)", dim)}
			for _, K := range []int{1, 10} {
				k, err := Compile(Spec{Formula: "SqDist(x,y)", Aliases: aliases, Reduction: "KMin_ArgKMin", Axis: 1, OptArg: K})
				if err != nil {
					t.Fatal(err)
				}
				x32, y32 := make([]float32, len(x)), make([]float32, len(y))
				for i, v := range x {
					x32[i] = float32(v)
				}
				for i, v := range y {
					y32[i] = float32(v)
				}
				name := fmt.Sprintf("dim%d/%dx%d/K%d", dim, m, n, K)
				compareTopK(t, name+"/float64", k, &Call[float64]{Args: [][]float64{x, y}, ArgBatch: make([][]int, 2), M: m, N: n})
				compareTopK(t, name+"/float32", k, &Call[float32]{Args: [][]float32{x32, y32}, ArgBatch: make([][]int, 2), M: m, N: n})
			}
		}
	}
}

// compareTopK runs c with and without the fused selection.
func compareTopK[T float](t *testing.T, name string, k *Kernel, c *Call[T]) {
	t.Helper()
	run := func(fused bool) ([]T, []int64) {
		topkOff = !fused
		defer func() { topkOff = false }()
		c.Vals, c.Idx = make([]T, c.M*k.ValsDim), make([]int64, c.M*k.IdxDim)
		if err := Run(k, c); err != nil {
			t.Fatal(err)
		}
		return c.Vals, c.Idx
	}
	v0, i0 := run(false)
	v1, i1 := run(true)
	for o := range v0 {
		same := v0[o] == v1[o] || v0[o] != v0[o] && v1[o] != v1[o]
		if !same || i0[o] != i1[o] {
			t.Fatalf("%s: output %d: fused (%v, %d), block kernel (%v, %d)", name, o, v1[o], i1[o], v0[o], i0[o])
		}
	}
}
