//go:build !(goexperiment.simd && amd64)

package core

// The hand-written SIMD kernels do nothing in this build (they report false
// and the caller runs its scalar loop).

func sqDistAddSIMD[T float](out []T, s T, y []T) bool { return false }
func sumSIMD[T float](x []T) (float64, bool)          { return 0, false }
