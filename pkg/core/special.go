package core

import (
	"fmt"
	"math"

	"github.com/gokeops/gokeops/pkg/formula"
)

// bspline evaluates the B-splines of order k on the knots a[0] at a[1]
// (Cox–de Boor; a ratio whose denominator is zero counts as 0).
func bspline[T float](in *instr, dst vec[T], a []vec[T]) {
	nk, order := in.argDims[0], in.ints[0]
	b := make([]float64, nk)
	knots := make([]float64, nk)
	for t := 0; t < dst.width; t++ {
		x := float64(a[1].at(0, t))
		for j := range knots {
			knots[j] = float64(a[0].at(j, t))
		}
		for j := 0; j < nk-1; j++ {
			b[j] = b2f(knots[j] <= x && x < knots[j+1])
		}
		for p := 1; p <= order; p++ {
			for j := 0; j < nk-1-p; j++ {
				v := 0.0
				if d := knots[j+p] - knots[j]; d != 0 {
					v += (x - knots[j]) / d * b[j]
				}
				if d := knots[j+p+1] - knots[j+1]; d != 0 {
					v += (knots[j+p+1] - x) / d * b[j+1]
				}
				b[j] = v
			}
		}
		for j := 0; j < in.dim; j++ {
			dst.data[j*dst.stride+t] = T(b[j])
		}
	}
}

// softDTW computes the soft dynamic time warping of the scalar sequences
// a[0] and a[1] with cost (x_i - y_j)^2 and smoothing a[2] (the intended
// KeOps definition), or with PrimSoftDTWSqDistGrad its gradient with respect
// to x (Ints [0]) or y (Ints [1]) times the scalar a[3].
func softDTW[T float](in *instr, dst vec[T], a []vec[T]) {
	n, m := in.argDims[0], in.argDims[1]
	r := make([]float64, n*m)
	x, y := make([]float64, n), make([]float64, m)
	grad := in.prim == formula.PrimSoftDTWSqDistGrad
	var e []float64
	if grad {
		e = make([]float64, n*m)
	}
	for t := 0; t < dst.width; t++ {
		for i := range x {
			x[i] = float64(a[0].at(i, t))
		}
		for j := range y {
			y[j] = float64(a[1].at(j, t))
		}
		gamma := float64(a[2].at(0, t))
		cost := func(i, j int) float64 { d := x[i] - y[j]; return d * d }
		for i := 0; i < n; i++ {
			for j := 0; j < m; j++ {
				c := cost(i, j)
				switch {
				case i == 0 && j == 0:
					r[0] = c
				case i == 0:
					r[j] = c + r[j-1]
				case j == 0:
					r[i*m] = c + r[(i-1)*m]
				default:
					r[i*m+j] = c + softmin(r[(i-1)*m+j-1], r[(i-1)*m+j], r[i*m+j-1], gamma)
				}
			}
		}
		if !grad {
			dst.data[t] = T(r[n*m-1])
			continue
		}
		// Backward pass: e[i,j] = dR(n-1,m-1)/dR(i,j).
		for k := range e {
			e[k] = 0
		}
		e[n*m-1] = 1
		for i := n - 1; i >= 0; i-- {
			for j := m - 1; j >= 0; j-- {
				g := e[i*m+j]
				switch {
				case i == 0 && j == 0:
				case i == 0:
					e[j-1] += g
				case j == 0:
					e[(i-1)*m] += g
				default:
					w := softminWeights(r[(i-1)*m+j-1], r[(i-1)*m+j], r[i*m+j-1], gamma)
					e[(i-1)*m+j-1] += g * w[0]
					e[(i-1)*m+j] += g * w[1]
					e[i*m+j-1] += g * w[2]
				}
			}
		}
		scale := float64(a[3].at(0, t))
		if in.ints[0] == 0 {
			for i := 0; i < n; i++ {
				s := 0.0
				for j := 0; j < m; j++ {
					s += e[i*m+j] * 2 * (x[i] - y[j])
				}
				dst.data[i*dst.stride+t] = T(s * scale)
			}
		} else {
			for j := 0; j < m; j++ {
				s := 0.0
				for i := 0; i < n; i++ {
					s -= e[i*m+j] * 2 * (x[i] - y[j])
				}
				dst.data[j*dst.stride+t] = T(s * scale)
			}
		}
	}
}

// softmin is mu - gamma*log(sum exp((mu - r)/gamma)), mu the smallest r.
func softmin(a, b, c, gamma float64) float64 {
	mu := math.Min(a, math.Min(b, c))
	s := math.Exp((mu-a)/gamma) + math.Exp((mu-b)/gamma) + math.Exp((mu-c)/gamma)
	return mu - gamma*math.Log(s)
}

// softminWeights are the derivatives of softmin with respect to a, b, c.
func softminWeights(a, b, c, gamma float64) [3]float64 {
	mu := math.Min(a, math.Min(b, c))
	w := [3]float64{math.Exp((mu - a) / gamma), math.Exp((mu - b) / gamma), math.Exp((mu - c) / gamma)}
	s := w[0] + w[1] + w[2]
	return [3]float64{w[0] / s, w[1] / s, w[2] / s}
}

// complexPrim runs the complex primitives on interleaved (re, im) values.
func complexPrim[T float](in *instr, dst vec[T], a []vec[T]) {
	d := in.argDims
	for t := 0; t < dst.width; t++ {
		at := func(arg, k int) float64 { return float64(a[arg].at(k, t)) }
		set := func(k int, v float64) { dst.data[k*dst.stride+t] = T(v) }
		switch in.prim {
		case formula.PrimComplexReal, formula.PrimComplexImag:
			off := 0
			if in.prim == formula.PrimComplexImag {
				off = 1
			}
			for k := 0; k < in.dim; k++ {
				set(k, at(0, 2*k+off))
			}
		case formula.PrimReal2Complex, formula.PrimImag2Complex:
			re := in.prim == formula.PrimReal2Complex
			for k := 0; k < d[0]; k++ {
				v := at(0, k)
				if re {
					set(2*k, v)
					set(2*k+1, 0)
				} else {
					set(2*k, 0)
					set(2*k+1, v)
				}
			}
		case formula.PrimConj:
			for k := 0; k < in.dim; k += 2 {
				set(k, at(0, k))
				set(k+1, -at(0, k+1))
			}
		case formula.PrimComplexAdd, formula.PrimComplexSubtract, formula.PrimComplexMult:
			for k := 0; k < in.dim; k += 2 {
				ka, kb := k%d[0], k%d[1]
				ar, ai, br, bi := at(0, ka), at(0, ka+1), at(1, kb), at(1, kb+1)
				switch in.prim {
				case formula.PrimComplexAdd:
					set(k, ar+br)
					set(k+1, ai+bi)
				case formula.PrimComplexSubtract:
					set(k, ar-br)
					set(k+1, ai-bi)
				default:
					set(k, ar*br-ai*bi)
					set(k+1, ar*bi+ai*br)
				}
			}
		case formula.PrimComplexSquareAbs:
			for k := 0; k < in.dim; k++ {
				re, im := at(0, 2*k), at(0, 2*k+1)
				set(k, re*re+im*im)
			}
		case formula.PrimComplexExp:
			for k := 0; k < in.dim; k += 2 {
				r := math.Exp(at(0, k))
				s, c := math.Sincos(at(0, k+1))
				set(k, r*c)
				set(k+1, r*s)
			}
		case formula.PrimComplexExp1j:
			for k := 0; k < d[0]; k++ {
				s, c := math.Sincos(at(0, k))
				set(2*k, c)
				set(2*k+1, s)
			}
		case formula.PrimComplexSum:
			re, im := 0.0, 0.0
			for k := 0; k < d[0]; k += 2 {
				re += at(0, k)
				im += at(0, k+1)
			}
			set(0, re)
			set(1, im)
		case formula.PrimComplexRealScal:
			s, z := 0, 1
			if d[0] != 1 {
				s, z = 1, 0
			}
			for k := 0; k < in.dim; k++ {
				set(k, at(s, 0)*at(z, k))
			}
		default:
			panic(fmt.Sprintf("core: primitive %d has no CPU kernel", in.prim))
		}
	}
}
