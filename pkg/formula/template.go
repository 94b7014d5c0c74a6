package formula

import (
	"fmt"
	"strings"
)

// A template is a formula of the op table (an Expand alternative, a Deriv
// rule) over placeholder names: a, b, c, d for the formula arguments, e for
// the gradient input, f for the call itself, n and m for its integer
// parameters, Da ... Dd for the arguments' dims and D for its own dim.
// Integer parameters of the template's calls may be expressions over the
// integer names (Pow(a,n-1)); they are evaluated at instantiation.
type template struct {
	src  string
	root Expr
	ints map[*Call]map[int]Expr // integer parameters that are expressions
}

func (t *template) intParam(c *Call, k int, e Expr) {
	if t.ints[c] == nil {
		t.ints[c] = map[int]Expr{}
	}
	t.ints[c][k] = e
}

// alternative is one case of an Expand: the template applies when every
// condition holds; a nil template means "keep the primitive".
type alternative struct {
	conds []cond
	tmpl  *template
}

// cond is "x==y" or "x!=y" over integer expressions.
type cond struct {
	x, y Expr
	ne   bool
}

// mustTemplate parses a template of the op table; a bad one is a bug of the
// table, reported when the package is initialised.
func mustTemplate(op Op, what, src string) *template {
	t := &template{src: src, ints: map[*Call]map[int]Expr{}}
	root, err := parse(src, t)
	if err != nil {
		panic(fmt.Sprintf("formula: op table: %s %s %q: %v", op, what, src, err))
	}
	t.root = root
	return t
}

// compileTemplates parses the templates of one row.
func compileTemplates(op Op) {
	row := op.Info()
	if row.Expand != "" {
		// "X if C1 else Y if C2 else Z": Python's conditional expression,
		// read right to left as a list of guarded alternatives.
		rest := row.Expand
		for {
			head, tail, more := strings.Cut(rest, " else ")
			body, guard, guarded := strings.Cut(head, " if ")
			alt := alternative{}
			if strings.TrimSpace(body) != "prim" {
				alt.tmpl = mustTemplate(op, "Expand", body)
			} else if row.Prim == PrimNone {
				panic(fmt.Sprintf("formula: op table: %s expands to prim but has no primitive", op))
			}
			if guarded {
				for _, g := range strings.Split(guard, " and ") {
					alt.conds = append(alt.conds, mustCond(op, g))
				}
			}
			row.expand = append(row.expand, alt)
			if !more {
				break
			}
			rest = tail
		}
	}
	for k, d := range row.Deriv {
		if k >= row.Args {
			break
		}
		if d != "" {
			row.deriv = append(row.deriv, mustTemplate(op, "Deriv", d))
		} else {
			row.deriv = append(row.deriv, nil)
		}
	}
	if row.DerivVia != "" {
		row.via = mustTemplate(op, "DerivVia", row.DerivVia)
	}
}

func mustCond(op Op, s string) cond {
	c := cond{}
	l, r, ok := strings.Cut(s, "==")
	if !ok {
		l, r, ok = strings.Cut(s, "!=")
		c.ne = true
	}
	if !ok {
		panic(fmt.Sprintf("formula: op table: %s: condition %q needs == or !=", op, s))
	}
	c.x = mustTemplate(op, "condition", l).root
	c.y = mustTemplate(op, "condition", r).root
	return c
}

// env binds the names of a template for one instantiation.
type env struct {
	call Expr   // f
	args []Expr // a, b, c, d
	e    Expr   // gradient input
	ints []int  // n, m
	dim  int    // D
}

func newEnv(c *Call) *env { return &env{call: c, args: c.Args, ints: c.Ints, dim: c.Dim} }

// intName returns the value of an integer name.
func (v *env) intName(name string) (int, bool) {
	switch name {
	case "n", "m":
		k := 0
		if name == "m" {
			k = 1
		}
		if k < len(v.ints) {
			return v.ints[k], true
		}
	case "D":
		return v.dim, true
	case "Da", "Db", "Dc", "Dd":
		if k := int(name[1] - 'a'); k < len(v.args) {
			return DimOf(v.args[k]), true
		}
	}
	return 0, false
}

// exprName returns the formula bound to a name.
func (v *env) exprName(name string) (Expr, bool) {
	switch name {
	case "a", "b", "c", "d":
		if k := int(name[0] - 'a'); k < len(v.args) {
			return v.args[k], true
		}
	case "e":
		return v.e, v.e != nil
	case "f":
		return v.call, v.call != nil
	}
	return nil, false
}

// evalInt evaluates an integer expression of a template.
func (v *env) evalInt(e Expr) (int, error) {
	switch e := e.(type) {
	case *Const:
		if e.IsInt() {
			return int(e.Num), nil
		}
	case *Ident:
		if n, ok := v.intName(e.Name); ok {
			return n, nil
		}
		return 0, fmt.Errorf("unknown integer %s", e.Name)
	case *Call:
		if e.Op == OpMinus {
			x, err := v.evalInt(e.Args[0])
			return -x, err
		}
		if len(e.Args) != 2 {
			break
		}
		x, err := v.evalInt(e.Args[0])
		if err != nil {
			return 0, err
		}
		y, err := v.evalInt(e.Args[1])
		if err != nil {
			return 0, err
		}
		switch e.Op {
		case OpAdd:
			return x + y, nil
		case OpSubtract:
			return x - y, nil
		case OpMult:
			return x * y, nil
		}
	}
	return 0, fmt.Errorf("not an integer expression")
}

func (v *env) holds(cs []cond) (bool, error) {
	for _, c := range cs {
		x, err := v.evalInt(c.x)
		if err != nil {
			return false, err
		}
		y, err := v.evalInt(c.y)
		if err != nil {
			return false, err
		}
		if (x == y) == c.ne {
			return false, nil
		}
	}
	return true, nil
}

// instantiate builds the template with the names bound by v; every call is
// built by l.call, so the result is lowered, checked and simplified. pos is
// where errors point: the op being expanded or differentiated.
func (l *lowering) instantiate(t *template, v *env, pos Pos) (Expr, error) {
	var inst func(x Expr) (Expr, error)
	inst = func(x Expr) (Expr, error) {
		switch x := x.(type) {
		case *Ident:
			if e, ok := v.exprName(x.Name); ok {
				return e, nil
			}
			if n, ok := v.intName(x.Name); ok {
				return l.leaf(IntConst(int64(n))), nil
			}
			return nil, fmt.Errorf("formula: op table: template %q: unbound name %s", t.src, x.Name)
		case *Const, *Zero, *Var:
			return l.leaf(x), nil
		case *Call:
			args := make([]Expr, len(x.Args))
			for k, a := range x.Args {
				var err error
				if args[k], err = inst(a); err != nil {
					return nil, err
				}
			}
			ints := x.Ints
			if params := t.ints[x]; params != nil {
				ints = append([]int(nil), x.Ints...)
				for k, ie := range params {
					n, err := v.evalInt(ie)
					if err != nil {
						return nil, fmt.Errorf("formula: op table: template %q: %v", t.src, err)
					}
					ints[k] = n
				}
			}
			return l.call(pos, x.Op, args, ints, x.Lists)
		}
		return nil, fmt.Errorf("formula: op table: template %q: unexpected %T", t.src, x)
	}
	return inst(t.root)
}
