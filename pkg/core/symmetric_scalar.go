//go:build !(goexperiment.simd && amd64)

package core

// symTile is the portable loop without SIMD.
func symTile[T float](k0, k1, c, col []T, ci0, ci1 T) (T, T) {
	return symTileScalar(k0, k1, c, col, ci0, ci1)
}
