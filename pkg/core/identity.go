package core

import "math"

// Kernel matrix blocks: a Sum of K(x_i, y_j) * e_j whose weight e is the
// identity matrix (a one-hot selector of as many components as there are
// j, per batch) has K(x_i, y_g) as component g of row i. The solver's
// Nystrom set-up reads its landmark columns K[:, S] that way, 16 landmarks
// per batch, where the dot products with the selector's columns would cost
// 16 times the kernel.

// identityWeight reports whether the call's dot fold has the identity
// matrix as its weight, in every batch.
func (r *runner[T]) identityWeight() bool {
	c, p := r.c, r.k.prog
	d := p.dot
	if d == nil || d.x >= 0 || d.radial != nil || c.Ranges != nil {
		return false
	}
	g := p.slots[d.w].dim
	if r.inner != g || g > tileSize {
		return false
	}
	for _, ld := range p.loads[levelTile] {
		if ld.slot != d.w || ld.dim != g {
			continue
		}
		for b := 0; b < r.nbatch; b++ {
			w := c.Args[ld.arg][r.offsets[ld.arg][b]:][:g*g]
			for j := 0; j < g; j++ {
				for k := 0; k < g; k++ {
					if v := w[j*g+k]; (j == k && v != 1) || (j != k && v != 0) {
						return false
					}
				}
			}
		}
		return true
	}
	return false
}

// identityTile adds the tile's terms k to their own components of acc
// (column j0 + t to component j0 + t): the dot products with an identity
// weight. With a term that is not finite it does nothing and returns
// false: then every component is NaN (inf * 0), as the dot products say.
func identityTile[T float](acc []float64, k []T, j0 int) bool {
	if j0 < 0 {
		return false
	}
	for _, v := range k {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return false
		}
	}
	for t, v := range k {
		acc[j0+t] += float64(v)
	}
	return true
}
