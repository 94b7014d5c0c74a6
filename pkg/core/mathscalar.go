//go:build !(goexperiment.simd && amd64)

package core

import "math"

// expSlice is
//
//	for t := range dst { dst[t] = exp(x[t]) }
func expSlice[T float](dst, x []T) {
	for t := range dst {
		dst[t] = T(math.Exp(float64(x[t])))
	}
}
