//go:build !(goexperiment.simd && amd64)

package core

// Without SIMD, radial folds run the portable loop of foldTile.
func foldSIMD[T float](mode foldMode, prof profile, a *foldArgs[T], dim int, sums *[2][foldMaxDim]float64) (int, bool) {
	return 0, false
}
