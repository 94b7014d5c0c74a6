package oracle

import (
	"math"
	"sort"
	"strings"
)

// Term is one visited term of a reduction: the reduced index J and the
// values of the formula F and of the weight formula G (nil without one).
type Term struct {
	J    int
	F, G []float64
}

// Reduced is the result of one output row. Idx holds -1 for an absent
// index (nothing to point to). For each index, At is the value of F it
// points to (the extremum, ±inf when absent) and Comp its component, so
// that a test may accept another index of the same value.
type Reduced struct {
	Vals []float64
	Idx  []int64
	At   []float64
	Comp []int
}

// Reduce reduces the terms of one row, in their order, by the reduction
// named red (a reduction_op name), written plainly from the semantics of
// docs/differences.md: no tiles, no merges, a stable sort for the K
// smallest. F has dimension d; dg is the dimension of G (0: none); k is K
// of the KMin family.
//
//   - Sum: the plain sum; NaN and inf follow IEEE arithmetic.
//   - Min, Max and their Arg forms, the KMin family: NaN terms are skipped;
//     ties keep the first index; with no other term the value is +inf
//     (-inf for Max) and the index -1. KMin slots beyond the terms are
//     (+inf, -1).
//   - The LogSumExp family: m = max F (NaN aside), s_c = sum exp(F - m) G_c
//     where -inf terms add nothing, and once m = +inf exp(F - m) is 1 for the
//     +inf terms and 0 for the others. A NaN term makes every s NaN.
//     LogSumExp is m + log s, SumSoftMaxWeight s_c / s_0, the raw forms
//     [m, s...]; an empty reduction gives m = -inf, s = 0.
func Reduce(red string, k, d, dg int, terms []Term) Reduced {
	var r Reduced
	index := func(j int, v float64, c int) {
		r.Idx, r.At, r.Comp = append(r.Idx, int64(j)), append(r.At, v), append(r.Comp, c)
	}
	switch red {
	case "Sum":
		r.Vals = make([]float64, d)
		for _, tm := range terms {
			for c := range r.Vals {
				r.Vals[c] += tm.F[c]
			}
		}
	case "Min", "Max", "ArgMin", "ArgMax", "Min_ArgMin", "Max_ArgMax":
		isMax := strings.HasPrefix(red, "Max") || red == "ArgMax"
		best, arg := make([]float64, d), make([]int, d)
		for c := range best {
			best[c], arg[c] = math.Inf(1), -1
			if isMax {
				best[c] = math.Inf(-1)
			}
			for _, tm := range terms {
				v := tm.F[c]
				if math.IsNaN(v) {
					continue
				}
				if arg[c] < 0 || isMax && v > best[c] || !isMax && v < best[c] {
					best[c], arg[c] = v, tm.J
				}
			}
		}
		if !strings.HasPrefix(red, "Arg") {
			r.Vals = best
		}
		if strings.Contains(red, "Arg") {
			for c := range arg {
				index(arg[c], best[c], c)
			}
		}
	case "KMin", "ArgKMin", "KMin_ArgKMin":
		vals, js := make([]float64, k*d), make([]int, k*d)
		for c := 0; c < d; c++ {
			var cand []Term
			for _, tm := range terms {
				if !math.IsNaN(tm.F[c]) {
					cand = append(cand, tm)
				}
			}
			sort.SliceStable(cand, func(a, b int) bool { return cand[a].F[c] < cand[b].F[c] })
			for l := 0; l < k; l++ {
				vals[l*d+c], js[l*d+c] = math.Inf(1), -1
				if l < len(cand) {
					vals[l*d+c], js[l*d+c] = cand[l].F[c], cand[l].J
				}
			}
		}
		if red != "ArgKMin" {
			r.Vals = vals
		}
		if red != "KMin" {
			for s := range js {
				index(js[s], vals[s], s%d)
			}
		}
	default:
		r.Vals = logSumExp(red, dg, terms)
	}
	return r
}

// logSumExp is the Max_SumShiftExp family (see Reduce).
func logSumExp(red string, dg int, terms []Term) []float64 {
	m, nan := math.Inf(-1), false
	for _, tm := range terms {
		if tm.F[0] > m {
			m = tm.F[0]
		}
		nan = nan || math.IsNaN(tm.F[0])
	}
	s0, s := 0.0, make([]float64, max(dg, 1))
	for _, tm := range terms {
		f := tm.F[0]
		var e float64
		switch {
		case f == math.Inf(-1), math.IsNaN(f):
			continue
		case m == math.Inf(1):
			if f != m {
				continue
			}
			e = 1
		default:
			e = math.Exp(f - m)
		}
		s0 += e
		for c := range s {
			w := 1.0
			if dg > 0 {
				w = tm.G[c]
			}
			s[c] += e * w
		}
	}
	if nan {
		s0 = math.NaN()
		for c := range s {
			s[c] = math.NaN()
		}
	}
	var out []float64
	switch red {
	case "LogSumExp":
		for _, v := range s {
			out = append(out, m+math.Log(v))
		}
	case "SumSoftMaxWeight", "SoftMax":
		for _, v := range s {
			out = append(out, v/s0)
		}
	default: // Max_SumShiftExp(Weight), LogSumExpWeight: raw [m, s...]
		out = append([]float64{m}, s...)
	}
	return out
}
