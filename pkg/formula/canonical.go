package formula

// Canonical rewrites a lowered formula so that each value has one spelling:
// the engine plans the canonical tree, and its matchers of fused kernels
// (core's radial kernels and folds) need to know one form of each value
// only. Every rewrite is an identity of the engine's arithmetic, not only of
// real numbers: the rewritten formula computes, bit for bit, the values of
// the original (NaN, infinities and signed zeros included), so that a
// formula never changes its results by being spelled differently.
//
//	Scalprod(a, a)               SqNorm2(a)   the same products, summed in the same order
//	Sum(Square(a))               SqNorm2(a)   (core computes SqNorm2 as the sum of rounded squares)
//	SqNorm2(a), a of dimension 1 Square(a)
//	op(u, SumT(s, D))            op(u, s)     an elementwise op of dimension D broadcasts
//	                                          the scalar s as SumT would (the derivative
//	                                          of a Sum gives SumT)
//
// What is left alone, because the values could differ: Pow(a, 2) is not
// Square(a) (the power rounds twice where a^2 is subnormal), a division by
// s is not a product by 1/s, and products are never reassociated (the
// fused kernels' own documentation says where they reorder factors).
//
// Canonical keeps the sharing of the lowered tree: a subtree reached twice
// is rewritten once, and the result shares it too. The input is not
// modified.
func Canonical(e Expr) Expr {
	memo := map[*Call]Expr{}
	var walk func(e Expr) Expr
	walk = func(e Expr) Expr {
		c, ok := e.(*Call)
		if !ok {
			return e
		}
		if r, ok := memo[c]; ok {
			return r
		}
		var args []Expr
		for k, a := range c.Args {
			if r := walk(a); r != a {
				if args == nil {
					args = append([]Expr(nil), c.Args...)
				}
				args[k] = r
			}
		}
		n := c
		if args != nil {
			cp := *c
			cp.Args = args
			n = &cp
		}
		r := canonicalCall(n)
		memo[c] = r
		return r
	}
	return walk(e)
}

// canonicalCall applies the rules to a call whose arguments are canonical.
func canonicalCall(c *Call) Expr {
	switch c.Op {
	case OpScalprod:
		if Equal(c.Args[0], c.Args[1]) {
			return canonicalCall(canonCall(OpSqNorm2, 1, c.Args[0]))
		}
	case OpSum:
		if sq, ok := c.Args[0].(*Call); ok && sq.Op == OpSquare {
			return canonicalCall(canonCall(OpSqNorm2, 1, sq.Args[0]))
		}
	case OpSqNorm2:
		if DimOf(c.Args[0]) == 1 {
			return canonCall(OpSquare, 1, c.Args[0])
		}
	}
	if c.Op.Info().Family == FamElementwise && c.Dim > 1 {
		// op(u, SumT(s, D)): the broadcast of s is the op's own, as long as
		// an argument u that stays keeps the dimension D.
		keep := false
		for _, a := range c.Args {
			keep = keep || DimOf(a) == c.Dim && !isSumTScalar(a)
		}
		if !keep {
			return c
		}
		cp := *c
		cp.Args = append([]Expr(nil), c.Args...)
		changed := false
		for k, a := range cp.Args {
			if isSumTScalar(a) {
				cp.Args[k], changed = a.(*Call).Args[0], true
			}
		}
		if changed {
			return &cp
		}
	}
	return c
}

// isSumTScalar reports whether e is SumT(s, D) of a scalar s.
func isSumTScalar(e Expr) bool {
	t, ok := e.(*Call)
	return ok && t.Op == OpSumT && DimOf(t.Args[0]) == 1
}

// canonCall is op(args) of dimension d, at the position of nothing.
func canonCall(op Op, d int, args ...Expr) *Call {
	c := NewCall(op, args)
	c.Dim = d
	return c
}
