//go:build goexperiment.simd && amd64

package core

import "simd/archsimd"

// symTile returns the row sums of k0 and k1 against c and adds k0[t] ci0 +
// k1[t] ci1 to col[t] (col nil: no column side), in vector registers.
func symTile[T float](k0, k1, c, col []T, ci0, ci1 T) (T, T) {
	if !simdOK {
		return symTileScalar(k0, k1, c, col, ci0, ci1)
	}
	if isFloat64[T]() {
		s0, s1 := symTileF64(as64(k0), as64(k1), as64(c), as64(col), float64(ci0), float64(ci1))
		return T(s0), T(s1)
	}
	s0, s1 := symTileF32(as32(k0), as32(k1), as32(c), as32(col), float32(ci0), float32(ci1))
	return T(s0), T(s1)
}

func symTileF64(k0, k1, c, col []float64, ci0, ci1 float64) (float64, float64) {
	n := len(k0)
	k1, c = k1[:n], c[:n]
	var a0, a1 archsimd.Float64x4
	b0, b1 := archsimd.BroadcastFloat64x4(ci0), archsimd.BroadcastFloat64x4(ci1)
	t := 0
	if col != nil {
		col = col[:n]
		for ; t+4 <= n; t += 4 {
			v0, v1 := archsimd.LoadFloat64x4Slice(k0[t:]), archsimd.LoadFloat64x4Slice(k1[t:])
			cc := archsimd.LoadFloat64x4Slice(c[t:])
			a0, a1 = v0.MulAdd(cc, a0), v1.MulAdd(cc, a1)
			v1.MulAdd(b1, v0.MulAdd(b0, archsimd.LoadFloat64x4Slice(col[t:]))).StoreSlice(col[t:])
		}
	} else {
		for ; t+4 <= n; t += 4 {
			cc := archsimd.LoadFloat64x4Slice(c[t:])
			a0 = archsimd.LoadFloat64x4Slice(k0[t:]).MulAdd(cc, a0)
			a1 = archsimd.LoadFloat64x4Slice(k1[t:]).MulAdd(cc, a1)
		}
	}
	var l0, l1 [4]float64
	a0.Store(&l0)
	a1.Store(&l1)
	archsimd.ClearAVXUpperBits()
	s0, s1 := (l0[0]+l0[1])+(l0[2]+l0[3]), (l1[0]+l1[1])+(l1[2]+l1[3])
	for ; t < n; t++ {
		s0 += k0[t] * c[t]
		s1 += k1[t] * c[t]
		if col != nil {
			col[t] += k0[t]*ci0 + k1[t]*ci1
		}
	}
	return s0, s1
}

func symTileF32(k0, k1, c, col []float32, ci0, ci1 float32) (float32, float32) {
	n := len(k0)
	k1, c = k1[:n], c[:n]
	var a0, a1 archsimd.Float32x8
	b0, b1 := archsimd.BroadcastFloat32x8(ci0), archsimd.BroadcastFloat32x8(ci1)
	t := 0
	if col != nil {
		col = col[:n]
		for ; t+8 <= n; t += 8 {
			v0, v1 := archsimd.LoadFloat32x8Slice(k0[t:]), archsimd.LoadFloat32x8Slice(k1[t:])
			cc := archsimd.LoadFloat32x8Slice(c[t:])
			a0, a1 = v0.MulAdd(cc, a0), v1.MulAdd(cc, a1)
			v1.MulAdd(b1, v0.MulAdd(b0, archsimd.LoadFloat32x8Slice(col[t:]))).StoreSlice(col[t:])
		}
	} else {
		for ; t+8 <= n; t += 8 {
			cc := archsimd.LoadFloat32x8Slice(c[t:])
			a0 = archsimd.LoadFloat32x8Slice(k0[t:]).MulAdd(cc, a0)
			a1 = archsimd.LoadFloat32x8Slice(k1[t:]).MulAdd(cc, a1)
		}
	}
	var l0, l1 [8]float32
	a0.Store(&l0)
	a1.Store(&l1)
	archsimd.ClearAVXUpperBits()
	s0 := ((l0[0] + l0[1]) + (l0[2] + l0[3])) + ((l0[4] + l0[5]) + (l0[6] + l0[7]))
	s1 := ((l1[0] + l1[1]) + (l1[2] + l1[3])) + ((l1[4] + l1[5]) + (l1[6] + l1[7]))
	for ; t < n; t++ {
		s0 += k0[t] * c[t]
		s1 += k1[t] * c[t]
		if col != nil {
			col[t] += k0[t]*ci0 + k1[t]*ci1
		}
	}
	return s0, s1
}
