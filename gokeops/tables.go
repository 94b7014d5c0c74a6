package gokeops

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"

	"github.com/gokeops/gokeops/pkg/core"
	"github.com/gokeops/gokeops/pkg/errkind"
	"github.com/gokeops/gokeops/pkg/formula"
)

// The facts of the API that the Python layer checks arguments against. Static
// ones come in one JSON document (Tables), read once at import, so that no
// check on the hot path of a call crosses into Go; the others (CheckOptions,
// ParseAlias, FormulaDim) are asked for when a Genred, an alias or a
// LazyTensor operation is built, and cached there.

// reductionRow is a row of the reductions table of Tables.
type reductionRow struct {
	Name     string `json:"name"`
	NeedsK   bool   `json:"needs_k"`   // opt_arg K is required (the KMin family)
	Weight   int    `json:"weight"`    // formula2: 0 none, 1 optional, 2 required
	SumType  bool   `json:"sum_type"`  // accepts dtype_acc and block_sum / kahan_scheme
	ScalarF  bool   `json:"scalar_f"`  // the formula must have dimension 1
	HasIndex bool   `json:"has_index"` // some output is an index (float32 size limit)
}

// tables is the document of Tables.
type tables struct {
	Reductions []reductionRow     `json:"reductions"`
	Aliases    map[string]string  `json:"reduction_aliases"` // other name -> table name
	DtypeAcc   []string           `json:"dtype_acc"`
	SumScheme  []string           `json:"sum_scheme"`
	Categories map[string]int     `json:"categories"` // alias kind -> category number
	MaxIndex   map[string]float64 `json:"max_index_rows"`
}

// Tables returns, as JSON, the reductions table (name, needs_k, weight,
// sum_type, scalar_f, has_index per reduction, and the other names some
// reductions go by), the values of dtype_acc and sum_scheme, the category
// numbers of the alias kinds and, per dtype, the largest number of reduced
// points for which index reductions give exact indices.
func Tables() (s string, err error) {
	defer guard(&err)
	t := tables{
		Aliases:    core.ReductionAliases,
		DtypeAcc:   []string{"auto", "float16", "float32", "float64"},
		SumScheme:  []string{"auto", "direct_sum", "block_sum", "kahan_scheme"},
		Categories: map[string]int{"Vi": int(formula.CatI), "Vj": int(formula.CatJ), "Pm": int(formula.CatParm)},
		// Indices are carried in float32 by KeOps: pykeops refuses more than
		// 1.6e7 reduced points there, and so do we.
		MaxIndex: map[string]float64{"float32": 1.6e7},
	}
	for _, r := range core.Reductions() {
		t.Reductions = append(t.Reductions, reductionRow{Name: r.Name, NeedsK: r.NeedsK, Weight: r.Weight,
			SumType: r.SumType, ScalarF: r.ScalarF, HasIndex: r.HasIndex})
	}
	b, err := json.Marshal(t)
	return string(b), err
}

// CheckOptions checks the options of a reduction that do not depend on its
// formulas, as Compile does first (see core.CheckOptions): reduction, axis,
// opt_arg, whether a formula2 is given, dtype_acc and sum_scheme. A Genred
// calls it at construction, when it does not compile yet.
func CheckOptions(reduction string, axis, optArg int, hasFormula2 bool, dtypeAcc, sumScheme string) (ok bool, err error) {
	defer guard(&err)
	spec := core.Spec{Reduction: reduction, Axis: axis, OptArg: optArg, DtypeAcc: dtypeAcc, SumScheme: sumScheme}
	if hasFormula2 {
		spec.Formula2 = "formula2"
	}
	if err := core.CheckOptions(spec); err != nil {
		return false, err
	}
	return true, nil
}

// ParseAlias parses an alias ("x = Vi(3)", "Vj(1,2)", "Var(0,3,1)") as the
// compiler does, at position pos of its list (pos < 0: none). It returns
// "name\tcat\tdim\tindex", name empty for the anonymous forms and index -1
// when the alias gives none and pos < 0.
func ParseAlias(s string, pos int) (fields string, err error) {
	defer guard(&err)
	a, err := formula.ParseAlias(s, max(pos, 0))
	if err != nil {
		return "", err
	}
	ind := a.Var.Ind
	if pos < 0 {
		// The index comes from the string when another position gives the same.
		if b, err := formula.ParseAlias(s, 1); err != nil || b.Var.Ind != ind {
			ind = -1
		}
	}
	return strings.Join([]string{a.Name, strconv.Itoa(int(a.Var.Cat)), strconv.Itoa(a.Var.Dim), strconv.Itoa(ind)}, "\t"), nil
}

// FormulaDim is the dimension of a formula whose variables are all written
// Var(index,dim,cat) (no aliases), after checking the dimensions of every
// operation in it: the dimension rules of the op table, which LazyTensor
// operations ask for with placeholder variables. An error of the formula
// says what is wrong without the column and caret, which would point into
// those placeholders.
func FormulaDim(src string) (dim int, err error) {
	defer guard(&err)
	e, err := formula.Checked(src, nil)
	if fe := (*formula.Error)(nil); errors.As(err, &fe) {
		return 0, errkind.Errorf(errkind.BadValue, "%s", fe.Msg)
	}
	if err != nil {
		return 0, errkind.Wrap(errkind.BadValue, err)
	}
	return formula.DimOf(e), nil
}
