package keops

import (
	"fmt"
	"strings"

	"github.com/gokeops/gokeops/pkg/core"
	"github.com/gokeops/gokeops/pkg/formula"
)

// Spec describes a reduction, with the arguments of pykeops'
// Genred(formula, aliases, reduction_op, axis, dtype, opt_arg, formula2,
// dtype_acc, sum_scheme). Only Formula and Reduction are required.
type Spec struct {
	// Formula is the formula reduced, e.g. "Exp(-SqDist(x, y)) * b".
	Formula string
	// Aliases name the arguments: "x = Vi(3)", "y = Vj(3)", "s = Pm(1)",
	// or with an explicit argument index, "y = Vj(1, 3)". Argument k of
	// Run is the variable of index k; without explicit indices, that is
	// the k-th alias.
	Aliases []string
	// Reduction is the reduction: Sum, Max, Min, ArgMax, ArgMin, Max_ArgMax,
	// Min_ArgMin, KMin, ArgKMin, KMin_ArgKMin, LogSumExp, LogSumExpWeight,
	// Max_SumShiftExp, Max_SumShiftExpWeight, SumSoftMaxWeight (SoftMax).
	Reduction string
	// Axis is the index reduced over: 1 reduces over j (one output row
	// per i), 0 over i (one output row per j). The zero value is 0, as in
	// pykeops.
	Axis int
	// OptArg is K for KMin, ArgKMin and KMin_ArgKMin.
	OptArg int
	// Formula2 is the weight formula of LogSumExpWeight and
	// SumSoftMaxWeight.
	Formula2 string
	// DtypeAcc is the accumulator type of sum-type reductions: "" or
	// "auto" (the data type), "float32" or "float64"; "float16" means
	// float32 here.
	DtypeAcc string
	// SumScheme is "" or "auto" (block_sum for sums), "direct_sum",
	// "block_sum" or "kahan_scheme".
	SumScheme string
	// Dtype, when set to "float32" or "float64", restricts the kernel to
	// that data type: running it on the other is an ErrDtype error. Empty,
	// the kernel runs on both.
	Dtype string
}

// Category says how an argument is indexed.
type Category int

const (
	// I is a variable indexed by i (Vi): M rows.
	I Category = 0
	// J is a variable indexed by j (Vj): N rows.
	J Category = 1
	// Param is a parameter (Pm): one row shared by every (i, j).
	Param Category = 2
)

func (c Category) String() string { return formula.Cat(c).String() }

// Arg describes one argument of a kernel.
type Arg struct {
	Index int      // position in the argument list of Run
	Name  string   // the alias name, or "" for an anonymous one
	Cat   Category // I, J or Param
	Dim   int      // values per row
}

func (a Arg) String() string {
	v := fmt.Sprintf("%s(%d)", a.Cat, a.Dim)
	if a.Name == "" {
		return fmt.Sprintf("argument %d (%s)", a.Index, v)
	}
	return fmt.Sprintf("argument %d (%s = %s)", a.Index, a.Name, v)
}

// Kernel is a compiled Spec. It is safe for concurrent runs.
type Kernel struct {
	spec Spec
	k    *core.Kernel
	args []Arg
}

// Compile checks and compiles a reduction. The errors are *Error values of
// kind ErrFormula, ErrAlias, ErrReduction or ErrOption.
func Compile(s Spec) (*Kernel, error) {
	const op = "compile"
	// The formula and aliases are checked here first, for typed errors
	// with positions; core.Compile then checks the options.
	aliases := make([]formula.Alias, len(s.Aliases))
	for i, a := range s.Aliases {
		var err error
		if aliases[i], err = formula.ParseAlias(a, i); err != nil {
			e := fromEngine(op, ErrAlias, err)
			e.Arg = i
			return nil, e
		}
	}
	if strings.TrimSpace(s.Formula) == "" {
		return nil, newError(op, ErrFormula, -1, "the formula is empty")
	}
	f, err := formula.Compile(s.Formula, aliases)
	if err != nil {
		return nil, fromEngine(op, ErrFormula, err)
	}
	vars := []formula.Expr{f}
	if s.Formula2 != "" {
		g, err := formula.Compile(s.Formula2, aliases)
		if err != nil {
			e := fromEngine(op, ErrFormula, err)
			e.Msg = "formula2: " + e.Msg
			return nil, e
		}
		vars = append(vars, g)
	}
	if _, err := formula.MakeSignature(aliases, vars...); err != nil {
		return nil, fromEngine(op, ErrAlias, err)
	}
	if _, err := core.ParseReduction(s.Reduction); err != nil {
		return nil, fromEngine(op, ErrReduction, err)
	}
	switch s.Dtype {
	case "", "float32", "float64":
	default:
		return nil, newError(op, ErrOption, -1, `dtype must be "float32", "float64" or empty, got %q`, s.Dtype)
	}
	if s.Dtype == "float64" && s.DtypeAcc != "" && s.DtypeAcc != "auto" && s.DtypeAcc != "float64" {
		return nil, newError(op, ErrOption, -1, "dtype_acc %q is not allowed for float64 data", s.DtypeAcc)
	}
	k, err := core.Compile(core.Spec{Formula: s.Formula, Aliases: s.Aliases, Reduction: s.Reduction,
		Axis: s.Axis, OptArg: s.OptArg, Formula2: s.Formula2, DtypeAcc: s.DtypeAcc, SumScheme: s.SumScheme})
	if err != nil {
		kind := ErrOption
		if strings.Contains(err.Error(), "dimension") {
			kind = ErrFormula // e.g. LogSumExp of a formula of dimension 3
		}
		return nil, fromEngine(op, kind, err)
	}
	kern := &Kernel{spec: s, k: k}
	names := map[int]string{}
	for _, a := range aliases {
		names[a.Var.Ind] = a.Name
	}
	for i, v := range k.Sig {
		kern.args = append(kern.args, Arg{Index: i, Name: names[i], Cat: Category(v.Cat), Dim: v.Dim})
	}
	return kern, nil
}

// MustCompile is Compile for specs known to be valid: it panics on error.
func MustCompile(s Spec) *Kernel {
	k, err := Compile(s)
	if err != nil {
		panic(err)
	}
	return k
}

// Spec returns the spec the kernel was compiled from.
func (k *Kernel) Spec() Spec {
	s := k.spec
	s.Aliases = append([]string(nil), s.Aliases...)
	return s
}

// Args lists the arguments Run expects, in order.
func (k *Kernel) Args() []Arg { return append([]Arg(nil), k.args...) }

// Arg returns the argument named name (an alias name).
func (k *Kernel) Arg(name string) (Arg, bool) {
	for _, a := range k.args {
		if a.Name == name && name != "" {
			return a, true
		}
	}
	return Arg{}, false
}

// Axis is the index reduced over (1: j, 0: i).
func (k *Kernel) Axis() int { return k.spec.Axis }

// Dim is the number of values per output row: the formula's dimension for
// Sum, K*dim for KMin, 0 for ArgMin, ArgKMin (indices only).
func (k *Kernel) Dim() int { return k.k.ValsDim }

// IndexDim is the number of int64 indices per output row: dim for ArgMin,
// K*dim for ArgKMin, 0 for reductions without indices.
func (k *Kernel) IndexDim() int { return k.k.IdxDim }

// String is the kernel's reduction in the form Reduction(formula, axis).
func (k *Kernel) String() string {
	return fmt.Sprintf("%s(%s, axis=%d)", k.k.Reduction(), k.spec.Formula, k.spec.Axis)
}
