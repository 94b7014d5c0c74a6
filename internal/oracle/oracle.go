package oracle

import (
	"fmt"
	"math"

	"github.com/gokeops/gokeops/pkg/formula"
)

// Eval evaluates e; vars returns the row each variable reads. It panics on
// an expression it cannot evaluate (an unbound name, a symbolic op, wrong
// dims): the oracle serves tests, where a panic is a clear failure.
func Eval(e formula.Expr, vars func(v *formula.Var) []float64) []float64 {
	switch e := e.(type) {
	case *formula.Var:
		x := vars(e)
		if len(x) != e.Dim {
			panic(fmt.Sprintf("oracle: %s given %d values", e, len(x)))
		}
		return append([]float64(nil), x...)
	case *formula.Const:
		return []float64{e.Value()}
	case *formula.Zero:
		return make([]float64, e.Dim)
	case *formula.Call:
		args := make([][]float64, len(e.Args))
		switch e.Op {
		case formula.OpFactorize, formula.OpAutoFactorize:
			return Eval(e.Args[0], vars)
		}
		if e.Op.Symbolic() {
			panic(fmt.Sprintf("oracle: %s must be lowered before evaluation", e.Op))
		}
		for k, a := range e.Args {
			args[k] = Eval(a, vars)
		}
		return call(e, args)
	}
	panic(fmt.Sprintf("oracle: cannot evaluate %T %v", e, e))
}

// EvalArgs evaluates e with variable Var(k, ...) reading args[k].
func EvalArgs(e formula.Expr, args [][]float64) []float64 {
	return Eval(e, func(v *formula.Var) []float64 { return args[v.Ind] })
}

func call(c *formula.Call, x [][]float64) []float64 {
	if f, ok := scalar1[c.Op]; ok {
		return mapN(x, func(v []float64) float64 { return f(v[0]) })
	}
	if f, ok := scalar2[c.Op]; ok {
		return mapN(x, func(v []float64) float64 { return f(v[0], v[1]) })
	}
	n := c.Ints
	switch c.Op {
	case formula.OpPow:
		return mapN(x, func(v []float64) float64 { return math.Pow(v[0], float64(n[0])) })
	case formula.OpRound:
		return mapN(x, func(v []float64) float64 { return round(v[0], n[0]) })
	case formula.OpClampInt:
		return mapN(x, func(v []float64) float64 { return clamp(v[0], float64(n[0]), float64(n[1])) })
	case formula.OpDiffClampInt:
		return mapN(x, func(v []float64) float64 {
			if v[0] < float64(n[0]) || v[0] > float64(n[1]) {
				return 0
			}
			return 1
		})
	case formula.OpMod:
		return mapN(x, func(v []float64) float64 { return v[0] - v[1]*math.Floor((v[0]-v[2])/v[1]) })
	case formula.OpClamp:
		return mapN(x, func(v []float64) float64 { return clamp(v[0], v[1], v[2]) })
	case formula.OpIfElse:
		return mapN(x, func(v []float64) float64 {
			if v[0] >= 0 {
				return v[1]
			}
			return v[2]
		})
	}
	if r := vector(c, x); r != nil {
		return r
	}
	if r := tensor(c, x); r != nil {
		return r
	}
	if r := complexOp(c, x); r != nil {
		return r
	}
	if r := special(c, x); r != nil {
		return r
	}
	panic(fmt.Sprintf("oracle: no rule for %s", c.Op))
}

// mapN applies f componentwise with the dim-1 broadcast of KeOps'
// vectorized scalar ops.
func mapN(x [][]float64, f func([]float64) float64) []float64 {
	d := 1
	for _, a := range x {
		if len(a) != 1 {
			if d != 1 && d != len(a) {
				panic(fmt.Sprintf("oracle: incompatible dims %d and %d", d, len(a)))
			}
			d = len(a)
		}
	}
	out := make([]float64, d)
	v := make([]float64, len(x))
	for k := range out {
		for a := range x {
			if len(x[a]) == 1 {
				v[a] = x[a][0]
			} else {
				v[a] = x[a][k]
			}
		}
		out[k] = f(v)
	}
	return out
}

// acos is arccos by atan2, accurate near ±1 where math.Acos (pi/2 - asin)
// loses up to 1700 ulp: (1 - a) and (1 + a) are exact there.
func acos(a float64) float64 { return math.Atan2(math.Sqrt((1-a)*(1+a)), a) }

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

var scalar1 = map[formula.Op]func(float64) float64{
	formula.OpMinus: func(a float64) float64 { return -a },
	formula.OpInv:   func(a float64) float64 { return 1 / a },
	formula.OpExp:   math.Exp,
	formula.OpLog:   math.Log,
	formula.OpXLogX: func(a float64) float64 {
		if a == 0 {
			return 0
		}
		return a * math.Log(a)
	},
	formula.OpSin: math.Sin,
	formula.OpCos: math.Cos,
	formula.OpSinXDivX: func(a float64) float64 {
		if a == 0 {
			return 1
		}
		return math.Sin(a) / a
	},
	formula.OpAsin: math.Asin,
	formula.OpAcos: acos,
	formula.OpAtan: math.Atan,
	formula.OpErf:  math.Erf,
	formula.OpSqrt: math.Sqrt,
	formula.OpRsqrt: func(a float64) float64 {
		if a == 0 {
			return 0
		}
		return 1 / math.Sqrt(a)
	},
	formula.OpSquare: func(a float64) float64 { return a * a },
	formula.OpAbs:    math.Abs,
	formula.OpSign: func(a float64) float64 {
		switch {
		case a > 0:
			return 1
		case a < 0:
			return -1
		}
		return 0 // 0 and NaN
	},
	formula.OpStep: func(a float64) float64 { return b2f(!(a < 0)) }, // NaN -> 1
	formula.OpReLU: func(a float64) float64 {
		if a < 0 {
			return 0
		}
		return a // NaN stays NaN
	},
	formula.OpFloor: math.Floor,
}

var scalar2 = map[formula.Op]func(float64, float64) float64{
	formula.OpAdd:      func(a, b float64) float64 { return a + b },
	formula.OpSubtract: func(a, b float64) float64 { return a - b },
	formula.OpMult:     func(a, b float64) float64 { return a * b },
	formula.OpDivide:   func(a, b float64) float64 { return a / b },
	formula.OpAtan2:    math.Atan2,
	// KeOps calls C powf even on doubles: float32 precision.
	formula.OpPowf: func(a, b float64) float64 {
		return float64(float32(math.Pow(float64(float32(a)), float64(float32(b)))))
	},
	formula.OpEqual:       func(a, b float64) float64 { return b2f(a == b) },
	formula.OpNotEqual:    func(a, b float64) float64 { return b2f(a != b) },
	formula.OpLessThan:    func(a, b float64) float64 { return b2f(a < b) },
	formula.OpLessOrEqual: func(a, b float64) float64 { return b2f(a <= b) },
}

// round is C round (half away from zero) of a*10^d, divided back.
func round(a float64, d int) float64 {
	if d == 0 {
		return math.Round(a)
	}
	p := math.Pow(10, float64(d))
	return math.Round(a*p) / p
}

// clamp tests the lower bound first, as KeOps does (so lo > hi gives lo
// below lo, hi elsewhere).
func clamp(a, lo, hi float64) float64 {
	switch {
	case a < lo:
		return lo
	case a > hi:
		return hi
	}
	return a
}

func sum(a []float64) float64 {
	s := 0.0
	for _, v := range a {
		s += v
	}
	return s
}

func sqnorm(a []float64) float64 {
	s := 0.0
	for _, v := range a {
		s += v * v
	}
	return s
}

// vector evaluates the vector ops, norms and indexing ops; nil if c is
// not one of them.
func vector(c *formula.Call, x [][]float64) []float64 {
	n := c.Ints
	switch c.Op {
	case formula.OpSum:
		return []float64{sum(x[0])}
	case formula.OpSumT:
		return fill(n[0], x[0][0])
	case formula.OpMax, formula.OpMin, formula.OpArgMax, formula.OpArgMin:
		// Scan from component 0 with a strict comparison: a NaN at 0
		// sticks, later NaNs are ignored, the first extremum wins.
		best, at := x[0][0], 0
		for k, v := range x[0][1:] {
			if (c.Op == formula.OpMax || c.Op == formula.OpArgMax) && v > best ||
				(c.Op == formula.OpMin || c.Op == formula.OpArgMin) && v < best {
				best, at = v, k+1
			}
		}
		if c.Op == formula.OpArgMax || c.Op == formula.OpArgMin {
			return []float64{float64(at)}
		}
		return []float64{best}
	case formula.OpScalprod:
		a, b := x[0], x[1]
		switch {
		case len(a) == 1:
			return []float64{sum(b) * a[0]}
		case len(b) == 1:
			return []float64{sum(a) * b[0]}
		}
		s := 0.0
		for k := range a {
			s += a[k] * b[k]
		}
		return []float64{s}
	case formula.OpSqNorm2:
		return []float64{sqnorm(x[0])}
	case formula.OpNorm2:
		return []float64{math.Sqrt(sqnorm(x[0]))}
	case formula.OpNormalize:
		r := sqnorm(x[0])
		out := make([]float64, len(x[0]))
		if r != 0 {
			for k, v := range x[0] {
				out[k] = v / math.Sqrt(r)
			}
		}
		return out
	case formula.OpSqDist:
		return []float64{sum(mapN(x, func(v []float64) float64 { return (v[0] - v[1]) * (v[0] - v[1]) }))}
	case formula.OpWeightedSqNorm:
		return []float64{weighted(x[0], x[1])}
	case formula.OpWeightedSqDist:
		return []float64{weighted(x[0], mapN(x[1:], func(v []float64) float64 { return v[0] - v[1] }))}
	case formula.OpSqNormIso:
		out := make([]float64, len(x[0]))
		for k, s := range x[0] {
			out[k] = s * sqnorm(x[1])
		}
		return out
	case formula.OpSqNormDiag:
		return []float64{sum(mapN(x, func(v []float64) float64 { return v[0] * v[1] * v[1] }))}
	case formula.OpSymSqNorm:
		return []float64{weighted(x[0], x[1])}
	case formula.OpElem:
		return []float64{x[0][n[0]]}
	case formula.OpElemT:
		out := make([]float64, n[0])
		out[n[1]] = x[0][0]
		return out
	case formula.OpExtract:
		return append([]float64(nil), x[0][n[0]:n[0]+n[1]]...)
	case formula.OpExtractT:
		out := make([]float64, n[1])
		copy(out[n[0]:], x[0])
		return out
	case formula.OpConcat:
		return append(append([]float64(nil), x[0]...), x[1]...)
	case formula.OpOneHot:
		out := make([]float64, n[0])
		if k := int(x[0][0] + 0.5); k >= 0 && k < n[0] && !math.IsNaN(x[0][0]) {
			out[k] = 1 // C truncation: (int)(x+0.5)
		}
		return out
	}
	return nil
}

func fill(n int, v float64) []float64 {
	out := make([]float64, n)
	for k := range out {
		out[k] = v
	}
	return out
}

// weighted is the squared norm of f weighted by s: a scalar, a diagonal,
// or a full D×D row-major matrix.
func weighted(s, f []float64) float64 {
	d := len(f)
	r := 0.0
	switch len(s) {
	case 1:
		return s[0] * sqnorm(f)
	case d:
		for k := range f {
			r += s[k] * f[k] * f[k]
		}
	case d * d:
		for k := range f {
			for l := range f {
				r += s[k*d+l] * f[k] * f[l]
			}
		}
	default:
		panic("oracle: bad weight dimension")
	}
	return r
}
