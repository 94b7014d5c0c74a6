package core

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestIdentityWeight: the kernel block K(x_i, y_g) read through a one-hot
// selector, batched, against the kernel computed here; a selector that is
// not the identity and a NaN point take the dot products.
func TestIdentityWeight(t *testing.T) {
	const m, g, nb = 301, 16, 3
	k, err := Compile(Spec{Formula: "(Exp(-SqDist(x,y))*a)*e", Aliases: []string{"x=Vi(3)", "y=Vj(3)", "a=Pm(1)", "e=Vj(16)"}, Reduction: "Sum", Axis: 1})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	x := make([]float64, m*3)
	for i := range x {
		x[i] = rng.NormFloat64()
	}
	y := make([]float64, nb*g*3)
	for i := range y {
		y[i] = rng.NormFloat64()
	}
	eye := make([]float64, nb*g*g)
	for b := 0; b < nb; b++ {
		for j := 0; j < g; j++ {
			eye[(b*g+j)*g+j] = 1
		}
	}
	byInd := [][]float64{x, y, {0.5}, eye}
	batchOf := [][]int{{1}, {nb}, {1}, {nb}}
	args, argBatch := make([][]float64, len(k.Sig)), make([][]int, len(k.Sig))
	for a, v := range k.Sig {
		args[a], argBatch[a] = byInd[v.Ind], batchOf[v.Ind]
	}
	call := &Call[float64]{Args: args, ArgBatch: argBatch, Batch: []int{nb}, M: m, N: g, Vals: make([]float64, nb*m*g)}
	r := symRunner(k, call)
	r.outer, r.inner = m, g
	if !r.identityWeight() {
		t.Fatal("the identity selector is not recognised")
	}
	if err := Run(k, call); err != nil {
		t.Fatal(err)
	}
	for b := 0; b < nb; b++ {
		for i := 0; i < m; i++ {
			for j := 0; j < g; j++ {
				d2 := 0.0
				for c := 0; c < 3; c++ {
					e := x[i*3+c] - y[(b*g+j)*3+c]
					d2 += e * e
				}
				want := 0.5 * math.Exp(-d2)
				// (the exp of -d2 to within a few ulps and the rounding of d2)
				if got := call.Vals[(b*m+i)*g+j]; math.Abs(got-want) > 2e-15*(1+d2)*want+1e-300 {
					t.Fatalf("batch %d, K[%d, %d] = %g, want %g", b, i, j, got, want)
				}
			}
		}
	}
	// A NaN point: its row is NaN in every component, as by the dot products.
	x[3] = math.NaN()
	if err := Run(k, call); err != nil {
		t.Fatal(err)
	}
	for j := 0; j < g; j++ {
		if v := call.Vals[m*g*0+1*g+j]; !math.IsNaN(v) {
			t.Fatalf("row of a NaN point: component %d is %g", j, v)
		}
	}
	eye[5] = 1e-300 // not the identity
	if r.identityWeight() {
		t.Error("a selector that is not the identity is taken for one")
	}
}
