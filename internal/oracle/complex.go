package oracle

import (
	"math"

	"github.com/gokeops/gokeops/pkg/formula"
)

// A complex vector of length L is a real vector of dim 2L, interleaved.

func toC(x []float64) []complex128 {
	z := make([]complex128, len(x)/2)
	for k := range z {
		z[k] = complex(x[2*k], x[2*k+1])
	}
	return z
}

func fromC(z []complex128) []float64 {
	x := make([]float64, 2*len(z))
	for k, v := range z {
		x[2*k], x[2*k+1] = real(v), imag(v)
	}
	return x
}

// cmap applies f componentwise, a complex scalar broadcasting over a
// complex vector.
func cmap(x [][]float64, f func(a, b complex128) complex128) []float64 {
	a, b := toC(x[0]), []complex128{0}
	if len(x) > 1 {
		b = toC(x[1])
	}
	n := max(len(a), len(b))
	out := make([]complex128, n)
	for k := range out {
		out[k] = f(a[min(k, len(a)-1)], b[min(k, len(b)-1)])
	}
	return fromC(out)
}

func complexOp(c *formula.Call, x [][]float64) []float64 {
	switch c.Op {
	case formula.OpComplexReal, formula.OpComplexImag:
		out := make([]float64, len(x[0])/2)
		off := 0
		if c.Op == formula.OpComplexImag {
			off = 1
		}
		for k := range out {
			out[k] = x[0][2*k+off]
		}
		return out
	case formula.OpReal2Complex, formula.OpImag2Complex:
		out := make([]float64, 2*len(x[0]))
		off := 0
		if c.Op == formula.OpImag2Complex {
			off = 1
		}
		for k, v := range x[0] {
			out[2*k+off] = v
		}
		return out
	case formula.OpConj:
		return cmap(x, func(a, _ complex128) complex128 { return complex(real(a), -imag(a)) })
	case formula.OpComplexAdd:
		return cmap(x, func(a, b complex128) complex128 { return a + b })
	case formula.OpComplexSubtract:
		return cmap(x, func(a, b complex128) complex128 { return a - b })
	case formula.OpComplexMult:
		return cmap(x, func(a, b complex128) complex128 { return a * b })
	case formula.OpComplexDivide:
		return cmap(x, func(a, b complex128) complex128 { return a / b })
	case formula.OpComplexExp:
		return cmap(x, func(a, _ complex128) complex128 {
			r := math.Exp(real(a))
			return complex(r*math.Cos(imag(a)), r*math.Sin(imag(a)))
		})
	case formula.OpComplexSquareAbs, formula.OpComplexAbs, formula.OpComplexAngle:
		z := toC(x[0])
		out := make([]float64, len(z))
		for k, v := range z {
			re, im := real(v), imag(v)
			switch c.Op {
			case formula.OpComplexSquareAbs:
				out[k] = re*re + im*im
			case formula.OpComplexAbs:
				out[k] = math.Sqrt(re*re + im*im)
			default:
				out[k] = math.Atan2(im, re)
			}
		}
		return out
	case formula.OpComplexExp1j:
		z := make([]complex128, len(x[0]))
		for k, v := range x[0] {
			z[k] = complex(math.Cos(v), math.Sin(v))
		}
		return fromC(z)
	case formula.OpComplexSum:
		var s complex128
		for _, v := range toC(x[0]) {
			s += v
		}
		return fromC([]complex128{s})
	case formula.OpComplexSumT:
		z := make([]complex128, c.Ints[0]/2)
		for k := range z {
			z[k] = complex(x[0][0], x[0][1])
		}
		return fromC(z)
	case formula.OpComplexRealScal:
		s, z := x[0], x[1]
		if len(s) != 1 { // KeOps swaps the arguments when the scalar comes second
			s, z = z, s
		}
		out := make([]float64, len(z))
		for k, v := range z {
			out[k] = s[0] * v
		}
		return out
	}
	return nil
}
