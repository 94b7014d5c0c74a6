package formula

// The linear operators of KeOps (TraceOperator, AdjointOperator,
// SumLinOperator) take a formula F linear in a variable V, that is
// F(V) = M V for a matrix M that does not depend on V. Linearity is decided
// from the Linear column of the op table, as KeOps' is_linear does. Once it
// holds, M is probed by substituting vectors for V.

// linear reports whether x is linear in v.
func (l *lowering) linear(x Expr, v *Var) bool {
	switch x := x.(type) {
	case *Var:
		return keyOf(x) == keyOf(v)
	case *Zero:
		return true
	case *Call:
		a := x.Args
		switch x.Op.Info().Linear {
		case LinAll:
			for _, y := range a {
				if !l.linear(y, v) {
					return false
				}
			}
			return true
		case LinOne:
			n := 0
			for _, y := range a {
				switch {
				case !l.depends(y, v):
				case l.linear(y, v):
					n++
				default:
					return false
				}
			}
			return n == 1
		case LinFirst:
			return l.linear(a[0], v) && !l.depends(a[1], v)
		case LinBranches:
			return !l.depends(a[0], v) && l.linear(a[1], v) && l.linear(a[2], v)
		}
	}
	return false
}

// mustLinear checks the argument F of a linear operator.
func (l *lowering) mustLinear(c *Call) error {
	if !l.linear(c.Args[0], c.Args[1].(*Var)) {
		return errorf(l.src, c.NamePos, "%s: the formula is not linear with respect to the variable", c.Op)
	}
	return nil
}

// subst returns f with the variable v replaced by x (of the same dim),
// rebuilt and simplified.
func (l *lowering) subst(f Expr, v *Var, x Expr, pos Pos) (Expr, error) {
	memo := map[Expr]Expr{}
	var walk func(e Expr) (Expr, error)
	walk = func(e Expr) (Expr, error) {
		if !l.depends(e, v) {
			return e, nil
		}
		if _, ok := e.(*Var); ok {
			return x, nil
		}
		c := e.(*Call)
		if r, ok := memo[c]; ok {
			return r, nil
		}
		args := make([]Expr, len(c.Args))
		for k, a := range c.Args {
			var err error
			if args[k], err = walk(a); err != nil {
				return nil, err
			}
		}
		r, err := l.call(pos, c.Op, args, c.Ints, c.Lists)
		memo[c] = r
		return r, err
	}
	return walk(f)
}

// weight returns the optional argument k of c, or the constant 1.
func weight(c *Call, k int) Expr {
	if k < len(c.Args) {
		return c.Args[k]
	}
	return IntConst(1)
}

// lowerTraceOperator: TraceOperator(F, V[, w]). For F.dim == V.dim it is
// sum_i w_i M_ii, with M_ii component i of F(e_i); for F.dim == 1 (M is
// a row) it is sum_i w_i M_i = F(w). A dim-1 w multiplies.
func lowerTraceOperator(l *lowering, c *Call) (Expr, error) {
	if err := l.mustLinear(c); err != nil {
		return nil, err
	}
	f, v, w, pos := c.Args[0], c.Args[1].(*Var), weight(c, 2), c.NamePos
	vecW := DimOf(w) == v.Dim && v.Dim > 1
	var out Expr
	if DimOf(f) == v.Dim {
		out = zero(pos, 1)
		for k := range v.Dim {
			e, err := l.basis(pos, v.Dim, k)
			if err != nil {
				return nil, err
			}
			t, err := l.subst(f, v, e, pos)
			if err != nil {
				return nil, err
			}
			if t, err = l.op1(pos, OpElem, t, k); err != nil {
				return nil, err
			}
			if vecW {
				wk, err := l.op1(pos, OpElem, w, k)
				if err != nil {
					return nil, err
				}
				if t, err = l.op2(pos, OpMult, wk, t); err != nil {
					return nil, err
				}
			}
			if out, err = l.op2(pos, OpAdd, out, t); err != nil {
				return nil, err
			}
		}
	} else {
		x := w
		if !vecW {
			x = IntConst(1)
		}
		x, err := l.broadcast(pos, x, v.Dim)
		if err != nil {
			return nil, err
		}
		if out, err = l.subst(f, v, x, pos); err != nil {
			return nil, err
		}
	}
	if vecW {
		return out, nil
	}
	return l.op2(pos, OpMult, w, out)
}

// lowerAdjointOperator: AdjointOperator(F, V, U) = M^T U, which for a linear
// F is its gradient with respect to V for the input U.
func lowerAdjointOperator(l *lowering, c *Call) (Expr, error) {
	if err := l.mustLinear(c); err != nil {
		return nil, err
	}
	return l.grad(c.Args[0], c.Args[1].(*Var), c.Args[2], c.NamePos)
}

// lowerSumLinOperator: SumLinOperator(F, V[, wl[, wr]]) = sum_ij wl_i M_ij
// wr_j = Sum(wl * F(wr)), weights of dim 1 broadcast.
func lowerSumLinOperator(l *lowering, c *Call) (Expr, error) {
	if err := l.mustLinear(c); err != nil {
		return nil, err
	}
	f, v, wl, wr, pos := c.Args[0], c.Args[1].(*Var), weight(c, 2), weight(c, 3), c.NamePos
	x, err := l.broadcast(pos, wr, v.Dim)
	if err != nil {
		return nil, err
	}
	r, err := l.subst(f, v, x, pos)
	if err != nil {
		return nil, err
	}
	if r, err = l.op2(pos, OpMult, wl, r); err != nil {
		return nil, err
	}
	return l.op1(pos, OpSum, r)
}
