package core

import (
	"math"

	"github.com/gokeops/gokeops/pkg/formula"
)

// fillCol writes src into dst, broadcasting a length-1 src.
func fillCol[T float](dst, src []T) {
	if len(src) == 1 && len(dst) != 1 {
		v := src[0]
		for t := range dst {
			dst[t] = v
		}
		return
	}
	copy(dst, src[:len(dst)])
}

func zeroCol[T float](dst []T) {
	for t := range dst {
		dst[t] = 0
	}
}

// vectorPrim runs a primitive that reads whole vectors (everything but the
// elementwise family). a holds the argument values, dims their dimensions.
func vectorPrim[T float](in *instr, dst vec[T], a []vec[T]) {
	n, dims := dst.width, in.argDims
	switch in.prim {
	case formula.PrimSum:
		out := dst.col(0)
		fillCol(out, a[0].col(0))
		for k := 1; k < dims[0]; k++ {
			binaryTile(formula.PrimAdd, out, out, a[0].col(k))
		}
	case formula.PrimSqNorm2:
		// The sum of the rounded squares, in order: the value of
		// Sum(Square(a)) and Scalprod(a, a), which formula.Canonical
		// writes as SqNorm2(a) (the conversions keep the compiler from
		// fusing the product into the sum).
		out := dst.col(0)
		zeroCol(out)
		for k := 0; k < dims[0]; k++ {
			x := a[0].col(k)
			for t := range out {
				v := x[min(t, len(x)-1)]
				out[t] += T(v * v)
			}
		}
	case formula.PrimScalprod:
		out := dst.col(0)
		zeroCol(out)
		for k := 0; k < dims[0]; k++ {
			for t := range out {
				out[t] += T(a[0].at(k, t) * a[1].at(k, t))
			}
		}
	case formula.PrimSqDist:
		sqDist(dst.col(0), a[0], dims[0], a[1], dims[1])
	case formula.PrimMax, formula.PrimMin, formula.PrimArgMax, formula.PrimArgMin:
		extremum(in.prim, dst.col(0), a[0], dims[0])
	case formula.PrimSumT, formula.PrimComplexSumT:
		for k := 0; k < in.dim; k++ {
			fillCol(dst.col(k), a[0].col(k%dims[0]))
		}
	case formula.PrimElem:
		fillCol(dst.col(0), a[0].col(in.ints[0]))
	case formula.PrimElemT:
		for k := 0; k < in.dim; k++ {
			zeroCol(dst.col(k))
		}
		fillCol(dst.col(in.ints[1]), a[0].col(0))
	case formula.PrimExtract:
		for k := 0; k < in.dim; k++ {
			fillCol(dst.col(k), a[0].col(in.ints[0]+k))
		}
	case formula.PrimExtractT:
		for k := 0; k < in.dim; k++ {
			if s := k - in.ints[0]; s >= 0 && s < dims[0] {
				fillCol(dst.col(k), a[0].col(s))
			} else {
				zeroCol(dst.col(k))
			}
		}
	case formula.PrimConcat:
		for k := 0; k < in.dim; k++ {
			if k < dims[0] {
				fillCol(dst.col(k), a[0].col(k))
			} else {
				fillCol(dst.col(k), a[1].col(k-dims[0]))
			}
		}
	case formula.PrimOneHot:
		for t := 0; t < n; t++ {
			hot := int(math.Trunc(float64(a[0].at(0, t)) + 0.5))
			for k := 0; k < in.dim; k++ {
				dst.data[k*dst.stride+t] = T(b2f(k == hot))
			}
		}
	case formula.PrimMatVecMult, formula.PrimVecMatMult, formula.PrimTensorProd, formula.PrimTensorDot:
		contract(in, dst, a)
	case formula.PrimBSpline:
		bspline(in, dst, a)
	case formula.PrimSoftDTWSqDist, formula.PrimSoftDTWSqDistGrad:
		softDTW(in, dst, a)
	default:
		complexPrim(in, dst, a)
	}
}

// sqDist is the fused squared distance sum_k (x_k - y_k)^2, with the {1, D}
// broadcast of either operand.
func sqDist[T float](out []T, x vec[T], dx int, y vec[T], dy int) {
	zeroCol(out)
	d := max(dx, dy)
	for k := 0; k < d; k++ {
		xc, yc := x.col(min(k, dx-1)), y.col(min(k, dy-1))
		switch {
		case len(xc) == 1 && len(yc) == len(out) && sqDistAddSIMD(out, xc[0], yc):
		case len(yc) == 1 && len(xc) == len(out) && sqDistAddSIMD(out, yc[0], xc):
		case len(xc) == 1 && len(yc) == len(out):
			xv := xc[0]
			for t, yv := range yc {
				diff := xv - yv
				out[t] += diff * diff
			}
		case len(yc) == 1 && len(xc) == len(out):
			yv := yc[0]
			for t, xv := range xc {
				diff := xv - yv
				out[t] += diff * diff
			}
		default:
			for t := range out {
				diff := xc[min(t, len(xc)-1)] - yc[min(t, len(yc)-1)]
				out[t] += diff * diff
			}
		}
	}
}

// extremum is Max, Min, ArgMax or ArgMin over the components: a scan from
// component 0 with strict comparisons, so a NaN in slot 0 sticks and later
// NaNs are ignored, as in KeOps.
func extremum[T float](p formula.Prim, out []T, x vec[T], d int) {
	isMax := p == formula.PrimMax || p == formula.PrimArgMax
	wantArg := p == formula.PrimArgMax || p == formula.PrimArgMin
	for t := range out {
		best, arg := x.at(0, t), 0
		for k := 1; k < d; k++ {
			v := x.at(k, t)
			if isMax && v > best || !isMax && v < best {
				best, arg = v, k
			}
		}
		if wantArg {
			out[t] = T(arg)
		} else {
			out[t] = best
		}
	}
}
