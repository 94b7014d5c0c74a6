package formula

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/gokeops/gokeops/pkg/errkind"
)

// Alias binds a name to a variable, as in "x = Vi(3)". Name is empty for the
// anonymous forms "Vi(3)" and "Var(0,3,0)", which still count as arguments.
type Alias struct {
	Name string
	Var  Var
}

// ParseAlias parses one alias string. pos is the alias' position in the
// alias list: the index of the forms without an explicit index.
//
// A name may be that of an operation: as in KeOps (where aliases are the
// locals of an eval), the alias then hides the operation where the name is
// used without parentheses.
//
// Accepted: "x=Vi(3)", "x=Vi(0,3)" (and Vj, Pm), "Vi(3)", "Vi(0,3)",
// "Var(0,3,0)" and "x=Var(0,3,0)" (which KeOps 2.3 rejects at call time).
func ParseAlias(s string, pos int) (Alias, error) {
	src := strings.Join(strings.Fields(s), "")
	bad := func(format string, args ...any) (Alias, error) {
		return Alias{}, errkind.Errorf(errkind.BadValue, "alias %q: %s", s, fmt.Sprintf(format, args...))
	}
	var a Alias
	rhs := src
	if k := strings.IndexByte(src, '='); k >= 0 {
		a.Name, rhs = src[:k], src[k+1:]
		if !validName(a.Name) {
			return bad("the name must match [A-Za-z_][A-Za-z_0-9]*")
		}
	}
	open := strings.IndexByte(rhs, '(')
	if open < 0 || !strings.HasSuffix(rhs, ")") {
		return bad("expected Vi(dim), Vj(dim), Pm(dim), Vi(index,dim) or Var(index,dim,cat)")
	}
	kind, inner := rhs[:open], rhs[open+1:len(rhs)-1]
	var nums []int
	for _, f := range strings.Split(inner, ",") {
		n, err := strconv.Atoi(f)
		if err != nil {
			return bad("%q is not an integer", f)
		}
		nums = append(nums, n)
	}
	switch kind {
	case "Vi", "Vj", "Pm":
		a.Var.Cat = map[string]Cat{"Vi": CatI, "Vj": CatJ, "Pm": CatParm}[kind]
		switch len(nums) {
		case 1:
			a.Var.Ind, a.Var.Dim = pos, nums[0]
		case 2:
			a.Var.Ind, a.Var.Dim = nums[0], nums[1]
		default:
			return bad("%s takes (dim) or (index, dim)", kind)
		}
	case "Var":
		if len(nums) != 3 {
			return bad("Var takes (index, dim, cat)")
		}
		if nums[2] < 0 || nums[2] > 2 {
			return bad("the category must be 0 (Vi), 1 (Vj) or 2 (Pm), got %d", nums[2])
		}
		a.Var.Ind, a.Var.Dim, a.Var.Cat = nums[0], nums[1], Cat(nums[2])
	default:
		return bad("unknown variable kind %q (expected Vi, Vj, Pm or Var)", kind)
	}
	if a.Var.Ind < 0 || a.Var.Ind > 1<<16 {
		return bad("the index must be between 0 and 65536, got %d", a.Var.Ind)
	}
	if a.Var.Dim < 1 || a.Var.Dim > 1<<20 {
		return bad("the dimension must be >= 1, got %d", a.Var.Dim)
	}
	return a, nil
}

// String writes a in a form ParseAlias reads back to the same Alias:
// "x=Vi(0,3)" (or Vj, Pm), or "Var(0,3,0)" without a name.
func (a Alias) String() string {
	v := a.Var
	if a.Name == "" || v.Cat < CatI || v.Cat > CatParm {
		return varString(v)
	}
	return fmt.Sprintf("%s=%s(%d,%d)", a.Name, v.Cat, v.Ind, v.Dim)
}

func validName(s string) bool {
	if s == "" || isDigit(s[0]) {
		return false
	}
	for k := 0; k < len(s); k++ {
		if !isLetter(s[k]) && !isDigit(s[k]) {
			return false
		}
	}
	return true
}

// Bind replaces every alias name of e by its variable. A later alias with the
// same name overrides an earlier one, as in a Python dict.
func Bind(e Expr, aliases []Alias, src string) (Expr, error) {
	names := map[string]*Var{}
	for k := range aliases {
		if aliases[k].Name != "" {
			names[aliases[k].Name] = &aliases[k].Var
		}
	}
	var err error
	out := Rewrite(e, func(n Expr) Expr {
		id, ok := n.(*Ident)
		if !ok {
			return n
		}
		v, ok := names[id.Name]
		if !ok {
			if err == nil {
				err = errorf(src, id.NamePos, "undefined name %s: not an alias", id.Name)
			}
			return n
		}
		cp := *v
		cp.ValuePos = id.NamePos
		return &cp
	})
	return out, err
}

// Signature is the list of call arguments a formula expects: entry k is the
// variable read from argument k.
type Signature []Var

// MakeSignature merges the aliases and the variables used by the formulas
// (KeOps' complete_aliases): argument k is the variable of index k. Every
// index from 0 to the largest must be declared, and each must have one
// dimension and category.
func MakeSignature(aliases []Alias, formulas ...Expr) (Signature, error) {
	var all []Var
	for _, a := range aliases {
		all = append(all, a.Var)
	}
	for _, f := range formulas {
		for _, v := range Vars(f) {
			if v.Ind >= 0 {
				all = append(all, *v)
			}
		}
	}
	n := 0
	for _, v := range all {
		n = max(n, v.Ind+1)
	}
	sig := make(Signature, n)
	seen := make([]bool, n)
	for _, v := range all {
		if seen[v.Ind] && (sig[v.Ind].Dim != v.Dim || sig[v.Ind].Cat != v.Cat) {
			return nil, errkind.Errorf(errkind.BadValue, "formula: argument %d is declared twice, as %s and %s", v.Ind,
				varString(sig[v.Ind]), varString(v))
		}
		sig[v.Ind], seen[v.Ind] = v, true
		sig[v.Ind].ValuePos = NoPos
	}
	for k, ok := range seen {
		if !ok {
			return nil, errkind.Errorf(errkind.BadValue, "formula: argument %d is used by no alias or variable (indices must be 0..%d without gaps)", k, n-1)
		}
	}
	return sig, nil
}

func varString(v Var) string {
	return fmt.Sprintf("Var(%d,%d,%d)", v.Ind, v.Dim, v.Cat)
}
