package core

import (
	"encoding/json"
	"sync"

	"github.com/gokeops/gokeops/pkg/errkind"
	"github.com/gokeops/gokeops/pkg/formula"
)

// Spec is what a Genred call asks for, as given by the user.
type Spec struct {
	Formula   string
	Aliases   []string
	Reduction string
	Axis      int    // 0: reduce over i (output indexed by j); 1: reduce over j
	OptArg    int    // K of the KMin family
	Formula2  string // weight formula of the LogSumExp / SoftMax family
	DtypeAcc  string // "auto", "float16", "float32" or "float64"
	SumScheme string // "auto", "direct_sum", "block_sum" or "kahan_scheme"
}

// Kernel is a compiled Spec, safe for concurrent runs.
type Kernel struct {
	Sig      formula.Signature
	red      Reduction
	axis     int
	optK     int
	dimF     int
	dimG     int // dimension of the weight formula actually reduced (1 if none)
	scheme   SumScheme
	dtypeAcc string
	prog     *program
	ValsDim  int          // values per output row (0: no values output)
	IdxDim   int          // indices per output row (0: no index output)
	UserDimG int          // dimension of formula2 as given (0 if none)
	Formula  formula.Expr // the lowered formula
	Formula2 formula.Expr // the lowered weight formula, or nil
	outerCat formula.Cat  // category of the output index: CatI for axis=1

	// frames32 and frames64 pool the scratch frames of runs (see getFrame).
	frames32, frames64 sync.Pool
}

// Compile checks and plans a Spec. Its errors have an errkind kind (bad
// value or bad type); those of the formula wrap a *formula.Error, which
// gives the column.
func Compile(s Spec) (*Kernel, error) {
	k, info, err := newKernel(s)
	if err != nil {
		return nil, err
	}
	red := k.red
	aliases := make([]formula.Alias, len(s.Aliases))
	for i, a := range s.Aliases {
		if aliases[i], err = formula.ParseAlias(a, i); err != nil {
			return nil, errkind.Wrap(errkind.BadValue, err)
		}
	}
	if k.Formula, err = formula.Compile(s.Formula, aliases); err != nil {
		return nil, errkind.Wrap(errkind.BadValue, err)
	}
	k.dimF = formula.DimOf(k.Formula)
	if info.ScalarF && k.dimF != 1 {
		return nil, errkind.Errorf(errkind.BadValue, "%s requires a formula of dimension 1, got dimension %d", info.Name, k.dimF)
	}
	var g formula.Expr
	if s.Formula2 != "" {
		if g, err = formula.Compile(s.Formula2, aliases); err != nil {
			return nil, errkind.Errorf(errkind.BadValue, "formula2: %w", err)
		}
		k.Formula2 = g
		k.UserDimG = formula.DimOf(g)
	}
	if red == SumSoftMaxWeight {
		// Sum exp(F) and sum exp(F)*G in one pass: reduce Concat(1, G).
		c := formula.NewCall(formula.OpConcat, []formula.Expr{formula.IntConst(1), g})
		c.Dim = 1 + formula.DimOf(g)
		g = c
	}
	k.dimG = 1
	if g != nil {
		k.dimG = formula.DimOf(g)
	}
	vars := []formula.Expr{k.Formula}
	if g != nil {
		vars = append(vars, g)
	}
	if k.Sig, err = formula.MakeSignature(aliases, vars...); err != nil {
		return nil, errkind.Wrap(errkind.BadValue, err)
	}
	k.ValsDim, k.IdxDim = red.outDims(k.dimF, k.optK, k.dimG)
	// A Sum with the default scheme may fold K*W as dot products.
	k.prog = newProgram(k.Formula, g, k.outerCat, red == Sum && k.scheme == BlockSum)
	return k, nil
}

// CheckOptions checks the options of s that do not depend on its formulas
// or aliases: the reduction name, axis, opt_arg, whether formula2 is given
// (its text is not read), dtype_acc and sum_scheme. Compile checks them
// first, with the same errors.
func CheckOptions(s Spec) error {
	_, _, err := newKernel(s)
	return err
}

// newKernel is the Kernel of the options of s (see CheckOptions).
func newKernel(s Spec) (*Kernel, ReductionInfo, error) {
	red, err := ParseReduction(s.Reduction)
	if err != nil {
		return nil, ReductionInfo{}, err
	}
	info := red.Info()
	fail := func(kind errkind.Kind, format string, args ...any) (*Kernel, ReductionInfo, error) {
		return nil, info, errkind.Errorf(kind, format, args...)
	}
	if s.Axis != 0 && s.Axis != 1 {
		return fail(errkind.BadValue, "Axis should be 0 or 1, got %d", s.Axis)
	}
	k := &Kernel{red: red, axis: s.Axis, outerCat: formula.CatJ}
	if s.Axis == 1 {
		k.outerCat = formula.CatI
	}
	switch {
	case info.NeedsK && s.OptArg < 1:
		return fail(errkind.BadValue, "reduction %s needs opt_arg = K >= 1, got %d", info.Name, s.OptArg)
	case !info.NeedsK && s.OptArg != 0:
		return fail(errkind.BadType, "reduction %s takes no opt_arg (got %d)", info.Name, s.OptArg)
	}
	k.optK = s.OptArg
	if info.Weight == 0 && s.Formula2 != "" {
		return fail(errkind.BadValue, "reduction %s takes no formula2", info.Name)
	}
	if info.Weight == 2 && s.Formula2 == "" {
		// The name as given: SoftMax is SumSoftMaxWeight.
		return fail(errkind.BadValue, "%s reduction requires a weight formula (given as formula2 kwarg)", s.Reduction)
	}
	if err := k.setOptions(info, s.DtypeAcc, s.SumScheme); err != nil {
		return nil, info, err
	}
	return k, info, nil
}

func (k *Kernel) setOptions(info ReductionInfo, dtypeAcc, scheme string) error {
	switch dtypeAcc {
	case "", "auto":
		dtypeAcc = "auto"
	case "float16", "float32", "float64":
		if !info.SumType {
			return errkind.Errorf(errkind.BadValue, "dtype_acc=%q is only allowed for sum-type reductions (Sum, LogSumExp, SumSoftMaxWeight...), not %s", dtypeAcc, info.Name)
		}
	default:
		return errkind.Errorf(errkind.BadValue, `invalid value for option dtype_acc: should be one of "auto", "float16", "float32" or "float64", got %q`, dtypeAcc)
	}
	k.dtypeAcc = dtypeAcc
	switch scheme {
	case "", "auto", "block_sum":
		k.scheme = BlockSum
		if scheme == "block_sum" && !info.SumType {
			return errkind.Errorf(errkind.BadValue, "sum_scheme=\"block_sum\" is only allowed for sum-type reductions, not %s", info.Name)
		}
	case "direct_sum":
		k.scheme = DirectSum
	case "kahan_scheme":
		if !info.SumType {
			return errkind.Errorf(errkind.BadValue, "sum_scheme=\"kahan_scheme\" is only allowed for sum-type reductions, not %s", info.Name)
		}
		k.scheme = KahanSum
	default:
		return errkind.Errorf(errkind.BadValue, `invalid value for option sum_scheme: should be one of "auto", "direct_sum", "block_sum" or "kahan_scheme", got %q`, scheme)
	}
	return nil
}

// accumulate32 reports whether sums over float32 data accumulate in float32.
func (k *Kernel) accumulate32(isF32 bool) (bool, error) {
	switch k.dtypeAcc {
	case "auto", "float32", "float16":
		if !isF32 && k.dtypeAcc != "auto" {
			return false, errkind.Errorf(errkind.BadValue, "invalid parameter dtype_acc: %s for float64 data (only float64 is allowed)", k.dtypeAcc)
		}
		return isF32, nil
	}
	return false, nil
}

// Reduction is the kernel's reduction.
func (k *Kernel) Reduction() Reduction { return k.red }

// Describe is a JSON summary for the Python layer: the arguments it must
// pass (category and dimension of each), the output dimensions and the
// index of the output (0: i, 1: j).
func (k *Kernel) Describe() string {
	type arg struct{ Cat, Dim int }
	d := struct {
		Args      []arg  `json:"args"`
		Reduction string `json:"reduction"`
		Axis      int    `json:"axis"`
		DimF      int    `json:"dim_f"`
		DimG      int    `json:"dim_g"`
		K         int    `json:"k"`
		ValsDim   int    `json:"vals_dim"`
		IdxDim    int    `json:"idx_dim"`
		PairCost  int    `json:"pair_cost"`
		RowShape  []int  `json:"row_shape"` // the shape of each output row: (K, D) or (K,) for the KMin family
		Plan      string `json:"plan"`      // how the engine runs it (program.describe), for tests and tuning
	}{Reduction: k.red.String(), Axis: k.axis, DimF: k.dimF, DimG: k.UserDimG, K: k.optK,
		ValsDim: k.ValsDim, IdxDim: k.IdxDim, PairCost: k.PairCost(), RowShape: k.rowShape(), Plan: k.prog.describe()}
	for _, v := range k.Sig {
		d.Args = append(d.Args, arg{int(v.Cat), v.Dim})
	}
	b, _ := json.Marshal(d)
	return string(b)
}

// rowShape is the shape of one output row (values and indices alike): the
// KMin family gives K values per formula component, (K, D), squeezed to
// (K,) when D is 1; the others give a vector.
func (k *Kernel) rowShape() []int {
	if k.red.Info().NeedsK {
		if k.dimF == 1 {
			return []int{k.optK}
		}
		return []int{k.optK, k.dimF}
	}
	return []int{max(k.ValsDim, k.IdxDim)}
}

// PairCost estimates the work per (i, j) pair, in values read and written
// by the per-pair steps. The Python layer weighs calls by it (pairs times
// cost) to decide which ones must stay interruptible: a call of few pairs
// over high-dimensional vectors can take minutes.
func (k *Kernel) PairCost() int {
	p := k.prog
	c := 1
	for _, ins := range p.instrs[levelPair] {
		c += ins.dim
		for _, a := range ins.args {
			c += p.slots[a].dim
		}
	}
	if p.gemm != nil {
		c += 2 * p.gemm.dim
	}
	if p.dot != nil {
		c += 2 * p.slots[p.dot.w].dim
	}
	if p.fold != nil {
		// The fused loop reads both points and the weights of each pair.
		c += 2 * p.fold.dim
	}
	return c
}
