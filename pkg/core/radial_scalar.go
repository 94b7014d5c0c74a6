//go:build !(goexperiment.simd && amd64)

package core

// Without SIMD, the radial kernels and dot products run the plain loops of
// radial.go.

func radialSIMD[T float](prof profile, out []T, x, y, s, w vec[T], dim int) bool { return false }
func dotSIMD[T float](a, b []T) (float64, bool)                                  { return 0, false }
func dotDiffSIMD[T float](k []T, x T, y []T) (float64, bool)                     { return 0, false }

// radialDotSIMD does nothing here: radialDotTile runs its plain loop.
func radialDotSIMD[T float](prof profile, x, y, s, w vec[T], dim, n int) (float64, int) { return 0, 0 }
