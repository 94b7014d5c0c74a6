//go:build !(goexperiment.simd && amd64)

package core

import "math"

// tileExtremes returns the largest and the smallest value of x, NaNs
// ignored (-inf and +inf when x holds none).
func tileExtremes[T float](x []T) (hi, lo float64) {
	hi, lo = math.Inf(-1), math.Inf(1)
	for _, v := range x {
		f := float64(v)
		if f > hi {
			hi = f
		}
		if f < lo {
			lo = f
		}
	}
	return hi, lo
}

// expShiftSum does nothing here: the reducer subtracts, takes exp and sums.
func expShiftSum[T float](x []T, m T) (float64, bool) { return 0, false }
