package core

import (
	"math"

	"github.com/gokeops/gokeops/pkg/formula"
)

// unaryTile applies a one-argument elementwise primitive: dst[t] = f(x[t]).
// The hot primitives have their own loops; the others go through the scalar
// table of scalar.go.
func unaryTile[T float](p formula.Prim, ints []int, dst, x []T) {
	x = x[:len(dst)]
	switch p {
	case formula.PrimMinus:
		if !binaryVSSIMD(formula.PrimSubtract, dst, x, 0, true) {
			for t := range dst {
				dst[t] = -x[t]
			}
		}
	case formula.PrimExp:
		expSlice(dst, x)
	case formula.PrimSquare:
		for t := range dst {
			dst[t] = x[t] * x[t]
		}
	case formula.PrimInv:
		for t := range dst {
			dst[t] = 1 / x[t]
		}
	case formula.PrimSqrt:
		for t := range dst {
			dst[t] = T(math.Sqrt(float64(x[t])))
		}
	default:
		f := unaryScalar(p, ints)
		for t := range dst {
			dst[t] = T(f(float64(x[t])))
		}
	}
}

// binaryTile applies a two-argument elementwise primitive; x or y may have
// length 1 (a per-row value broadcast over the tile).
func binaryTile[T float](p formula.Prim, dst, x, y []T) {
	switch {
	case len(x) == 1 && len(dst) > 1:
		binarySV(p, dst, x[0], y[:len(dst)])
	case len(y) == 1 && len(dst) > 1:
		binaryVS(p, dst, x[:len(dst)], y[0])
	default:
		binaryVV(p, dst, x[:len(dst)], y[:len(dst)])
	}
}

func binaryVV[T float](p formula.Prim, dst, x, y []T) {
	if binaryVVSIMD(p, dst, x, y) {
		return
	}
	switch p {
	case formula.PrimAdd:
		for t := range dst {
			dst[t] = x[t] + y[t]
		}
	case formula.PrimSubtract:
		for t := range dst {
			dst[t] = x[t] - y[t]
		}
	case formula.PrimMult:
		for t := range dst {
			dst[t] = x[t] * y[t]
		}
	case formula.PrimDivide:
		for t := range dst {
			dst[t] = x[t] / y[t]
		}
	default:
		f := binaryScalar(p)
		for t := range dst {
			dst[t] = T(f(float64(x[t]), float64(y[t])))
		}
	}
}

func binaryVS[T float](p formula.Prim, dst, x []T, y T) {
	if binaryVSSIMD(p, dst, x, y, false) {
		return
	}
	switch p {
	case formula.PrimAdd:
		for t := range dst {
			dst[t] = x[t] + y
		}
	case formula.PrimSubtract:
		for t := range dst {
			dst[t] = x[t] - y
		}
	case formula.PrimMult:
		for t := range dst {
			dst[t] = x[t] * y
		}
	case formula.PrimDivide:
		for t := range dst {
			dst[t] = x[t] / y
		}
	default:
		f := binaryScalar(p)
		for t := range dst {
			dst[t] = T(f(float64(x[t]), float64(y)))
		}
	}
}

func binarySV[T float](p formula.Prim, dst []T, x T, y []T) {
	if binaryVSSIMD(p, dst, y, x, true) {
		return
	}
	switch p {
	case formula.PrimAdd:
		for t := range dst {
			dst[t] = x + y[t]
		}
	case formula.PrimSubtract:
		for t := range dst {
			dst[t] = x - y[t]
		}
	case formula.PrimMult:
		for t := range dst {
			dst[t] = x * y[t]
		}
	case formula.PrimDivide:
		for t := range dst {
			dst[t] = x / y[t]
		}
	default:
		f := binaryScalar(p)
		for t := range dst {
			dst[t] = T(f(float64(x), float64(y[t])))
		}
	}
}

// ternaryTile applies a three-argument elementwise primitive, any argument
// possibly of length 1.
func ternaryTile[T float](p formula.Prim, dst, x, y, z []T) {
	f := ternaryScalar(p)
	at := func(s []T, t int) float64 {
		if len(s) == 1 {
			return float64(s[0])
		}
		return float64(s[t])
	}
	for t := range dst {
		dst[t] = T(f(at(x, t), at(y, t), at(z, t)))
	}
}
