//go:build !(goexperiment.simd && amd64)

package core

import (
	"math"

	"github.com/gokeops/gokeops/pkg/formula"
)

// expSlice is
//
//	for t := range dst { dst[t] = exp(x[t]) }
func expSlice[T float](dst, x []T) {
	for t := range dst {
		dst[t] = T(math.Exp(float64(x[t])))
	}
}

// The SIMD kernels below do nothing in this build (they report false and the
// caller runs its scalar loop).

func binaryVVSIMD[T float](p formula.Prim, dst, x, y []T) bool              { return false }
func binaryVSSIMD[T float](p formula.Prim, dst, x []T, s T, swap bool) bool { return false }
func sqDistAddSIMD[T float](out []T, s T, y []T) bool                       { return false }
func sumSIMD[T float](x []T) (float64, bool)                                { return 0, false }
