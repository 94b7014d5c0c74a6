package core

import "math"

// radialTile computes a fused radial kernel (fuse.go) over a tile:
// out[t] = profile(s * |x - y_t|^2 [+ w_t]), x a per-row vector, y and w
// tile values. The SIMD flavour does it in one pass; this is the loop it
// must match.
func radialTile[T float](prof profile, out []T, x, y, s, w vec[T], dim int) {
	if radialSIMD(prof, out, x, y, s, w, dim) {
		return
	}
	sv := float64(s.data[0])
	for t := range out {
		d := 0.0
		for k := 0; k < dim; k++ {
			diff := float64(x.data[k*x.stride] - y.data[k*y.stride+t])
			d += diff * diff
		}
		out[t] = T(radialProfile(prof, sv, d, w, t))
	}
}

func radialProfile[T float](prof profile, s, d float64, w vec[T], t int) float64 {
	switch prof {
	case profileExp:
		return math.Exp(s * d)
	case profileExpSqrt:
		return math.Exp(s * math.Sqrt(d))
	case profileCauchy:
		return 1 / (1 + s*d)
	}
	return s*d + float64(w.at(0, t))
}

// dotTile adds to acc[c] the dot product of k with column c of w, in the
// data's precision (float32 when round32), to the float64 running sum.
func dotTile[T float](acc []float64, k []T, w vec[T], dims int, round32 bool) {
	for c := 0; c < dims; c++ {
		wc := w.col(c)
		if s, ok := dotSIMD(k, wc); ok {
			// For float32 data the vector dot product sums in float32 lanes:
			// with round32 that is float32 accumulation, as the scalar loop.
			if round32 {
				acc[c] += float64(float32(s))
			} else {
				acc[c] += s
			}
			continue
		}
		if round32 {
			var s float32
			for t, v := range k {
				s += float32(v) * float32(wc[t])
			}
			acc[c] += float64(s)
			continue
		}
		s := 0.0
		for t, v := range k {
			s += float64(v) * float64(wc[t])
		}
		acc[c] += s
	}
}

// dotDiffTile adds to acc[c] the sum over the tile of k_t * (x_c - y_c,t)
// (of k_t * (y_c,t - x_c) when neg), in the data's precision, to the float64
// running sum.
func dotDiffTile[T float](acc []float64, k []T, x, y vec[T], dims int, neg, round32 bool) {
	for c := 0; c < dims; c++ {
		xc, yc := x.col(c)[0], y.col(c)[:len(k)]
		s, ok := dotDiffSIMD(k, xc, yc)
		if !ok {
			var s32 float32
			for t, v := range k {
				if round32 {
					s32 += float32(v) * float32(xc-yc[t])
				} else {
					s += float64(v) * float64(xc-yc[t])
				}
			}
			if round32 {
				s = float64(s32)
			}
		}
		if neg {
			s = -s
		}
		if round32 {
			acc[c] += float64(float32(s))
		} else {
			acc[c] += s
		}
	}
}

// radialDotTile adds to acc[0] the sum over the tile of
// profile(s*|x - y_t|^2) * w_t, the kernel never stored.
func radialDotTile[T float](acc []float64, prof profile, x, y, s, w vec[T], dim, n int, round32 bool) {
	sum, t := radialDotSIMD(prof, x, y, s, w, dim, n)
	sv := float64(s.data[0])
	var s32 float32
	for ; t < n; t++ {
		d := 0.0
		for k := 0; k < dim; k++ {
			diff := float64(x.data[k*x.stride] - y.data[k*y.stride+t])
			d += diff * diff
		}
		v := T(radialProfile(prof, sv, d, vec[T]{}, t)) * w.data[t]
		if round32 {
			s32 += float32(v)
		} else {
			sum += float64(v)
		}
	}
	if round32 {
		acc[0] += float64(float32(sum) + s32)
	} else {
		acc[0] += sum
	}
}
