package core

import (
	"math"

	"github.com/gokeops/gokeops/pkg/formula"
)

// This file defines the value of every elementwise primitive on one number,
// in float64 (float32 data is widened, computed, and rounded back), with the
// special values of KeOps: Rsqrt(0) = 0, SinXDivX(0) = 1, XLogX(0) = 0,
// Sign(NaN) = 0, Step(NaN) = 1, IfElse(NaN, a, b) = b, Round half away from
// zero, Powf in float32 precision.

// unaryScalar returns the function of a one-argument elementwise primitive.
func unaryScalar(p formula.Prim, ints []int) func(float64) float64 {
	switch p {
	case formula.PrimMinus:
		return func(x float64) float64 { return -x }
	case formula.PrimInv:
		return func(x float64) float64 { return 1 / x }
	case formula.PrimExp:
		return math.Exp
	case formula.PrimLog:
		return math.Log
	case formula.PrimXLogX:
		return func(x float64) float64 {
			if x == 0 {
				return 0
			}
			return x * math.Log(x)
		}
	case formula.PrimSin:
		return math.Sin
	case formula.PrimCos:
		return math.Cos
	case formula.PrimSinXDivX:
		return func(x float64) float64 {
			if x == 0 {
				return 1
			}
			return math.Sin(x) / x
		}
	case formula.PrimAsin:
		return math.Asin
	case formula.PrimAcos:
		return math.Acos
	case formula.PrimAtan:
		return math.Atan
	case formula.PrimSqrt:
		return math.Sqrt
	case formula.PrimRsqrt:
		return func(x float64) float64 {
			if x == 0 {
				return 0
			}
			return 1 / math.Sqrt(x)
		}
	case formula.PrimSquare:
		return func(x float64) float64 { return x * x }
	case formula.PrimAbs:
		return math.Abs
	case formula.PrimSign:
		return func(x float64) float64 {
			switch {
			case x > 0:
				return 1
			case x < 0:
				return -1
			}
			return 0
		}
	case formula.PrimStep:
		return func(x float64) float64 {
			if x < 0 {
				return 0
			}
			return 1
		}
	case formula.PrimReLU:
		return func(x float64) float64 {
			if x < 0 {
				return 0
			}
			return x
		}
	case formula.PrimFloor:
		return math.Floor
	case formula.PrimRound:
		d := ints[0]
		if d == 0 {
			return math.Round
		}
		scale := math.Pow(10, float64(d))
		return func(x float64) float64 { return math.Round(x*scale) / scale }
	case formula.PrimPow:
		n := float64(ints[0])
		return func(x float64) float64 { return math.Pow(x, n) }
	case formula.PrimClampInt:
		a, b := float64(ints[0]), float64(ints[1])
		return func(x float64) float64 { return clamp(x, a, b) }
	case formula.PrimDiffClampInt:
		a, b := float64(ints[0]), float64(ints[1])
		return func(x float64) float64 {
			if x < a || x > b {
				return 0
			}
			return 1
		}
	}
	return nil
}

// binaryScalar returns the function of a two-argument elementwise primitive.
func binaryScalar(p formula.Prim) func(x, y float64) float64 {
	switch p {
	case formula.PrimAdd:
		return func(x, y float64) float64 { return x + y }
	case formula.PrimSubtract:
		return func(x, y float64) float64 { return x - y }
	case formula.PrimMult:
		return func(x, y float64) float64 { return x * y }
	case formula.PrimDivide:
		return func(x, y float64) float64 { return x / y }
	case formula.PrimAtan2:
		return math.Atan2
	case formula.PrimPowf:
		return func(x, y float64) float64 {
			return float64(float32(math.Pow(float64(float32(x)), float64(float32(y)))))
		}
	case formula.PrimEqual:
		return func(x, y float64) float64 { return b2f(x == y) }
	case formula.PrimNotEqual:
		return func(x, y float64) float64 { return b2f(x != y) }
	case formula.PrimLessThan:
		return func(x, y float64) float64 { return b2f(x < y) }
	case formula.PrimLessOrEqual:
		return func(x, y float64) float64 { return b2f(x <= y) }
	}
	return nil
}

// ternaryScalar returns the function of a three-argument elementwise primitive.
func ternaryScalar(p formula.Prim) func(x, y, z float64) float64 {
	switch p {
	case formula.PrimMod:
		return func(x, n, o float64) float64 { return x - n*math.Floor((x-o)/n) }
	case formula.PrimClamp:
		return clamp
	case formula.PrimIfElse:
		return func(c, a, b float64) float64 {
			if c >= 0 {
				return a
			}
			return b
		}
	}
	return nil
}

// clamp tests the lower bound first, as KeOps does: with a > b, x < a gives a
// and anything else b.
func clamp(x, a, b float64) float64 {
	switch {
	case x < a:
		return a
	case x > b:
		return b
	}
	return x
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
