package core

import "github.com/gokeops/gokeops/pkg/formula"

// Plan is what another backend (pkg/cudagen) needs to run a kernel: the
// lowered formulas (the CPU engine plans their canonical forms, which
// compute the same values) and the reduction's parameters, resolved as
// Compile resolved them.
type Plan struct {
	Reduction Reduction
	Axis      int // 0: reduce over i (output indexed by j); 1: reduce over j
	K         int // K of the KMin family, else 0
	DimF      int // dimension of F
	DimG      int // dimension of the reduced weight formula G (1 if none)
	Scheme    SumScheme
	DtypeAcc  string       // "auto", "float16", "float32" or "float64"
	F         formula.Expr // the lowered formula
	// G is the lowered weight formula as reduced, or nil: for
	// SumSoftMaxWeight it is Concat(1, formula2), as in Compile.
	G       formula.Expr
	ValsDim int // values per output row (0: none)
	IdxDim  int // indices per output row (0: none)
	AccLen  int // float64s per output row of the CPU accumulator
}

// Plan returns the kernel's plan for other backends.
func (k *Kernel) Plan() Plan {
	g := k.Formula2
	if k.red == SumSoftMaxWeight && g != nil {
		c := formula.NewCall(formula.OpConcat, []formula.Expr{formula.IntConst(1), g})
		c.Dim = 1 + formula.DimOf(g)
		g = c
	}
	p := Plan{Reduction: k.red, Axis: k.axis, K: k.optK, DimF: k.dimF, DimG: k.dimG,
		Scheme: k.scheme, DtypeAcc: k.dtypeAcc, F: k.Formula, G: g, ValsDim: k.ValsDim, IdxDim: k.IdxDim}
	p.AccLen = newReducer[float64](k, false).accLen()
	return p
}

// ContractionTerms lists the products dst[out] += A[ia] * B[ib] of the
// contraction primitives (MatVecMult, VecMatMult, TensorProd, TensorDot)
// for argument dims da and db, in the order the CPU engine adds them.
func ContractionTerms(p formula.Prim, da, db int, lists [][]int) [][3]int {
	ts := contractionTerms(p, da, db, lists)
	out := make([][3]int, len(ts))
	for k, t := range ts {
		out[k] = [3]int{int(t.out), int(t.ia), int(t.ib)}
	}
	return out
}
