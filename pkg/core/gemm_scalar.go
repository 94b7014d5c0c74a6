//go:build !(goexperiment.simd && amd64)

package core

// gemmSIMD does nothing in this build: distances runs its plain loops.
func gemmSIMD[T float](g *gemmState[T], y []T, dim, rows, n int) bool { return false }
