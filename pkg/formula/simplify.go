package formula

import (
	"math"
	"math/big"
)

// simplify applies KeOps' construction-time simplifications (spec §6) to a
// checked call of a primitive whose arguments are already simplified. They
// matter beyond speed: x-x is exactly 0 even for inf or NaN, and x/3 is
// computed as a float32-rounded 1/3 times x, as in KeOps.
func (l *lowering) simplify(c *Call) (Expr, error) {
	pos, a := c.NamePos, c.Args
	row := c.Op.Info()
	// A linear op of Zero is Zero; which arguments must vanish depends on
	// how the op is linear.
	switch row.Linear {
	case LinAll:
		if allZero(a) {
			return zero(pos, c.Dim), nil
		}
	case LinOne:
		for _, x := range a {
			if isZero(x) {
				return zero(pos, c.Dim), nil
			}
		}
	case LinFirst:
		if isZero(a[1]) {
			return nil, errorf(l.src, pos, "division by zero")
		}
		if isZero(a[0]) {
			return zero(pos, c.Dim), nil
		}
	case LinBranches:
		if isZero(a[1]) && isZero(a[2]) {
			return zero(pos, c.Dim), nil
		}
	}
	switch c.Op {
	case OpAdd:
		if isZero(a[0]) {
			return l.broadcast(pos, a[1], c.Dim)
		}
		if isZero(a[1]) {
			return l.broadcast(pos, a[0], c.Dim)
		}
		if r, ok := foldConst(pos, a[0], a[1], (*big.Rat).Add); ok {
			return l.leaf(r), nil
		}
		if Equal(a[0], a[1]) {
			return l.op2(pos, OpMult, IntConst(2), a[0])
		}
	case OpSubtract:
		if Equal(a[0], a[1]) {
			return zero(pos, c.Dim), nil
		}
		if isZero(a[1]) {
			return l.broadcast(pos, a[0], c.Dim)
		}
		if isZero(a[0]) {
			m, err := l.op1(pos, OpMinus, a[1])
			if err != nil {
				return nil, err
			}
			return l.broadcast(pos, m, c.Dim)
		}
		if r, ok := foldConst(pos, a[0], a[1], (*big.Rat).Sub); ok {
			return l.leaf(r), nil
		}
	case OpMult:
		if r, ok := foldConst(pos, a[0], a[1], (*big.Rat).Mul); ok {
			return l.leaf(r), nil
		}
		if isOne(a[0]) {
			return l.broadcast(pos, a[1], c.Dim)
		}
		if isOne(a[1]) {
			return l.broadcast(pos, a[0], c.Dim)
		}
		// n*(m*g) -> (n*m)*g keeps constants together.
		if inner, ok := a[1].(*Call); ok && inner.Op == OpMult {
			if r, ok := foldConst(pos, a[0], inner.Args[0], (*big.Rat).Mul); ok {
				return l.op2(pos, OpMult, l.leaf(r), inner.Args[1])
			}
		}
		if Equal(a[0], a[1]) {
			return l.op1(pos, OpSquare, a[0])
		}
		// Exp(f)*Exp(g) -> Exp(f+g), as KeOps (it changes overflow).
		if f, ok := a[0].(*Call); ok && f.Op == OpExp {
			if g, ok := a[1].(*Call); ok && g.Op == OpExp {
				s, err := l.op2(pos, OpAdd, f.Args[0], g.Args[0])
				if err != nil {
					return nil, err
				}
				return l.op1(pos, OpExp, s)
			}
		}
		// x*ElemT(g,n,m) -> ElemT(x_m*g,n,m): a unit vector times a vector
		// is one component (gradients by rows, GradMatrix, Divergence).
		for k := range 2 {
			if t, ok := a[k].(*Call); ok && t.Op == OpElemT {
				x := a[1-k]
				if DimOf(x) > 1 {
					var err error
					if x, err = l.op1(pos, OpElem, x, t.Ints[1]); err != nil {
						return nil, err
					}
				}
				g, err := l.op2(pos, OpMult, x, t.Args[0])
				if err != nil {
					return nil, err
				}
				return l.op1(pos, OpElemT, g, t.Ints...)
			}
		}
	case OpDivide:
		if k, ok := a[1].(*Const); ok && k.Den != 0 && k.Num != 0 && k.Num != math.MinInt64 {
			return l.op2(pos, OpMult, &Const{ValuePos: pos, Num: k.Den * sign(k.Num), Den: abs64(k.Num)}, a[0])
		}
		if isOne(a[0]) {
			return l.op1(pos, OpInv, a[1])
		}
	case OpMinus:
		if m, ok := a[0].(*Call); ok && m.Op == OpMinus {
			return m.Args[0], nil
		}
		if k, ok := a[0].(*Const); ok && k.Num != math.MinInt64 {
			return &Const{ValuePos: pos, Num: -k.Num, Den: k.Den, F: -k.F}, nil
		}
	case OpSquare, OpPow, OpAbs, OpSin, OpSqrt, OpReLU:
		// Elementwise functions that vanish at 0 (Pow for n > 0).
		if isZero(a[0]) && (c.Op != OpPow || c.Ints[0] > 0) {
			return zero(pos, c.Dim), nil
		}
		if c.Op == OpPow && c.Ints[0] == 1 {
			return a[0], nil
		}
	case OpSum:
		if DimOf(a[0]) == 1 {
			return a[0], nil
		}
		if m, ok := a[0].(*Call); ok && m.Op == OpMult {
			x, y := m.Args[0], m.Args[1]
			switch {
			case DimOf(x) == DimOf(y):
				return l.op2(pos, OpScalprod, x, y)
			case DimOf(x) == 1:
				s, err := l.op1(pos, OpSum, y)
				if err != nil {
					return nil, err
				}
				return l.op2(pos, OpMult, x, s)
			case DimOf(y) == 1:
				s, err := l.op1(pos, OpSum, x)
				if err != nil {
					return nil, err
				}
				return l.op2(pos, OpMult, s, y)
			}
		}
	case OpScalprod:
		// The primitive needs equal dims: x|s with s of dim 1 is Sum(x)*s.
		for k := range 2 {
			if DimOf(a[k]) == 1 {
				s, err := l.op1(pos, OpSum, a[1-k])
				if err != nil {
					return nil, err
				}
				return l.op2(pos, OpMult, s, a[k])
			}
		}
	case OpSumT, OpElemT:
		if c.Dim == 1 {
			return a[0], nil
		}
	case OpExtract, OpExtractT:
		if c.Ints[0] == 0 && DimOf(a[0]) == c.Dim {
			return a[0], nil
		}
	case OpElem:
		if DimOf(a[0]) == 1 {
			return a[0], nil
		}
		// Gradients produce Elem(ElemT(g, n, m), k): g or 0.
		if t, ok := a[0].(*Call); ok && t.Op == OpElemT {
			if t.Ints[1] == c.Ints[0] {
				return t.Args[0], nil
			}
			return zero(pos, 1), nil
		}
	}
	return c, nil
}

func allZero(xs []Expr) bool {
	for _, x := range xs {
		if !isZero(x) {
			return false
		}
	}
	return true
}

func isOne(e Expr) bool {
	c, ok := e.(*Const)
	return ok && c.Den == 1 && c.Num == 1
}

func sign(n int64) int64 {
	if n < 0 {
		return -1
	}
	return 1
}

// foldConst computes x op y for two exact constants (IntCst, RatCst), as
// KeOps folds them with Python's Fraction. Float literals are not folded:
// the engine computes with them in its own precision.
func foldConst(pos Pos, x, y Expr, op func(z, a, b *big.Rat) *big.Rat) (*Const, bool) {
	a, ok1 := x.(*Const)
	b, ok2 := y.(*Const)
	if !ok1 || !ok2 || a.Den == 0 || b.Den == 0 {
		return nil, false
	}
	r := op(new(big.Rat), big.NewRat(a.Num, a.Den), big.NewRat(b.Num, b.Den))
	if !r.Num().IsInt64() || !r.Denom().IsInt64() {
		return nil, false
	}
	return &Const{ValuePos: pos, Num: r.Num().Int64(), Den: r.Denom().Int64()}, true
}
