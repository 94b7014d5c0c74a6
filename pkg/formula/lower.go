package formula

// maxNodes bounds the operations Lower may build. Expansions and, above all,
// symbolic derivatives of derivatives grow formulas quickly; past this
// bound the formula is rejected instead of exhausting time or memory.
const maxNodes = 1 << 18

// lowering is the state of one Lower: the formula text for errors, the
// remaining node budget, the placeholders handed out and a memo of which
// nodes depend on which variable.
type lowering struct {
	src    string
	budget int
	nextPh int // placeholders are Vars of index -1, -2, ...
	deps   map[depKey]bool
}

type depKey struct {
	n Expr
	v varKey
}

type varKey struct {
	ind, dim int
	cat      Cat
}

func keyOf(v *Var) varKey { return varKey{v.Ind, v.Dim, v.Cat} }

func newLowering(src string) *lowering {
	return &lowering{src: src, budget: maxNodes, deps: map[depKey]bool{}}
}

// Lower expands every composite call and every symbolic one (Grad, Diff,
// ...) into calls of primitive ops, and simplifies the result (simplify.go)
// as KeOps' constructors do. e must be bound and checked. The result has
// only Var, Const, Zero and Calls whose Op has a Prim, each with its Dim.
func Lower(e Expr, src string) (Expr, error) {
	return newLowering(src).lower(e)
}

func (l *lowering) lower(e Expr) (Expr, error) {
	switch e := e.(type) {
	case *Ident:
		return nil, errorf(l.src, e.NamePos, "undefined name %s: not an alias", e.Name)
	case *Var, *Const, *Zero:
		if _, err := check(e, l.src); err != nil {
			return nil, err
		}
		return l.leaf(e), nil
	case *Call:
		args := make([]Expr, len(e.Args))
		for k, a := range e.Args {
			var err error
			if args[k], err = l.lower(a); err != nil {
				return nil, err
			}
		}
		return l.call(e.NamePos, e.Op, args, e.Ints, e.Lists)
	}
	return nil, errorf(l.src, NoPos, "unknown node %T", e)
}

// leaf returns a leaf in lowered form: IntCst(0) and RatCst(0,q) are Zero(1),
// as in KeOps.
func (l *lowering) leaf(e Expr) Expr {
	if c, ok := e.(*Const); ok && c.Den != 0 && c.Num == 0 {
		return &Zero{ValuePos: c.ValuePos, Dim: 1}
	}
	return e
}

// call builds op(args; ints; lists) from lowered arguments: it checks dims,
// then runs the symbolic rule, the Go builder or the expansion of the op,
// or keeps the primitive, simplified. pos is where errors point.
func (l *lowering) call(pos Pos, op Op, args []Expr, ints []int, lists [][]int) (Expr, error) {
	if l.budget--; l.budget < 0 {
		return nil, errorf(l.src, pos, "formula too large: more than %d operations after expansion and differentiation", maxNodes)
	}
	c := &Call{NamePos: pos, Op: op, Args: args, Ints: ints, Lists: lists}
	d, msg := callDim(c)
	if msg != "" {
		return nil, errorf(l.src, pos, "%s", msg)
	}
	c.Dim = d
	row := op.Info()
	switch {
	case row.lower != nil:
		return row.lower(l, c)
	case row.build != nil:
		return row.build(l, c)
	}
	for _, alt := range row.expand {
		v := newEnv(c)
		ok, err := v.holds(alt.conds)
		if err != nil {
			return nil, errorf(l.src, pos, "op table: %s: %v", op, err)
		}
		if !ok {
			continue
		}
		if alt.tmpl == nil {
			break // keep the primitive
		}
		return l.instantiate(alt.tmpl, v, pos)
	}
	if row.Prim == PrimNone {
		return nil, errorf(l.src, pos, "%s cannot be lowered", op)
	}
	return l.simplify(c)
}

// buildKron writes Kron(A, B, da, db) as the TensorDot without contraction
// whose permutation interleaves the axes of A and B: np.kron.
func buildKron(l *lowering, c *Call) (Expr, error) {
	da, db := c.Lists[0], c.Lists[1]
	r := len(da)
	perm := make([]int, 2*r)
	for i := range r {
		perm[i], perm[r+i] = 2*i, 2*i+1
	}
	return l.call(c.NamePos, OpTensorDot, c.Args, nil, [][]int{da, db, {}, {}, perm})
}

// buildTensorDot gives the permutation explicitly (identity when absent):
// the engine always receives five lists.
func buildTensorDot(l *lowering, c *Call) (Expr, error) {
	if len(c.Lists) == 4 {
		_, _, shape, _ := tensorDotShape(DimOf(c.Args[0]), DimOf(c.Args[1]), c.Lists)
		id := make([]int, len(shape))
		for k := range id {
			id[k] = k
		}
		c.Lists = append(c.Lists[:4:4], id)
	}
	return l.simplify(c)
}

// lowerFactorize: Factorize(F, G) and AutoFactorize(F) have the value of F;
// sharing repeated sub-formulas is the engine's business (it sees the tree).
func lowerFactorize(l *lowering, c *Call) (Expr, error) { return c.Args[0], nil }

// placeholder returns a fresh internal variable (negative index) of dim d.
func (l *lowering) placeholder(d int) *Var {
	l.nextPh++
	return &Var{Ind: -l.nextPh, Dim: d, Cat: CatJ}
}

// depends reports whether x reads the variable v. Trees built by templates
// share subtrees, so the answer is memoised per node.
func (l *lowering) depends(x Expr, v *Var) bool {
	switch x := x.(type) {
	case *Var:
		return keyOf(x) == keyOf(v)
	case *Call:
		k := depKey{x, keyOf(v)}
		if r, ok := l.deps[k]; ok {
			return r
		}
		r := false
		for _, a := range x.Args {
			if l.depends(a, v) {
				r = true
				break
			}
		}
		l.deps[k] = r
		return r
	}
	return false
}

// zero is Zero(d).
func zero(pos Pos, d int) *Zero { return &Zero{ValuePos: pos, Dim: d} }

func isZero(e Expr) bool {
	_, ok := e.(*Zero)
	return ok
}

// broadcast returns x with dim d: x itself, or SumT(x, d) for a dim-1 x.
func (l *lowering) broadcast(pos Pos, x Expr, d int) (Expr, error) {
	switch xd := DimOf(x); {
	case xd == d:
		return x, nil
	case isZero(x):
		return zero(pos, d), nil
	case xd == 1:
		return l.call(pos, OpSumT, []Expr{x}, []int{d}, nil)
	}
	return nil, errorf(l.src, pos, "internal error: cannot broadcast dimension %d to %d", DimOf(x), d)
}

// op1 and op2 build calls without integer parameters.
func (l *lowering) op1(pos Pos, op Op, a Expr, ints ...int) (Expr, error) {
	return l.call(pos, op, []Expr{a}, ints, nil)
}

func (l *lowering) op2(pos Pos, op Op, a, b Expr) (Expr, error) {
	return l.call(pos, op, []Expr{a, b}, nil, nil)
}
