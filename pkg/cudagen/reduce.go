package cudagen

import (
	"fmt"

	"github.com/gokeops/gokeops/pkg/core"
)

// redCode is the CUDA code of a reduction, per thread (one output row):
// its accumulator, the fold of one term F (and G) of index j, and for the
// 2D scheme the partial accumulators written per block of the reduced
// index (as doubles) and merged in block order, with the rules of the CPU
// engine (pkg/core/reduce.go).
type redCode struct {
	p       core.Plan
	scheme  core.SumScheme
	partLen int // doubles per row of a partial accumulator
}

func newRedCode(p core.Plan) *redCode {
	r := &redCode{p: p, scheme: p.Scheme}
	d, k := p.DimF, p.K
	switch p.Reduction {
	case core.Sum:
		r.partLen = d
		if r.scheme == core.KahanSum {
			r.partLen = 2 * d
		}
	case core.Min, core.Max, core.ArgMin, core.ArgMax, core.MinArgMin, core.MaxArgMax:
		r.partLen = 2 * d
	case core.KMin, core.ArgKMin, core.KMinArgKMin:
		r.partLen = 2 * k * d
	default:
		r.partLen = 1 + p.DimG
	}
	return r
}

type family uint8

const (
	famSum family = iota
	famExtreme
	famKMin
	famLSE
)

func (r *redCode) family() family {
	switch r.p.Reduction {
	case core.Sum:
		return famSum
	case core.Min, core.Max, core.ArgMin, core.ArgMax, core.MinArgMin, core.MaxArgMax:
		return famExtreme
	case core.KMin, core.ArgKMin, core.KMinArgKMin:
		return famKMin
	}
	return famLSE
}

// isMax is the comparison of the extreme family.
func (r *redCode) cmpOp() string {
	switch r.p.Reduction {
	case core.Max, core.ArgMax, core.MaxArgMax:
		return ">"
	}
	return "<"
}

// decl declares and initialises the accumulator; tiles: with what the
// tiles of terms need (not in the merge kernel).
func (r *redCode) decl(w *writer, tiles bool) {
	d, k := r.p.DimF, r.p.K
	switch r.family() {
	case famSum:
		w.line("acc_t acc[%d];", d)
		w.line("for (int k = 0; k < %d; k++) acc[k] = 0;", d)
		switch r.scheme {
		case core.KahanSum:
			w.line("acc_t comp[%d];", d)
			w.line("for (int k = 0; k < %d; k++) comp[k] = 0;", d)
		case core.BlockSum:
			if tiles {
				w.line("acc_t tmp[%d];", d)
			}
		}
	case famExtreme:
		init := "gk_inf<ct>()"
		if r.cmpOp() == ">" {
			init = "-gk_inf<ct>()"
		}
		if r.p.IdxDim == 0 { // Min, Max: no index to track
			w.line("ct best[%d];", d)
			w.line("for (int k = 0; k < %d; k++) best[k] = %s;", d, init)
			break
		}
		w.line("ct best[%d]; long long arg[%d];", d, d)
		w.line("for (int k = 0; k < %d; k++) { best[k] = %s; arg[k] = -1; }", d, init)
	case famKMin:
		w.line("ct kv[%d]; long long ki[%d];", k*d, k*d)
		w.line("for (int k = 0; k < %d; k++) { kv[k] = gk_inf<ct>(); ki[k] = -1; }", k*d)
	case famLSE:
		w.line("acc_t m = -gk_inf<acc_t>(), s[%d];", r.p.DimG)
		w.line("for (int k = 0; k < %d; k++) s[k] = 0;", r.p.DimG)
	}
}

// tileBegin and tileEnd frame the terms of one tile (the block sum).
func (r *redCode) tileBegin(w *writer) {
	if r.family() == famSum && r.scheme == core.BlockSum {
		w.line("for (int k = 0; k < %d; k++) tmp[k] = 0;", r.p.DimF)
	}
}

func (r *redCode) tileEnd(w *writer) {
	if r.family() == famSum && r.scheme == core.BlockSum {
		w.line("for (int k = 0; k < %d; k++) acc[k] = acc_round(acc[k] + tmp[k]);", r.p.DimF)
	}
}

// term folds F (array f) and G (array g, or "") at reduced index j.
func (r *redCode) term(w *writer, f, g, j string) {
	d, k := r.p.DimF, r.p.K
	switch r.family() {
	case famSum:
		switch r.scheme {
		case core.BlockSum:
			w.line("for (int k = 0; k < %d; k++) tmp[k] = acc_round(tmp[k] + (acc_t)%s[k]);", d, f)
		case core.DirectSum:
			w.line("for (int k = 0; k < %d; k++) acc[k] = acc_round(acc[k] + (acc_t)%s[k]);", d, f)
		case core.KahanSum:
			w.open("for (int k = 0; k < %d; k++)", d)
			w.line("const acc_t y = acc_round((acc_t)%s[k] - comp[k]);", f)
			w.line("const acc_t t = acc_round(acc[k] + y);")
			w.line("comp[k] = acc_round(acc_round(t - acc[k]) - y);")
			w.line("if (isinf(t)) comp[k] = 0; // inf - inf would make the sum NaN: an infinite sum stays infinite")
			w.line("acc[k] = t;")
			w.close()
		}
	case famExtreme:
		// NaN terms are skipped; the first other term is taken whatever its
		// value (ArgMin over +inf terms is the first of them), later ones by
		// a strict comparison: the first index wins ties. Without an index
		// the strict comparison with the +-inf start does the same.
		if r.p.IdxDim == 0 {
			w.line("for (int k = 0; k < %d; k++) if (%s[k] %s best[k]) best[k] = %s[k];", d, f, r.cmpOp(), f)
			break
		}
		w.line("for (int k = 0; k < %d; k++) if (%s[k] == %s[k] && (arg[k] < 0 || %s[k] %s best[k])) { best[k] = %s[k]; arg[k] = %s; }", d, f, f, f, r.cmpOp(), f, j)
	case famKMin:
		// Empty slots (+inf, -1) stay after every value, +inf included;
		// NaN terms never enter; equal values keep the first index first.
		w.open("for (int c = 0; c < %d; c++)", d)
		w.line("const ct v = %s[c];", f)
		w.open("if (v == v && (v < kv[c * %d + %d] || ki[c * %d + %d] < 0))", k, k-1, k, k-1)
		w.line("int l = %d;", k-1)
		w.line("while (l > 0 && (ki[c * %d + l - 1] < 0 || v < kv[c * %d + l - 1])) { kv[c * %d + l] = kv[c * %d + l - 1]; ki[c * %d + l] = ki[c * %d + l - 1]; l--; }", k, k, k, k, k, k)
		w.line("kv[c * %d + l] = v; ki[c * %d + l] = %s;", k, k, j)
		w.close()
		w.close()
	case famLSE:
		// A -inf term adds nothing (even times an infinite weight); a NaN
		// one poisons the sums. Once m = +inf, exp(F - m) is its limit: 1
		// for the +inf terms (their weights are summed), 0 for the others.
		w.open("")
		w.line("const acc_t fv = (acc_t)%s[0];", f)
		w.open("if (fv > m)")
		w.line("const acc_t sc = exp(m - fv);")
		w.line("for (int k = 0; k < %d; k++) s[k] = gk_rescaled(s[k], sc);", r.p.DimG)
		w.line("m = fv;")
		w.close()
		w.open("if (m == gk_inf<acc_t>())")
		if g == "" {
			w.line("if (fv == m) s[0] += 1; else if (fv != fv) s[0] = fv;")
		} else {
			w.line("if (fv == m) for (int k = 0; k < %d; k++) s[k] += (acc_t)%s[k];", r.p.DimG, g)
			w.line("else if (fv != fv) for (int k = 0; k < %d; k++) s[k] = fv;", r.p.DimG)
		}
		w.close()
		w.open("else if (fv != -gk_inf<acc_t>())")
		w.line("const acc_t e = exp(fv - m);")
		if g == "" {
			w.line("s[0] += e;")
		} else {
			w.line("for (int k = 0; k < %d; k++) s[k] += e * (acc_t)%s[k];", r.p.DimG, g)
		}
		w.close()
		w.close()
	}
}

// store writes the accumulator to the partial row part (double*).
func (r *redCode) store(w *writer, part string) {
	d, k := r.p.DimF, r.p.K
	switch r.family() {
	case famSum:
		w.line("for (int k = 0; k < %d; k++) %s[k] = (double)acc[k];", d, part)
		if r.scheme == core.KahanSum {
			w.line("for (int k = 0; k < %d; k++) %s[%d + k] = (double)comp[k];", d, part, d)
		}
	case famExtreme:
		if r.p.IdxDim == 0 {
			w.line("for (int k = 0; k < %d; k++) { %s[k] = (double)best[k]; %s[%d + k] = 0; }", d, part, part, d)
			break
		}
		w.line("for (int k = 0; k < %d; k++) { %s[k] = (double)best[k]; %s[%d + k] = (double)arg[k]; }", d, part, part, d)
	case famKMin:
		w.line("for (int c = 0; c < %d; c++) for (int l = 0; l < %d; l++) { %s[c * %d + l] = (double)kv[c * %d + l]; %s[c * %d + %d + l] = (double)ki[c * %d + l]; }", d, k, part, 2*k, k, part, 2*k, k, k)
	case famLSE:
		w.line("%s[0] = (double)m;", part)
		w.line("for (int k = 0; k < %d; k++) %s[1 + k] = (double)s[k];", r.p.DimG, part)
	}
}

// merge folds the partial row part into the accumulator, as a later piece
// of the reduced index.
func (r *redCode) merge(w *writer, part string) {
	d, k := r.p.DimF, r.p.K
	switch r.family() {
	case famSum:
		w.line("for (int k = 0; k < %d; k++) acc[k] = acc_round(acc[k] + (acc_t)%s[k]);", d, part)
		if r.scheme == core.KahanSum {
			w.line("for (int k = 0; k < %d; k++) comp[k] += (acc_t)%s[%d + k];", d, part, d)
		}
	case famExtreme:
		if r.p.IdxDim == 0 {
			w.line("for (int k = 0; k < %d; k++) if ((ct)%s[k] %s best[k]) best[k] = (ct)%s[k];", d, part, r.cmpOp(), part)
			break
		}
		// An absent partial (index -1) adds nothing; an absent accumulator
		// takes any partial.
		w.line("for (int k = 0; k < %d; k++) if (%s[%d + k] >= 0 && (arg[k] < 0 || (ct)%s[k] %s best[k])) { best[k] = (ct)%s[k]; arg[k] = (long long)%s[%d + k]; }", d, part, d, part, r.cmpOp(), part, part, d)
	case famKMin:
		// The partial's slots are sorted, empty ones last: the first that
		// does not enter ends the piece.
		w.open("for (int c = 0; c < %d; c++) for (int q = 0; q < %d; q++)", d, k)
		w.line("const ct v = (ct)%s[c * %d + q];", part, 2*k)
		w.line("const long long j = (long long)%s[c * %d + %d + q];", part, 2*k, k)
		w.line("if (j < 0 || !(v < kv[c * %d + %d] || ki[c * %d + %d] < 0)) break;", k, k-1, k, k-1)
		w.line("int l = %d;", k-1)
		w.line("while (l > 0 && (ki[c * %d + l - 1] < 0 || v < kv[c * %d + l - 1])) { kv[c * %d + l] = kv[c * %d + l - 1]; ki[c * %d + l] = ki[c * %d + l - 1]; l--; }", k, k, k, k, k, k)
		w.line("kv[c * %d + l] = v; ki[c * %d + l] = j;", k, k)
		w.close()
	case famLSE:
		dg := r.p.DimG
		w.open("")
		w.line("const acc_t pm = (acc_t)%s[0];", part)
		w.open("if (pm > m)")
		w.line("const acc_t sc = exp(m - pm);")
		w.line("for (int k = 0; k < %d; k++) s[k] = gk_rescaled(s[k], sc) + (acc_t)%s[1 + k];", dg, part)
		w.line("m = pm;")
		w.close()
		w.open("else")
		// Equal maxima scale by 1, also both +inf (where exp(inf - inf) is NaN).
		w.line("const acc_t sc = pm == m ? (acc_t)1 : (pm != -gk_inf<acc_t>() ? exp(pm - m) : (acc_t)0);")
		w.line("for (int k = 0; k < %d; k++) { const acc_t p = (acc_t)%s[1 + k]; if (p != 0 || p != p) s[k] += gk_rescaled(p, sc); }", dg, part)
		w.close()
		w.close()
	}
}

// finish writes the output row: values at vals (data_t*), indices at idx.
func (r *redCode) finish(w *writer, vals, idx string) {
	d, k := r.p.DimF, r.p.K
	red := r.p.Reduction
	switch r.family() {
	case famSum:
		w.line("for (int k = 0; k < %d; k++) gk_st(&%s[k], (ct)acc[k]);", d, vals)
	case famExtreme:
		if r.p.ValsDim > 0 {
			w.line("for (int k = 0; k < %d; k++) gk_st(&%s[k], best[k]);", d, vals)
		}
		if r.p.IdxDim > 0 {
			w.line("for (int k = 0; k < %d; k++) %s[k] = arg[k];", d, idx)
		}
	case famKMin:
		// Slot l of component c goes to l*D + c, the KeOps layout.
		if r.p.ValsDim > 0 {
			w.line("for (int c = 0; c < %d; c++) for (int l = 0; l < %d; l++) gk_st(&%s[l * %d + c], kv[c * %d + l]);", d, k, vals, d, k)
		}
		if r.p.IdxDim > 0 {
			w.line("for (int c = 0; c < %d; c++) for (int l = 0; l < %d; l++) %s[l * %d + c] = ki[c * %d + l];", d, k, idx, d, k)
		}
	case famLSE:
		dg := r.p.DimG
		switch red {
		case core.LogSumExp:
			w.line("for (int k = 0; k < %d; k++) gk_st(&%s[k], (ct)(m + log(s[k])));", dg, vals)
		case core.SumSoftMaxWeight:
			// G was Concat(1, weights): s[0] is the plain sum.
			w.line("for (int k = 1; k < %d; k++) gk_st(&%s[k - 1], (ct)(s[k] / s[0]));", dg, vals)
		default:
			w.line("gk_st(&%s[0], (ct)m);", vals)
			w.line("for (int k = 0; k < %d; k++) gk_st(&%s[1 + k], (ct)s[k]);", dg, vals)
		}
	}
}

func (r *redCode) describe() string {
	s := r.p.Reduction.String()
	if r.p.K > 0 {
		s += fmt.Sprintf(" K=%d", r.p.K)
	}
	return s
}
