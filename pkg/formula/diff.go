package formula

// Symbolic differentiation, reverse mode as in KeOps' DiffT: the gradient
// input e flows from a call to each argument that depends on the variable,
// through the rule of the op's table row, and contributions are summed.
// Everything is built by l.call, so results come out lowered and simplified.

// grad returns the vector-Jacobian product sum_k e_k dF_k/dv, of dim v.Dim.
// f and e are lowered, and DimOf(e) is DimOf(f) or 1 (then e is broadcast:
// the result is the gradient of the sum of F's components times e).
func (l *lowering) grad(f Expr, v *Var, e Expr, pos Pos) (Expr, error) {
	if isZero(e) || !l.depends(f, v) {
		return zero(pos, v.Dim), nil
	}
	switch f := f.(type) {
	case *Var:
		return l.broadcast(pos, e, v.Dim)
	case *Call:
		row := f.Op.Info()
		if row.via != nil {
			g, err := l.instantiate(row.via, newEnv(f), pos)
			if err != nil {
				return nil, err
			}
			return l.grad(g, v, e, pos)
		}
		if DimOf(e) != f.Dim && row.Family != FamElementwise {
			// Elementwise rules broadcast a dim-1 e by themselves; the
			// others are written for an e of the op's dim.
			var err error
			if e, err = l.broadcast(pos, e, f.Dim); err != nil {
				return nil, err
			}
		}
		var total Expr = zero(pos, v.Dim)
		for k, a := range f.Args {
			if !l.depends(a, v) {
				continue
			}
			g, err := l.partial(f, k, e, pos)
			if err != nil {
				return nil, err
			}
			if g, err = l.fit(g, DimOf(a), f.Dim, row.Family, pos); err != nil {
				return nil, err
			}
			if isZero(g) {
				continue
			}
			d, err := l.grad(a, v, g, pos)
			if err != nil {
				return nil, err
			}
			if total, err = l.op2(pos, OpAdd, total, d); err != nil {
				return nil, err
			}
		}
		return total, nil
	}
	return zero(pos, v.Dim), nil
}

// partial is the gradient input argument k of f receives from e.
func (l *lowering) partial(f *Call, k int, e Expr, pos Pos) (Expr, error) {
	row := f.Op.Info()
	if row.derivFn != nil {
		return row.derivFn(l, f, k, e)
	}
	if k >= len(row.deriv) || row.deriv[k] == nil {
		msg := row.NoDeriv
		if msg == "" {
			msg = row.Name + " is not differentiable"
		}
		return nil, errorf(l.src, pos, "%s", msg)
	}
	v := newEnv(f)
	v.e = e
	return l.instantiate(row.deriv[k], v, pos)
}

// fit undoes the broadcast of an argument of dim d of a call of dim n: an
// argument that was broadcast receives the sum of the gradient over the
// copies it fed (Sum, or ComplexSum for a complex scalar), and a gradient
// left of dim 1 by a dim-1 e is spread over the argument. When e, the
// argument and hence g all have dim 1 but the call has dim n, the argument
// fed n identical components: g counts n times.
func (l *lowering) fit(g Expr, d, n int, fam Family, pos Pos) (Expr, error) {
	gd := DimOf(g)
	switch {
	case isZero(g):
		return zero(pos, d), nil
	case gd == d && d == 1 && n > 1 && fam == FamElementwise:
		return l.op2(pos, OpMult, IntConst(int64(n)), g)
	case gd == d:
		return g, nil
	case fam == FamComplex && d == 2:
		return l.op1(pos, OpComplexSum, g)
	case fam == FamComplex && gd == 2:
		return l.op1(pos, OpComplexSumT, g, d)
	case d == 1:
		return l.op1(pos, OpSum, g)
	case gd == 1:
		return l.op1(pos, OpSumT, g, d)
	}
	return nil, errorf(l.src, pos, "internal error: a derivative of dimension %d for an argument of dimension %d", gd, d)
}

// derivTensorDot is the gradient input of argument k of a TensorDot: the
// TensorDot of e with the other operand over the axes e shares with it,
// permuted back to the axis order of argument k.
func derivTensorDot(l *lowering, c *Call, k int, e Expr) (Expr, error) {
	da, db, ca, cb, perm := c.Lists[0], c.Lists[1], c.Lists[2], c.Lists[3], c.Lists[4]
	keptA, keptB, shape, _ := tensorDotShape(DimOf(c.Args[0]), DimOf(c.Args[1]), c.Lists)
	nka := len(keptA)
	// Axis d of the (unpermuted) result sits at axis perm[d] of e.
	var ce, cother, owner []int
	var other Expr
	var lists [][]int
	if k == 0 {
		// Contract e's B axes with B's kept axes; e's A axes remain (in e
		// order), then B's contracted axes (in B order).
		for t, b := range keptB {
			ce, cother = append(ce, perm[nka+t]), append(cother, b)
		}
		owner = remaining(len(shape), ce, func(ax int) int { return keptA[indexOf(perm[:nka], ax)] })
		owner = append(owner, remaining(len(db), cother, func(ax int) int { return ca[indexOf(cb, ax)] })...)
		other = c.Args[1]
		lists = [][]int{shape, db, ce, cother}
	} else {
		// Contract A's kept axes with e's A axes; A's contracted axes remain
		// (in A order), then e's B axes (in e order).
		for s, a := range keptA {
			cother, ce = append(cother, a), append(ce, perm[s])
		}
		owner = remaining(len(da), cother, func(ax int) int { return cb[indexOf(ca, ax)] })
		owner = append(owner, remaining(len(shape), ce, func(ax int) int { return keptB[indexOf(perm[nka:], ax)] })...)
		other = c.Args[0]
		lists = [][]int{da, shape, cother, ce}
	}
	// Result axis d holds axis owner[d] of argument k: move it there.
	lists = append(lists, owner)
	args := []Expr{e, other}
	if k == 1 {
		args = []Expr{other, e}
	}
	return l.call(c.NamePos, OpTensorDot, args, nil, lists)
}

// remaining lists, in increasing order, the axes 0..n-1 not in used, each
// mapped by f.
func remaining(n int, used []int, f func(int) int) []int {
	var out []int
	for ax := range n {
		if indexOf(used, ax) < 0 {
			out = append(out, f(ax))
		}
	}
	return out
}

func indexOf(xs []int, x int) int {
	for k, y := range xs {
		if y == x {
			return k
		}
	}
	return -1
}

// lowerGrad: Grad(F, V, E), or Grad(F, V) with a new gradient input
// Var(max index + 1, F.dim, 1 - V.cat) as in KeOps.
func lowerGrad(l *lowering, c *Call) (Expr, error) {
	v := c.Args[1].(*Var)
	var e Expr
	if len(c.Args) > 2 {
		e = c.Args[2]
	} else {
		ind := 0
		for _, w := range Vars(c.Args[0]) {
			ind = max(ind, w.Ind+1)
		}
		e = &Var{ValuePos: c.NamePos, Ind: max(ind, v.Ind+1), Dim: DimOf(c.Args[0]), Cat: 1 - v.Cat}
	}
	return l.grad(c.Args[0], v, e, c.NamePos)
}

// lowerGradFromPos: GradFromPos(F, I, E) is the gradient with respect to
// the variable of index I of F.
func lowerGradFromPos(l *lowering, c *Call) (Expr, error) {
	v, _ := posVar(c.Args[0], c.Ints[0])
	return l.grad(c.Args[0], v, c.Args[1], c.NamePos)
}

// lowerDiff: Diff(F, V, U) = J_F(V) U. Grad(F, V, e) = J^T e is linear in a
// placeholder e, and its gradient with respect to e for input U is J U (as
// KeOps does with AdjointOperator).
func lowerDiff(l *lowering, c *Call) (Expr, error) {
	f, v, u := c.Args[0], c.Args[1].(*Var), c.Args[2]
	return l.jvp(f, v, u, c.NamePos)
}

func (l *lowering) jvp(f Expr, v *Var, u Expr, pos Pos) (Expr, error) {
	ph := l.placeholder(DimOf(f))
	g, err := l.grad(f, v, ph, pos)
	if err != nil {
		return nil, err
	}
	r, err := l.grad(g, ph, u, pos)
	if err != nil {
		return nil, err
	}
	if l.depends(r, ph) {
		return nil, errorf(l.src, pos, "internal error: Diff left its placeholder in the formula")
	}
	if DimOf(r) != DimOf(f) {
		return nil, errorf(l.src, pos, "internal error: Diff has dimension %d, want %d", DimOf(r), DimOf(f))
	}
	return r, nil
}

// basis is the unit vector k of dim d, ElemT(1, d, k).
func (l *lowering) basis(pos Pos, d, k int) (Expr, error) {
	return l.op1(pos, OpElemT, IntConst(1), d, k)
}

// lowerGradMatrix: GradMatrix(F, V)[k*V.dim+l] = dF_k/dV_l: row k is the
// gradient of F for the unit gradient input e_k.
func lowerGradMatrix(l *lowering, c *Call) (Expr, error) {
	f, v := c.Args[0], c.Args[1].(*Var)
	var out Expr
	for k := range DimOf(f) {
		e, err := l.basis(c.NamePos, DimOf(f), k)
		if err != nil {
			return nil, err
		}
		row, err := l.grad(f, v, e, c.NamePos)
		if err != nil {
			return nil, err
		}
		if out == nil {
			out = row
		} else if out, err = l.op2(c.NamePos, OpConcat, out, row); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// lowerDivergence: sum_k dF_k/dV_k. KeOps goes through TraceOperator of the
// gradient, which fails on many ops (MatVecMult, IfElse, ...); the
// diagonal of the Jacobian, row by row, works for every differentiable F.
func lowerDivergence(l *lowering, c *Call) (Expr, error) {
	return l.divergence(c.Args[0], c.Args[1].(*Var), c.NamePos)
}

func (l *lowering) divergence(f Expr, v *Var, pos Pos) (Expr, error) {
	var total Expr = zero(pos, 1)
	for k := range v.Dim {
		e, err := l.basis(pos, v.Dim, k)
		if err != nil {
			return nil, err
		}
		g, err := l.grad(f, v, e, pos)
		if err != nil {
			return nil, err
		}
		if g, err = l.op1(pos, OpElem, g, k); err != nil {
			return nil, err
		}
		if total, err = l.op2(pos, OpAdd, total, g); err != nil {
			return nil, err
		}
	}
	return total, nil
}

// lowerLaplacian: Divergence(Grad(F, V, 1), V) for a scalar F.
func lowerLaplacian(l *lowering, c *Call) (Expr, error) {
	f, v := c.Args[0], c.Args[1].(*Var)
	g, err := l.grad(f, v, IntConst(1), c.NamePos)
	if err != nil {
		return nil, err
	}
	return l.divergence(g, v, c.NamePos)
}
