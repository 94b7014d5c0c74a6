package core_test

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gokeops/gokeops/pkg/core"
	"github.com/gokeops/gokeops/pkg/errkind"
)

// TestPartialReductions cuts the reduced index of every reduction into
// uneven pieces (one of them empty), runs each piece apart with RunPartial,
// merges the states in a tree and finishes them: the outputs must be those
// of a single Run, bit for bit for the Min / Max / Arg families and within
// the rounding of the sum scheme for sums, and match the reference.
func TestPartialReductions(t *testing.T) {
	lays := []layout{layouts[0], layouts[1], layouts[2], layouts[3], layouts[4],
		{name: "batch", outer: 3, inner: 300, batch: []int{2, 3}},
		{name: "batch-ties", outer: 3, inner: 300, batch: []int{2, 3}, ties: true}}
	for _, rc := range redCases {
		for _, axis := range []int{1, 0} {
			for _, f32 := range []bool{false, true} {
				for _, lay := range lays {
					for _, uneven := range []bool{false, true} {
						name := fmt.Sprintf("%s/%s/axis%d/%s/%s/uneven=%v", rc.red, rc.label(), axis, dtypeName(f32), lay.name, uneven)
						t.Run(name, func(t *testing.T) {
							if f32 {
								checkPartial[float32](t, rc, axis, lay, uneven)
							} else {
								checkPartial[float64](t, rc, axis, lay, uneven)
							}
						})
					}
				}
			}
		}
	}
}

// sumType reports whether rc merges by adding (its results are equal to a
// single pass up to rounding only).
func sumType(rc redCase) bool {
	return rc.red == "Sum" || strings.Contains(rc.red, "Exp") || strings.Contains(rc.red, "Soft")
}

func checkPartial[T float32 | float64](t *testing.T, rc redCase, axis int, lay layout, uneven bool) {
	k, err := rc.compile(axis)
	if err != nil {
		t.Fatal(err)
	}
	f32 := any(T(0)) == any(float32(0))
	p := newProblem(k, axis, lay.outer, lay.inner)
	p.f32, p.batch = f32, lay.batch
	for a := range p.argBatch {
		p.argBatch[a] = broadcastPattern(a, lay.batch)
	}
	d := data{lo: -2, hi: 2}
	if lay.ties {
		d.quant, d.period = 0.25, 5
	}
	p.fill(rand.New(rand.NewPCG(uint64(axis), seedOf(lay.name))), d)
	if lay.nan {
		setNaN(p, 5)
	}
	if lay.inf {
		q := aliasIndex(redAliases, "q")
		p.args[q][0], p.args[q][2] = math.Inf(1), math.Inf(1)
	}
	want, wantIdx, err := run[T](t, p)
	if err != nil {
		t.Fatal(err)
	}
	// Aligned pieces start at multiples of PieceAlign: [0,0), [0,c), [c,c),
	// [c,inner), and must give the single pass bit for bit. Uneven ones,
	// [0,1), [1,c'), [c',c'), [c',inner), put terms in other vector lanes,
	// whose rounding may differ in the last place.
	c := min(lay.inner, core.PieceAlign)
	cuts := []int{0, 0, c, c, lay.inner}
	if uneven {
		c = min(lay.inner, lay.inner/3+5)
		cuts = []int{0, min(1, lay.inner), c, c, lay.inner}
	}
	rows := p.nbatch() * p.outer
	al := k.StateLen()
	var states [][]float64
	for s := 0; s+1 < len(cuts); s++ {
		st := make([]float64, rows*al)
		if err := core.RunPartial(k, piece[T](p, cuts[s], cuts[s+1]), st, cuts[s]); err != nil {
			t.Fatalf("piece %d: %v", s, err)
		}
		states = append(states, st)
	}
	// The tree (0+1) + (2+3).
	for _, pair := range [][2]int{{0, 1}, {2, 3}, {0, 2}} {
		if err := core.MergeStates[T](k, states[pair[0]], states[pair[1]]); err != nil {
			t.Fatal(err)
		}
	}
	vals, idx := make([]T, rows*k.ValsDim), make([]int64, rows*k.IdxDim)
	if err := core.FinishStates(k, states[0], vals, idx); err != nil {
		t.Fatal(err)
	}
	got := convert[float64](vals)
	tol := 0.0
	if uneven {
		tol = 1e-15
		if f32 {
			tol = 1e-6
		}
	}
	if sumType(rc) {
		// float32 sums of 300 terms of size 1 that cancel: 1e-4 (1 + |sum|)
		// is a few units of the last place of the terms.
		tol = 1e-12
		if f32 {
			tol = 1e-4
		}
	}
	for r := 0; r < rows; r++ {
		if msg := rowOf(k, want, wantIdx, r).compare(rowOf(k, got, idx, r), nil, tol, true); msg != "" {
			t.Fatalf("row %d: pieces vs single pass: %s", r, msg)
		}
		if tol == 0 && !uneven {
			for c := r * k.ValsDim; c < (r+1)*k.ValsDim; c++ {
				if math.Float64bits(got[c]) != math.Float64bits(want[c]) && !(math.IsNaN(got[c]) && math.IsNaN(want[c])) {
					t.Fatalf("row %d value %d: %v, single pass %v: not bit for bit", r, c, got[c], want[c])
				}
			}
		}
	}
	reftol := 1e-10
	if f32 {
		reftol = 1e-4
	}
	terms := cachedTerms(fmt.Sprint(rc.f, rc.g, axis, f32, lay.name), p, func(int) []int { return span(0, lay.inner) })
	checkRows(t, p, rc, got, idx, terms, reftol, !f32 || lay.ties)
}

// piece is the call of p restricted to reduced indices [lo, hi).
func piece[T float32 | float64](p *problem, lo, hi int) *core.Call[T] {
	m, n := p.mn()
	if p.axis == 1 {
		n = hi - lo
	} else {
		m = hi - lo
	}
	c := &core.Call[T]{ArgBatch: p.argBatch, Batch: p.batch, M: m, N: n, Workers: 2}
	for a, v := range p.k.Sig {
		x := p.args[a]
		if v.Cat == p.innerCat() {
			nb, rows := len(x)/(p.rows(a)*v.Dim), p.rows(a)
			var cut []float64
			for b := 0; b < nb; b++ {
				cut = append(cut, x[(b*rows+lo)*v.Dim:(b*rows+hi)*v.Dim]...)
			}
			x = cut
		}
		c.Args = append(c.Args, convert[T](x))
	}
	return c
}

// TestPartialChecks: bad states, outputs and offsets are errors.
func TestPartialChecks(t *testing.T) {
	k, err := core.Compile(core.Spec{Formula: "SqDist(x,y)", Aliases: []string{"x=Vi(2)", "y=Vj(2)"}, Reduction: "ArgKMin", Axis: 1, OptArg: 3})
	if err != nil {
		t.Fatal(err)
	}
	if k.StateLen() != 6 {
		t.Fatalf("StateLen = %d, want 6", k.StateLen())
	}
	call := func() *core.Call[float64] {
		return &core.Call[float64]{Args: [][]float64{make([]float64, 8), make([]float64, 10)}, ArgBatch: [][]int{{}, {}}, M: 4, N: 5}
	}
	for _, tc := range []struct {
		name   string
		c      *core.Call[float64]
		state  []float64
		offset int
		want   string
	}{
		{"short state", call(), make([]float64, 23), 0, "the state has 23 values, expected 24"},
		{"negative offset", call(), make([]float64, 24), -1, "offset"},
		{"outputs given", func() *core.Call[float64] { c := call(); c.Idx = make([]int64, 12); return c }(), make([]float64, 24), 0, "writes states"},
		{"bad arg", func() *core.Call[float64] { c := call(); c.Args[1] = c.Args[1][:9]; return c }(), make([]float64, 24), 0, "argument 1"},
	} {
		err := core.RunPartial(k, tc.c, tc.state, tc.offset)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, errkind.BadValue) {
			t.Errorf("%s: got %v, want a ValueError with %q", tc.name, err, tc.want)
		}
	}
	if err := core.MergeStates[float64](k, make([]float64, 12), make([]float64, 6)); err == nil {
		t.Error("merging states of different sizes: no error")
	}
	if err := core.MergeStates[float64](k, make([]float64, 7), make([]float64, 7)); err == nil {
		t.Error("a state of 7 values (rows of 6): no error")
	}
	if err := core.FinishStates(k, make([]float64, 12), []float64{}, make([]int64, 5)); err == nil {
		t.Error("finishing 2 rows into 5 indices: no error")
	}
	st := make([]float64, 12)
	if err := core.InitStates[float64](k, st); err != nil {
		t.Fatal(err)
	}
	idx := make([]int64, 6)
	if err := core.FinishStates(k, st, []float64{}, idx); err != nil || idx[0] != -1 {
		t.Errorf("finishing empty states: %v, %v", err, idx)
	}
}
