package core

import "github.com/gokeops/gokeops/pkg/formula"

// Fusion: the planner recognises the radial kernels users write most — a
// profile of a scaled squared distance between an outer and an inner
// variable — and computes them in one pass over the tile instead of one pass
// per operation:
//
//	Exp(s*|x-y|^2)          the Gaussian kernel
//	Exp(s*Sqrt(|x-y|^2))    the Laplacian kernel
//	Inv(1 + s*|x-y|^2)      the Cauchy kernel
//	s*|x-y|^2 + w           the exponent of a Gaussian log-likelihood (LogSumExp)
//
// where s is any product of constants, parameters and signs, and w an inner
// scalar variable (w - s*|x-y|^2 too). A Sum of such a kernel times an
// inner weight is folded as dot products (see program.dot). The matchers
// read the canonical form of the formula (formula.Canonical), in which the
// ways of writing |x-y|^2 (Sum(Square(x-y)), (x-y)|(x-y), ...) are few.

// profile is the function a fused kernel applies to s*d (d the squared distance).
type profile uint8

const (
	profileNone    profile = iota
	profileExp             // exp(s*d)
	profileExpSqrt         // exp(s*sqrt(d))
	profileCauchy          // 1/(1 + s*d)
	profileAffine          // s*d + w
)

// radial is a matched fused kernel.
type radial struct {
	prof   profile
	x, y   *formula.Var   // the outer and inner variables of the distance
	scale  []formula.Expr // factors of s (empty: s = 1)
	weight *formula.Var   // the added inner scalar of profileAffine
}

// matchRadial recognises a fused kernel rooted at e.
func (p *planner) matchRadial(e formula.Expr) (radial, bool) {
	c, ok := e.(*formula.Call)
	if !ok || c.Dim != 1 {
		return radial{}, false
	}
	var r radial
	switch c.Op {
	case formula.OpExp:
		if sq, ok := p.matchScaled(c.Args[0], &r.scale, true); ok {
			r.prof = profileExpSqrt
			r.x, r.y, ok = p.matchDist(sq)
			return r, ok
		}
		r.scale = nil
		inner, _ := p.matchScaled(c.Args[0], &r.scale, false)
		r.prof = profileExp
		r.x, r.y, ok = p.matchDist(inner)
		return r, ok
	case formula.OpInv:
		sum, ok := c.Args[0].(*formula.Call)
		if !ok || sum.Op != formula.OpAdd || !isOne(sum.Args[0]) {
			return radial{}, false
		}
		inner, _ := p.matchScaled(sum.Args[1], &r.scale, false)
		r.prof = profileCauchy
		r.x, r.y, ok = p.matchDist(inner)
		return r, ok
	case formula.OpAdd, formula.OpSubtract:
		// w + s*d, s*d + w, and w - s*d, which is w + (-s)*d exactly.
		for k := 0; k < 2; k++ {
			w, ok := c.Args[1-k].(*formula.Var)
			if !ok || w.Dim != 1 || !p.isInner(w) || c.Op == formula.OpSubtract && k == 0 {
				continue
			}
			r.scale = nil
			if c.Op == formula.OpSubtract {
				r.scale = append(r.scale, formula.IntConst(-1))
			}
			inner, _ := p.matchScaled(c.Args[k], &r.scale, false)
			if x, y, ok := p.matchDist(inner); ok {
				return radial{prof: profileAffine, x: x, y: y, scale: r.scale, weight: w}, true
			}
		}
	}
	return radial{}, false
}

// matchScaled strips sign changes and uniform scalar factors from e,
// collecting the factors; with wantSqrt it also requires and strips a Sqrt
// under them. It returns what is left.
func (p *planner) matchScaled(e formula.Expr, factors *[]formula.Expr, wantSqrt bool) (formula.Expr, bool) {
	for {
		c, ok := e.(*formula.Call)
		if !ok {
			return e, !wantSqrt
		}
		switch {
		case c.Op == formula.OpMinus:
			*factors = append(*factors, formula.IntConst(-1))
			e = c.Args[0]
		case c.Op == formula.OpMult && p.isUniformScalar(c.Args[0]):
			*factors = append(*factors, c.Args[0])
			e = c.Args[1]
		case c.Op == formula.OpMult && p.isUniformScalar(c.Args[1]):
			*factors = append(*factors, c.Args[1])
			e = c.Args[0]
		case c.Op == formula.OpSqrt && wantSqrt:
			return c.Args[0], true
		default:
			return e, !wantSqrt
		}
	}
}

// matchDist recognises |x - y|^2 between an outer and an inner variable, in
// the spellings of a canonical formula (formula.Canonical): SqDist(x,y),
// SqNorm2(x-y) and, in dimension 1, Square(x-y); either order. A squared
// component may also be Pow(x-y,2): the fused kernels compute the distance
// their own way (as products of differences), which Pow and Square both are
// up to the rounding of the sum.
func (p *planner) matchDist(e formula.Expr) (x, y *formula.Var, ok bool) {
	c, isCall := e.(*formula.Call)
	if !isCall {
		return nil, nil, false
	}
	var diff formula.Expr
	switch {
	case c.Op == formula.OpSqDist:
		return p.outerInner(c.Args[0], c.Args[1])
	case c.Op == formula.OpSqNorm2:
		diff = c.Args[0]
	case c.Op == formula.OpSum:
		if sq, ok := squareOf(c.Args[0]); ok {
			diff = sq
		}
	case c.Dim == 1:
		if sq, ok := squareOf(c); ok {
			diff = sq
		}
	}
	d, isCall := diff.(*formula.Call)
	if !isCall || d.Op != formula.OpSubtract {
		return nil, nil, false
	}
	return p.outerInner(d.Args[0], d.Args[1])
}

// squareOf returns a when e is Square(a) or Pow(a, 2).
func squareOf(e formula.Expr) (formula.Expr, bool) {
	c, ok := e.(*formula.Call)
	if ok && (c.Op == formula.OpSquare || c.Op == formula.OpPow && c.Ints[0] == 2) {
		return c.Args[0], true
	}
	return nil, false
}

// outerInner orders a and b as an outer and an inner variable of the same
// dimension.
func (p *planner) outerInner(a, b formula.Expr) (x, y *formula.Var, ok bool) {
	va, ok1 := a.(*formula.Var)
	vb, ok2 := b.(*formula.Var)
	if !ok1 || !ok2 || va.Dim != vb.Dim {
		return nil, nil, false
	}
	switch {
	case va.Cat == p.outer && p.isInner(vb):
		return va, vb, true
	case vb.Cat == p.outer && p.isInner(va):
		return vb, va, true
	}
	return nil, nil, false
}

func (p *planner) isInner(v *formula.Var) bool { return v.Cat != p.outer && v.Cat != formula.CatParm }

// isUniformScalar reports whether e is a dimension-1 value that depends on
// no variable of i or j.
func (p *planner) isUniformScalar(e formula.Expr) bool {
	if formula.DimOf(e) != 1 {
		return false
	}
	uniform := true
	formula.Inspect(e, func(n formula.Expr) bool {
		if v, ok := n.(*formula.Var); ok && v.Cat != formula.CatParm {
			uniform = false
		}
		return uniform
	})
	return uniform
}

func isOne(e formula.Expr) bool {
	c, ok := e.(*formula.Const)
	return ok && c.Value() == 1
}

// planRadial emits the fused instruction of r: dst = profile(s*|x-y|^2 [+ w]).
func (p *planner) planRadial(r radial) int {
	var scale formula.Expr = formula.IntConst(1)
	for _, f := range r.scale {
		m := formula.NewCall(formula.OpMult, []formula.Expr{scale, f})
		m.Dim = 1
		scale = m
	}
	in := instr{prim: formula.PrimNone, fused: r.prof, dim: 1,
		args: []int{p.node(r.x), p.node(r.y), p.node(scale)}}
	if r.weight != nil {
		in.args = append(in.args, p.node(r.weight))
	}
	for _, a := range in.args {
		in.argDims = append(in.argDims, p.prog.slots[a].dim)
	}
	in.dst = p.newSlot(levelPair, 1)
	p.prog.instrs[levelPair] = append(p.prog.instrs[levelPair], in)
	return in.dst
}

// dotFold is a Sum whose formula is K * W with K a pair-level scalar and W
// an inner variable: each tile adds the dot products of K with W's columns.
// W may also be the difference of an outer and an inner variable (the
// gradient of a radial kernel): then each tile adds sum_t K_t (x - y_t) per
// component, still in one pass.
type dotFold struct {
	k, w int  // slots; w is the inner variable (y of x - y)
	x    int  // slot of the outer variable of x - y, or -1
	neg  bool // the difference is y - x
	// radial, when set, is the fused kernel computing K, the only per-pair
	// step, with a scalar weight: both run as one pass (radialDotTile).
	radial *instr
}

// matchDotFold plans f = Mult(K, W) as a dot fold when it applies.
func (p *planner) matchDotFold(f formula.Expr) (dotFold, bool) {
	c, ok := f.(*formula.Call)
	if !ok || c.Op != formula.OpMult {
		return dotFold{}, false
	}
	for k := 0; k < 2; k++ {
		if formula.DimOf(c.Args[k]) != 1 {
			continue
		}
		d := dotFold{x: -1}
		w, ok := c.Args[1-k].(*formula.Var)
		switch {
		case ok && p.isInner(w):
		case p.matchDifference(c.Args[1-k], &d):
			w = nil
		default:
			continue
		}
		ks := p.node(c.Args[k])
		if p.prog.slots[ks].level != levelPair {
			continue
		}
		d.k = ks
		if w != nil {
			d.w = p.node(w)
		}
		return d, true
	}
	return dotFold{}, false
}

// matchDifference recognises x - y (or y - x) between an outer and an inner
// variable of the same dimension.
func (p *planner) matchDifference(e formula.Expr, d *dotFold) bool {
	c, ok := e.(*formula.Call)
	if !ok || c.Op != formula.OpSubtract {
		return false
	}
	a, ok1 := c.Args[0].(*formula.Var)
	b, ok2 := c.Args[1].(*formula.Var)
	if !ok1 || !ok2 || a.Dim != b.Dim {
		return false
	}
	switch {
	case a.Cat == p.outer && p.isInner(b):
		d.x, d.w = p.node(a), p.node(b)
	case b.Cat == p.outer && p.isInner(a):
		d.x, d.w, d.neg = p.node(b), p.node(a), true
	default:
		return false
	}
	return true
}
