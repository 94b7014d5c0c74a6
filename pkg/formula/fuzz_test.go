package formula_test

import (
	"errors"
	"testing"

	"github.com/gokeops/gokeops/pkg/formula"
)

// FuzzParse checks that no input makes the parser, the checker or Lower
// panic or hang, that errors are positioned *formula.Errors, and that
// parse -> print -> parse gives an Equal tree. Seeds: testdata/fuzz/FuzzParse
// and the tables of parse_test.go.
func FuzzParse(f *testing.F) {
	for _, s := range valid {
		f.Add(s)
	}
	for _, tc := range printed {
		f.Add(tc.src)
	}
	for _, tc := range invalid {
		f.Add(tc.src)
	}
	al := testAliases(f)
	f.Fuzz(func(t *testing.T, src string) {
		e, err := formula.Parse(src)
		if err != nil {
			var fe *formula.Error
			if !errors.As(err, &fe) {
				t.Fatalf("Parse error %T is not a *formula.Error: %v", err, err)
			}
			return
		}
		roundTrip(t, e)
		low, err := formula.Compile(src, al)
		if err != nil {
			var fe *formula.Error
			if !errors.As(err, &fe) {
				t.Fatalf("Compile error %T is not a *formula.Error: %v", err, err)
			}
			return
		}
		checkDAG(t, low)
	})
}

// checkDAG checks the engine contract on a lowered tree, visiting each
// shared node once (printing or walking it as a tree can take exponential
// time after differentiation).
func checkDAG(t *testing.T, e formula.Expr) {
	seen := map[*formula.Call]bool{}
	var walk func(e formula.Expr)
	walk = func(e formula.Expr) {
		switch e := e.(type) {
		case *formula.Var:
			if e.Ind < 0 {
				t.Fatalf("placeholder %s left in a lowered formula", e)
			}
		case *formula.Const, *formula.Zero:
		case *formula.Call:
			if seen[e] {
				return
			}
			seen[e] = true
			if e.Op.Info().Prim == formula.PrimNone || e.Dim < 1 {
				t.Fatalf("lowered formula has %s with dim %d", e.Op, e.Dim)
			}
			for _, a := range e.Args {
				walk(a)
			}
		default:
			t.Fatalf("lowered formula has a %T", e)
		}
	}
	walk(e)
}

// FuzzAlias checks that ParseAlias never panics and that an alias prints
// to a string that parses back to the same alias, usable in a formula.
func FuzzAlias(f *testing.F) {
	for _, s := range []string{"x=Vi(3)", "y=Vj(1,2)", "Pm(4)", "Var(0,3,1)", "x=Var(2,3,2)", " a = Vi ( 7 ) ", "x=Vx(3)", "=Vi(3)"} {
		f.Add(s, 0)
	}
	f.Fuzz(func(t *testing.T, s string, pos int) {
		pos &= 0xff
		a, err := formula.ParseAlias(s, pos)
		if err != nil {
			return
		}
		b, err := formula.ParseAlias(a.String(), pos)
		if err != nil {
			t.Fatalf("ParseAlias(%q) = %v, whose String %q does not parse: %v", s, a, a.String(), err)
		}
		if b.Name != a.Name || !formula.Equal(&a.Var, &b.Var) {
			t.Fatalf("ParseAlias(%q) = %v, read back as %v", s, a, b)
		}
		if a.Name != "" {
			if _, err := formula.Compile(a.Name+"*2", []formula.Alias{a}); err != nil {
				t.Fatalf("alias %v unusable: %v", a, err)
			}
		}
	})
}
