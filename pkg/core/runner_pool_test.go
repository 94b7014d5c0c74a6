package core

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestRunnerReuse runs calls of different shapes one after the other (the
// runners are pooled, see getRunner): batched, split over the reduced
// index, block-sparse, with one worker and with several, then small again.
// Each is compared with a dense loop, so that nothing of a previous call
// (items, offsets, pieces, workers) leaks into the next.
func TestRunnerReuse(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	k, err := Compile(Spec{Formula: "Exp(-SqDist(x,y))*b", Aliases: []string{"x=Vi(3)", "y=Vj(3)", "b=Vj(1)"}, Reduction: "Sum", Axis: 1})
	if err != nil {
		t.Fatal(err)
	}
	type shape struct {
		batch, m, n, workers int
		ranges               bool
	}
	shapes := []shape{
		{1, 10, 10, 0, false}, {3, 7, 9, 0, false}, {1, 5, 4000, 4, false}, {1, 10, 10, 1, false},
		{1, 300, 517, 3, false}, {1, 12, 20, 0, true}, {2, 1, 1, 0, false}, {1, 10, 10, 0, false},
	}
	for round := 0; round < 2; round++ {
		for _, s := range shapes {
			x, y, b := randn(rng, s.batch*3*s.m), randn(rng, s.batch*3*s.n), randn(rng, s.batch*s.n)
			c := &Call[float64]{Args: [][]float64{x, y, b}, M: s.m, N: s.n, Vals: make([]float64, s.batch*s.m), Workers: s.workers}
			c.ArgBatch = make([][]int, 3)
			if s.batch > 1 {
				c.Batch = []int{s.batch}
				c.ArgBatch = [][]int{{s.batch}, {s.batch}, {s.batch}}
			}
			lo := 0 // with ranges: each row reduces over j in [lo, n) of its block
			if s.ranges {
				lo = s.n / 2
				c.Ranges = &Ranges{RangesI: []int64{0, int64(s.m)}, SlicesI: []int64{1}, RedRangesJ: []int64{int64(lo), int64(s.n)},
					RangesJ: []int64{0, int64(s.n)}, SlicesJ: []int64{1}, RedRangesI: []int64{0, int64(s.m)}}
			}
			if err := Run(k, c); err != nil {
				t.Fatal(err)
			}
			for bt := 0; bt < s.batch; bt++ {
				for i := 0; i < s.m; i++ {
					want := 0.0
					for j := lo; j < s.n; j++ {
						d := 0.0
						for q := 0; q < 3; q++ {
							v := x[(bt*s.m+i)*3+q] - y[(bt*s.n+j)*3+q]
							d += v * v
						}
						want += math.Exp(-d) * b[bt*s.n+j]
					}
					if got := c.Vals[bt*s.m+i]; math.Abs(got-want) > 1e-12*(1+math.Abs(want)) {
						t.Fatalf("round %d %+v: batch %d row %d: got %v want %v", round, s, bt, i, got, want)
					}
				}
			}
		}
	}
}
