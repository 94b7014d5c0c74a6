//go:build goexperiment.simd && amd64

package core

import "simd/archsimd"

// maxRadialDim bounds the dimension the SIMD radial kernel keeps in registers.
const maxRadialDim = 16

// radialSIMD is radialTile with AVX2: the distance, the scaling and the
// profile of 4 (float64) or 8 (float32) pairs stay in registers. The vector
// loops live in functions that touch no scalar float: the compiler's
// scalar float code uses legacy SSE encodings, and mixing them with dirty
// 256-bit registers inside a loop costs a state transition per iteration.
func radialSIMD[T float](prof profile, out []T, x, y, s, w vec[T], dim int) bool {
	if !simdOK || dim > maxRadialDim || cap(out) < tileSize {
		return false
	}
	// Every column goes through the vector code, the last vector reading and
	// writing past n inside the tile arena (columns are tileSize long): a
	// scalar tail would round differently and break exact ties between
	// columns.
	l := lanes[T]()
	cols := (len(out) + l - 1) / l * l
	out = out[:cols]
	if isFloat64[T]() {
		var ws []float64
		if prof == profileAffine {
			ws = as64(w.data)
		}
		var bx [maxRadialDim]archsimd.Float64x4
		xs := as64(x.data)
		for k := 0; k < dim; k++ {
			bx[k] = archsimd.BroadcastFloat64x4(xs[k*x.stride])
		}
		radialVec64(prof, as64(out), &bx, as64(y.data), ws, y.stride, dim, archsimd.BroadcastFloat64x4(float64(s.data[0])))
	} else {
		var ws []float32
		if prof == profileAffine {
			ws = as32(w.data)
		}
		var bx [maxRadialDim]archsimd.Float32x8
		xs := as32(x.data)
		for k := 0; k < dim; k++ {
			bx[k] = archsimd.BroadcastFloat32x8(xs[k*x.stride])
		}
		radialVec32(prof, as32(out), &bx, as32(y.data), ws, y.stride, dim, archsimd.BroadcastFloat32x8(float32(s.data[0])))
	}
	return true
}

// radialVec64 fills o in steps of 4 and returns how many values it wrote.
func radialVec64(prof profile, o []float64, bx *[maxRadialDim]archsimd.Float64x4, ys, ws []float64, stride, dim int, bs archsimd.Float64x4) int {
	t := 0
	for ; t+4 <= len(o); t += 4 {
		d2 := sqDistFloat64x4(bx, ys, t, stride, dim)
		if prof == profileAffine {
			d2.MulAdd(bs, archsimd.LoadFloat64x4Slice(ws[t:])).StoreSlice(o[t:])
		} else {
			profileFloat64x4(prof, d2, bs).StoreSlice(o[t:])
		}
	}
	archsimd.ClearAVXUpperBits() // back to scalar code: avoid the AVX-SSE transition penalty
	return t
}

// radialVec32 fills o in steps of 8 and returns how many values it wrote.
func radialVec32(prof profile, o []float32, bx *[maxRadialDim]archsimd.Float32x8, ys, ws []float32, stride, dim int, bs archsimd.Float32x8) int {
	t := 0
	for ; t+8 <= len(o); t += 8 {
		d2 := sqDistFloat32x8(bx, ys, t, stride, dim)
		if prof == profileAffine {
			d2.MulAdd(bs, archsimd.LoadFloat32x8Slice(ws[t:])).StoreSlice(o[t:])
		} else {
			profileFloat32x8(prof, d2, bs).StoreSlice(o[t:])
		}
	}
	archsimd.ClearAVXUpperBits() // back to scalar code: avoid the AVX-SSE transition penalty
	return t
}

// dotSIMD is the dot product of a and b (equal lengths) in the data's
// precision, with several partial sums.
func dotSIMD[T float](a, b []T) (float64, bool) {
	if !simdOK {
		return 0, false
	}
	var s float64
	var t int
	if isFloat64[T]() {
		var l [4]float64
		t = dotVec64(as64(a), as64(b), &l)
		s = (l[0] + l[1]) + (l[2] + l[3])
	} else {
		var l [8]float32
		t = dotVec32(as32(a), as32(b), &l)
		s = float64(((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7])))
	}
	for ; t < len(a); t++ {
		s += float64(a[t]) * float64(b[t])
	}
	return s, true
}

func dotVec64(x, y []float64, lanes *[4]float64) int {
	var acc archsimd.Float64x4
	t := 0
	for ; t+4 <= len(x); t += 4 {
		acc = archsimd.LoadFloat64x4Slice(x[t:]).MulAdd(archsimd.LoadFloat64x4Slice(y[t:]), acc)
	}
	acc.Store(lanes)
	archsimd.ClearAVXUpperBits()
	return t
}

func dotVec32(x, y []float32, lanes *[8]float32) int {
	var acc archsimd.Float32x8
	t := 0
	for ; t+8 <= len(x); t += 8 {
		acc = archsimd.LoadFloat32x8Slice(x[t:]).MulAdd(archsimd.LoadFloat32x8Slice(y[t:]), acc)
	}
	acc.Store(lanes)
	archsimd.ClearAVXUpperBits()
	return t
}

// dotDiffSIMD is sum_t k_t * (x - y_t), in the data's precision with
// several partial sums.
func dotDiffSIMD[T float](k []T, x T, y []T) (float64, bool) {
	if !simdOK {
		return 0, false
	}
	var s float64
	var t int
	if isFloat64[T]() {
		var l [4]float64
		t = dotDiffVec64(as64(k), archsimd.BroadcastFloat64x4(float64(x)), as64(y), &l)
		s = (l[0] + l[1]) + (l[2] + l[3])
	} else {
		var l [8]float32
		t = dotDiffVec32(as32(k), archsimd.BroadcastFloat32x8(float32(x)), as32(y), &l)
		s = float64(((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7])))
	}
	for ; t < len(k); t++ {
		s += float64(k[t]) * float64(x-y[t])
	}
	return s, true
}

func dotDiffVec64(k []float64, x archsimd.Float64x4, y []float64, lanes *[4]float64) int {
	var acc archsimd.Float64x4
	t := 0
	for ; t+4 <= len(k); t += 4 {
		d := x.Sub(archsimd.LoadFloat64x4Slice(y[t:]))
		acc = archsimd.LoadFloat64x4Slice(k[t:]).MulAdd(d, acc)
	}
	acc.Store(lanes)
	archsimd.ClearAVXUpperBits()
	return t
}

func dotDiffVec32(k []float32, x archsimd.Float32x8, y []float32, lanes *[8]float32) int {
	var acc archsimd.Float32x8
	t := 0
	for ; t+8 <= len(k); t += 8 {
		d := x.Sub(archsimd.LoadFloat32x8Slice(y[t:]))
		acc = archsimd.LoadFloat32x8Slice(k[t:]).MulAdd(d, acc)
	}
	acc.Store(lanes)
	archsimd.ClearAVXUpperBits()
	return t
}

// radialDotSIMD sums profile(s*|x - y_t|^2) * w_t over the whole vectors of
// the tile (in the data's precision, several partial sums) and returns the
// sum and how many columns it took; the caller adds the rest.
func radialDotSIMD[T float](prof profile, x, y, s, w vec[T], dim, n int) (float64, int) {
	if !simdOK || dim > maxRadialDim || prof == profileAffine {
		return 0, 0
	}
	if isFloat64[T]() {
		var bx [maxRadialDim]archsimd.Float64x4
		xs := as64(x.data)
		for k := 0; k < dim; k++ {
			bx[k] = archsimd.BroadcastFloat64x4(xs[k*x.stride])
		}
		var l [4]float64
		t := radialDotVec64(prof, &bx, as64(y.data), as64(w.data), y.stride, dim, n, archsimd.BroadcastFloat64x4(float64(s.data[0])), &l)
		return (l[0] + l[1]) + (l[2] + l[3]), t
	}
	var bx [maxRadialDim]archsimd.Float32x8
	xs := as32(x.data)
	for k := 0; k < dim; k++ {
		bx[k] = archsimd.BroadcastFloat32x8(xs[k*x.stride])
	}
	var l [8]float32
	t := radialDotVec32(prof, &bx, as32(y.data), as32(w.data), y.stride, dim, n, archsimd.BroadcastFloat32x8(float32(s.data[0])), &l)
	return float64(((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7]))), t
}

func radialDotVec64(prof profile, bx *[maxRadialDim]archsimd.Float64x4, ys, ws []float64, stride, dim, n int, bs archsimd.Float64x4, lanes *[4]float64) int {
	var sum archsimd.Float64x4
	t := 0
	for ; t+4 <= n; t += 4 {
		v := profileFloat64x4(prof, sqDistFloat64x4(bx, ys, t, stride, dim), bs)
		sum = v.MulAdd(archsimd.LoadFloat64x4Slice(ws[t:]), sum)
	}
	sum.Store(lanes)
	archsimd.ClearAVXUpperBits()
	return t
}

func radialDotVec32(prof profile, bx *[maxRadialDim]archsimd.Float32x8, ys, ws []float32, stride, dim, n int, bs archsimd.Float32x8, lanes *[8]float32) int {
	var sum archsimd.Float32x8
	t := 0
	for ; t+8 <= n; t += 8 {
		v := profileFloat32x8(prof, sqDistFloat32x8(bx, ys, t, stride, dim), bs)
		sum = v.MulAdd(archsimd.LoadFloat32x8Slice(ws[t:]), sum)
	}
	sum.Store(lanes)
	archsimd.ClearAVXUpperBits()
	return t
}

// sqDistFloat64x4 is |x - y_t|^2 for the columns t.. of a vector: x broadcast
// in bx, y's component k at ys[k*stride:].
func sqDistFloat64x4(bx *[maxRadialDim]archsimd.Float64x4, ys []float64, t, stride, dim int) archsimd.Float64x4 {
	var acc archsimd.Float64x4
	for k := 0; k < dim; k++ {
		d := bx[k].Sub(archsimd.LoadFloat64x4Slice(ys[k*stride+t:]))
		acc = d.MulAdd(d, acc)
	}
	return acc
}

// profileFloat64x4 applies a radial profile (not profileAffine, which needs
// its weight) to the squared distances d2 with the scale bs.
func profileFloat64x4(prof profile, d2, bs archsimd.Float64x4) archsimd.Float64x4 {
	switch prof {
	case profileExp:
		return expF64x4(d2.Mul(bs))
	case profileExpSqrt:
		return expF64x4(d2.Sqrt().Mul(bs))
	}
	one := archsimd.BroadcastFloat64x4(1)
	return one.Div(d2.MulAdd(bs, one))
}

// sqDistFloat32x8 is |x - y_t|^2 for the columns t.. of a vector: x broadcast
// in bx, y's component k at ys[k*stride:].
func sqDistFloat32x8(bx *[maxRadialDim]archsimd.Float32x8, ys []float32, t, stride, dim int) archsimd.Float32x8 {
	var acc archsimd.Float32x8
	for k := 0; k < dim; k++ {
		d := bx[k].Sub(archsimd.LoadFloat32x8Slice(ys[k*stride+t:]))
		acc = d.MulAdd(d, acc)
	}
	return acc
}

// profileFloat32x8 applies a radial profile (not profileAffine, which needs
// its weight) to the squared distances d2 with the scale bs.
func profileFloat32x8(prof profile, d2, bs archsimd.Float32x8) archsimd.Float32x8 {
	switch prof {
	case profileExp:
		return expF32x8(d2.Mul(bs))
	case profileExpSqrt:
		return expF32x8(d2.Sqrt().Mul(bs))
	}
	one := archsimd.BroadcastFloat32x8(1)
	return one.Div(d2.MulAdd(bs, one))
}
