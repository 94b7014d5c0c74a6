//go:build goexperiment.simd && amd64

package core

import (
	"simd/archsimd"
	"unsafe"
)

// topkSIMD reports whether the fused selection runs: it needs the AVX2
// micro-kernel.
func topkSIMD[T float]() bool { return simdOK }

// topkPanels computes the distances of a group of four rows (xs, their
// interleaved splat, and xn, their squared norms) to the columns of the
// packed panels p0, p0+1, ... < p1 (yp, and yn, their squared norms), as
// max(0, |x|^2 + |y|^2 - 2 x.y) with the products summed in component
// order, as gemmBlock does. It stops at the first panel p with a distance
// below its row's thr[r] and returns p and those rows (bit r), the panel's
// distances in dist (row r at r*2*lanes); or p1 and 0.
func topkPanels[T float](xs, yp []T, dim, p0, p1 int, xn, yn, thr, dist []T) (int, uint8) {
	if isFloat64[T]() {
		return topkPanels64(as64(xs), as64(yp), dim, p0, p1, as64(xn), as64(yn), as64(thr), as64(dist))
	}
	return topkPanels32(as32(xs), as32(yp), dim, p0, p1, as32(xn), as32(yn), as32(thr), as32(dist))
}

// panelNorms sets yn[c] to the sum over k of panel[k*pw+c]^2, in component
// order, each square rounded before it is added (as the block kernel's
// norms).
func panelNorms[T float](panel, yn []T, dim int) {
	if isFloat64[T]() {
		p, n := as64(panel), as64(yn)
		var n0, n1 archsimd.Float64x4
		for k := 0; k < dim; k++ {
			v0, v1 := archsimd.LoadFloat64x4Slice(p[k*8:]), archsimd.LoadFloat64x4Slice(p[k*8+4:])
			n0, n1 = n0.Add(v0.Mul(v0)), n1.Add(v1.Mul(v1))
		}
		n0.StoreSlice(n)
		n1.StoreSlice(n[4:])
		return
	}
	p, n := as32(panel), as32(yn)
	var n0, n1 archsimd.Float32x8
	for k := 0; k < dim; k++ {
		v0, v1 := archsimd.LoadFloat32x8Slice(p[k*16:]), archsimd.LoadFloat32x8Slice(p[k*16+8:])
		n0, n1 = n0.Add(v0.Mul(v0)), n1.Add(v1.Mul(v1))
	}
	n0.StoreSlice(n)
	n1.StoreSlice(n[8:])
}

// topkPanels32: eight accumulators (four rows by two vectors of columns),
// two components per loop step. Every multiply-add takes a freshly loaded
// operand as its receiver (the register the instruction overwrites), which
// keeps the compiler's register copies few and the accumulators out of
// memory.
func topkPanels32(xs, yp []float32, dim, p0, p1 int, xn, yn, thr, dist []float32) (int, uint8) {
	const l = 8
	_, _ = xs[dim*4*l-1], yp[p1*dim*2*l-1]
	_, _, _, _ = xn[3], yn[p1*2*l-1], thr[3], dist[4*2*l-1]
	for p := p0; p < p1; p++ {
		// The first products start the sums (x*y is fma(x, y, 0) but for
		// the sign of a zero, which the distance does not keep).
		// Byte offsets, not walked pointers: a pointer stepped past the
		// last vector would point outside its buffer (invalid for Go's GC).
		px0, py0 := unsafe.Pointer(&xs[0]), unsafe.Pointer(&yp[p*dim*2*l])
		px, py, ox, oy := px0, py0, 0, 0
		y0 := archsimd.LoadFloat32x8((*[l]float32)(py))
		y1 := archsimd.LoadFloat32x8((*[l]float32)(unsafe.Add(py, 4*l)))
		a00, a01 := archsimd.LoadFloat32x8((*[l]float32)(px)).Mul(y0), archsimd.LoadFloat32x8((*[l]float32)(px)).Mul(y1)
		a10, a11 := archsimd.LoadFloat32x8((*[l]float32)(unsafe.Add(px, 4*l))).Mul(y0), archsimd.LoadFloat32x8((*[l]float32)(unsafe.Add(px, 4*l))).Mul(y1)
		a20, a21 := archsimd.LoadFloat32x8((*[l]float32)(unsafe.Add(px, 2*4*l))).Mul(y0), archsimd.LoadFloat32x8((*[l]float32)(unsafe.Add(px, 2*4*l))).Mul(y1)
		a30, a31 := archsimd.LoadFloat32x8((*[l]float32)(unsafe.Add(px, 3*4*l))).Mul(y0), archsimd.LoadFloat32x8((*[l]float32)(unsafe.Add(px, 3*4*l))).Mul(y1)
		ox, oy = ox+4*4*l, oy+2*4*l
		k := 1
		for ; k+2 <= dim; k += 2 {
			px, py := unsafe.Add(px0, ox), unsafe.Add(py0, oy)
			y0 := archsimd.LoadFloat32x8((*[l]float32)(py))
			y1 := archsimd.LoadFloat32x8((*[l]float32)(unsafe.Add(py, 4*l)))
			a00 = archsimd.LoadFloat32x8((*[l]float32)(px)).MulAdd(y0, a00)
			a01 = archsimd.LoadFloat32x8((*[l]float32)(px)).MulAdd(y1, a01)
			a10 = archsimd.LoadFloat32x8((*[l]float32)(unsafe.Add(px, 4*l))).MulAdd(y0, a10)
			a11 = archsimd.LoadFloat32x8((*[l]float32)(unsafe.Add(px, 4*l))).MulAdd(y1, a11)
			a20 = archsimd.LoadFloat32x8((*[l]float32)(unsafe.Add(px, 2*4*l))).MulAdd(y0, a20)
			a21 = archsimd.LoadFloat32x8((*[l]float32)(unsafe.Add(px, 2*4*l))).MulAdd(y1, a21)
			a30 = archsimd.LoadFloat32x8((*[l]float32)(unsafe.Add(px, 3*4*l))).MulAdd(y0, a30)
			a31 = archsimd.LoadFloat32x8((*[l]float32)(unsafe.Add(px, 3*4*l))).MulAdd(y1, a31)
			y0 = archsimd.LoadFloat32x8((*[l]float32)(unsafe.Add(py, 2*4*l)))
			y1 = archsimd.LoadFloat32x8((*[l]float32)(unsafe.Add(py, 3*4*l)))
			a00 = archsimd.LoadFloat32x8((*[l]float32)(unsafe.Add(px, 4*4*l))).MulAdd(y0, a00)
			a01 = archsimd.LoadFloat32x8((*[l]float32)(unsafe.Add(px, 4*4*l))).MulAdd(y1, a01)
			a10 = archsimd.LoadFloat32x8((*[l]float32)(unsafe.Add(px, 5*4*l))).MulAdd(y0, a10)
			a11 = archsimd.LoadFloat32x8((*[l]float32)(unsafe.Add(px, 5*4*l))).MulAdd(y1, a11)
			a20 = archsimd.LoadFloat32x8((*[l]float32)(unsafe.Add(px, 6*4*l))).MulAdd(y0, a20)
			a21 = archsimd.LoadFloat32x8((*[l]float32)(unsafe.Add(px, 6*4*l))).MulAdd(y1, a21)
			a30 = archsimd.LoadFloat32x8((*[l]float32)(unsafe.Add(px, 7*4*l))).MulAdd(y0, a30)
			a31 = archsimd.LoadFloat32x8((*[l]float32)(unsafe.Add(px, 7*4*l))).MulAdd(y1, a31)
			ox, oy = ox+8*4*l, oy+4*4*l
		}
		if k < dim {
			px, py := unsafe.Add(px0, ox), unsafe.Add(py0, oy)
			y0 := archsimd.LoadFloat32x8((*[l]float32)(py))
			y1 := archsimd.LoadFloat32x8((*[l]float32)(unsafe.Add(py, 4*l)))
			a00 = archsimd.LoadFloat32x8((*[l]float32)(px)).MulAdd(y0, a00)
			a01 = archsimd.LoadFloat32x8((*[l]float32)(px)).MulAdd(y1, a01)
			a10 = archsimd.LoadFloat32x8((*[l]float32)(unsafe.Add(px, 4*l))).MulAdd(y0, a10)
			a11 = archsimd.LoadFloat32x8((*[l]float32)(unsafe.Add(px, 4*l))).MulAdd(y1, a11)
			a20 = archsimd.LoadFloat32x8((*[l]float32)(unsafe.Add(px, 2*4*l))).MulAdd(y0, a20)
			a21 = archsimd.LoadFloat32x8((*[l]float32)(unsafe.Add(px, 2*4*l))).MulAdd(y1, a21)
			a30 = archsimd.LoadFloat32x8((*[l]float32)(unsafe.Add(px, 3*4*l))).MulAdd(y0, a30)
			a31 = archsimd.LoadFloat32x8((*[l]float32)(unsafe.Add(px, 3*4*l))).MulAdd(y1, a31)
		}
		yn0, yn1 := archsimd.LoadFloat32x8Slice(yn[p*2*l:]), archsimd.LoadFloat32x8Slice(yn[p*2*l+l:])
		hits := topkFinish32(dist, a00, a01, yn0, yn1, xn[0], thr[0])
		hits |= topkFinish32(dist[2*l:], a10, a11, yn0, yn1, xn[1], thr[1]) << 1
		hits |= topkFinish32(dist[4*l:], a20, a21, yn0, yn1, xn[2], thr[2]) << 2
		hits |= topkFinish32(dist[6*l:], a30, a31, yn0, yn1, xn[3], thr[3]) << 3
		if hits != 0 {
			archsimd.ClearAVXUpperBits()
			return p, hits
		}
	}
	archsimd.ClearAVXUpperBits()
	return p1, 0
}

// Zeros loaded from memory: a zero constant in the finish would be kept in
// a register through the micro-kernel's loop (it is also the accumulators'
// initial value), one register too many.
var (
	topkZero32 [8]float32
	topkZero64 [4]float64
)

// topkFinish32 stores one row's distances (as finish32) and returns 1 if
// one of them is below thr.
func topkFinish32(out []float32, a0, a1, yn0, yn1 archsimd.Float32x8, xn, thr float32) uint8 {
	xb := archsimd.BroadcastFloat32x8(xn)
	m2, zero := archsimd.BroadcastFloat32x8(-2), archsimd.LoadFloat32x8(&topkZero32)
	d0 := a0.MulAdd(m2, xb.Add(yn0)).Max(zero)
	d1 := a1.MulAdd(m2, xb.Add(yn1)).Max(zero)
	d0.StoreSlice(out)
	d1.StoreSlice(out[8:])
	t := archsimd.BroadcastFloat32x8(thr)
	if d0.Less(t).Or(d1.Less(t)).ToBits() != 0 {
		return 1
	}
	return 0
}

// topkPanels64 is topkPanels32 for float64: two vectors of four columns.
func topkPanels64(xs, yp []float64, dim, p0, p1 int, xn, yn, thr, dist []float64) (int, uint8) {
	const l = 4
	_, _ = xs[dim*4*l-1], yp[p1*dim*2*l-1]
	_, _, _, _ = xn[3], yn[p1*2*l-1], thr[3], dist[4*2*l-1]
	for p := p0; p < p1; p++ {
		// The first products start the sums (x*y is fma(x, y, 0) but for
		// the sign of a zero, which the distance does not keep).
		// Byte offsets, not walked pointers: a pointer stepped past the
		// last vector would point outside its buffer (invalid for Go's GC).
		px0, py0 := unsafe.Pointer(&xs[0]), unsafe.Pointer(&yp[p*dim*2*l])
		px, py, ox, oy := px0, py0, 0, 0
		y0 := archsimd.LoadFloat64x4((*[l]float64)(py))
		y1 := archsimd.LoadFloat64x4((*[l]float64)(unsafe.Add(py, 8*l)))
		a00, a01 := archsimd.LoadFloat64x4((*[l]float64)(px)).Mul(y0), archsimd.LoadFloat64x4((*[l]float64)(px)).Mul(y1)
		a10, a11 := archsimd.LoadFloat64x4((*[l]float64)(unsafe.Add(px, 8*l))).Mul(y0), archsimd.LoadFloat64x4((*[l]float64)(unsafe.Add(px, 8*l))).Mul(y1)
		a20, a21 := archsimd.LoadFloat64x4((*[l]float64)(unsafe.Add(px, 2*8*l))).Mul(y0), archsimd.LoadFloat64x4((*[l]float64)(unsafe.Add(px, 2*8*l))).Mul(y1)
		a30, a31 := archsimd.LoadFloat64x4((*[l]float64)(unsafe.Add(px, 3*8*l))).Mul(y0), archsimd.LoadFloat64x4((*[l]float64)(unsafe.Add(px, 3*8*l))).Mul(y1)
		ox, oy = ox+4*8*l, oy+2*8*l
		k := 1
		for ; k+2 <= dim; k += 2 {
			px, py := unsafe.Add(px0, ox), unsafe.Add(py0, oy)
			y0 := archsimd.LoadFloat64x4((*[l]float64)(py))
			y1 := archsimd.LoadFloat64x4((*[l]float64)(unsafe.Add(py, 8*l)))
			a00 = archsimd.LoadFloat64x4((*[l]float64)(px)).MulAdd(y0, a00)
			a01 = archsimd.LoadFloat64x4((*[l]float64)(px)).MulAdd(y1, a01)
			a10 = archsimd.LoadFloat64x4((*[l]float64)(unsafe.Add(px, 8*l))).MulAdd(y0, a10)
			a11 = archsimd.LoadFloat64x4((*[l]float64)(unsafe.Add(px, 8*l))).MulAdd(y1, a11)
			a20 = archsimd.LoadFloat64x4((*[l]float64)(unsafe.Add(px, 2*8*l))).MulAdd(y0, a20)
			a21 = archsimd.LoadFloat64x4((*[l]float64)(unsafe.Add(px, 2*8*l))).MulAdd(y1, a21)
			a30 = archsimd.LoadFloat64x4((*[l]float64)(unsafe.Add(px, 3*8*l))).MulAdd(y0, a30)
			a31 = archsimd.LoadFloat64x4((*[l]float64)(unsafe.Add(px, 3*8*l))).MulAdd(y1, a31)
			y0 = archsimd.LoadFloat64x4((*[l]float64)(unsafe.Add(py, 2*8*l)))
			y1 = archsimd.LoadFloat64x4((*[l]float64)(unsafe.Add(py, 3*8*l)))
			a00 = archsimd.LoadFloat64x4((*[l]float64)(unsafe.Add(px, 4*8*l))).MulAdd(y0, a00)
			a01 = archsimd.LoadFloat64x4((*[l]float64)(unsafe.Add(px, 4*8*l))).MulAdd(y1, a01)
			a10 = archsimd.LoadFloat64x4((*[l]float64)(unsafe.Add(px, 5*8*l))).MulAdd(y0, a10)
			a11 = archsimd.LoadFloat64x4((*[l]float64)(unsafe.Add(px, 5*8*l))).MulAdd(y1, a11)
			a20 = archsimd.LoadFloat64x4((*[l]float64)(unsafe.Add(px, 6*8*l))).MulAdd(y0, a20)
			a21 = archsimd.LoadFloat64x4((*[l]float64)(unsafe.Add(px, 6*8*l))).MulAdd(y1, a21)
			a30 = archsimd.LoadFloat64x4((*[l]float64)(unsafe.Add(px, 7*8*l))).MulAdd(y0, a30)
			a31 = archsimd.LoadFloat64x4((*[l]float64)(unsafe.Add(px, 7*8*l))).MulAdd(y1, a31)
			ox, oy = ox+8*8*l, oy+4*8*l
		}
		if k < dim {
			px, py := unsafe.Add(px0, ox), unsafe.Add(py0, oy)
			y0 := archsimd.LoadFloat64x4((*[l]float64)(py))
			y1 := archsimd.LoadFloat64x4((*[l]float64)(unsafe.Add(py, 8*l)))
			a00 = archsimd.LoadFloat64x4((*[l]float64)(px)).MulAdd(y0, a00)
			a01 = archsimd.LoadFloat64x4((*[l]float64)(px)).MulAdd(y1, a01)
			a10 = archsimd.LoadFloat64x4((*[l]float64)(unsafe.Add(px, 8*l))).MulAdd(y0, a10)
			a11 = archsimd.LoadFloat64x4((*[l]float64)(unsafe.Add(px, 8*l))).MulAdd(y1, a11)
			a20 = archsimd.LoadFloat64x4((*[l]float64)(unsafe.Add(px, 2*8*l))).MulAdd(y0, a20)
			a21 = archsimd.LoadFloat64x4((*[l]float64)(unsafe.Add(px, 2*8*l))).MulAdd(y1, a21)
			a30 = archsimd.LoadFloat64x4((*[l]float64)(unsafe.Add(px, 3*8*l))).MulAdd(y0, a30)
			a31 = archsimd.LoadFloat64x4((*[l]float64)(unsafe.Add(px, 3*8*l))).MulAdd(y1, a31)
		}
		yn0, yn1 := archsimd.LoadFloat64x4Slice(yn[p*2*l:]), archsimd.LoadFloat64x4Slice(yn[p*2*l+l:])
		hits := topkFinish64(dist, a00, a01, yn0, yn1, xn[0], thr[0])
		hits |= topkFinish64(dist[2*l:], a10, a11, yn0, yn1, xn[1], thr[1]) << 1
		hits |= topkFinish64(dist[4*l:], a20, a21, yn0, yn1, xn[2], thr[2]) << 2
		hits |= topkFinish64(dist[6*l:], a30, a31, yn0, yn1, xn[3], thr[3]) << 3
		if hits != 0 {
			archsimd.ClearAVXUpperBits()
			return p, hits
		}
	}
	archsimd.ClearAVXUpperBits()
	return p1, 0
}

// topkFinish64 is topkFinish32 for float64 (as finish64).
func topkFinish64(out []float64, a0, a1, yn0, yn1 archsimd.Float64x4, xn, thr float64) uint8 {
	xb := archsimd.BroadcastFloat64x4(xn)
	m2, zero := archsimd.BroadcastFloat64x4(-2), archsimd.LoadFloat64x4(&topkZero64)
	d0 := a0.MulAdd(m2, xb.Add(yn0)).Max(zero)
	d1 := a1.MulAdd(m2, xb.Add(yn1)).Max(zero)
	d0.StoreSlice(out)
	d1.StoreSlice(out[4:])
	t := archsimd.BroadcastFloat64x4(thr)
	if d0.Less(t).Or(d1.Less(t)).ToBits() != 0 {
		return 1
	}
	return 0
}

// packPanel copies 2*lanes rows of src (dim values each) into panel as
// columns, component-major: panel[k*2*lanes+c] = src[c*dim+k]. Blocks of
// lanes rows by lanes components are transposed in registers.
func packPanel[T float](src []T, dim int, panel []T) {
	if isFloat64[T]() {
		packPanel64(as64(src), dim, as64(panel))
	} else {
		packPanel32(as32(src), dim, as32(panel))
	}
}

func packPanel32(src []float32, dim int, panel []float32) {
	const l, pw = 8, 16
	_, _ = src[pw*dim-1], panel[pw*dim-1]
	// Unchecked addresses: k+l <= dim and c+l <= pw bound every one.
	ps, pp, row := unsafe.Pointer(&src[0]), unsafe.Pointer(&panel[0]), uintptr(dim)*4
	ld := func(c, k int) archsimd.Uint32x8 {
		return archsimd.LoadFloat32x8((*[l]float32)(unsafe.Add(ps, uintptr(c)*row+uintptr(k)*4))).AsUint32x8()
	}
	st := func(v archsimd.Uint64x4, k, c int) {
		v.AsFloat32x8().Store((*[l]float32)(unsafe.Add(pp, uintptr(k*pw+c)*4)))
	}
	k := 0
	for ; k+l <= dim; k += l {
		for c := 0; c < pw; c += l {
			r0, r1, r2, r3 := ld(c, k), ld(c+1, k), ld(c+2, k), ld(c+3, k)
			r4, r5, r6, r7 := ld(c+4, k), ld(c+5, k), ld(c+6, k), ld(c+7, k)
			// Pairs of rows, then quadruples, within each 128-bit half.
			t0, t1 := r0.InterleaveLoGrouped(r1).AsUint64x4(), r0.InterleaveHiGrouped(r1).AsUint64x4()
			t2, t3 := r2.InterleaveLoGrouped(r3).AsUint64x4(), r2.InterleaveHiGrouped(r3).AsUint64x4()
			t4, t5 := r4.InterleaveLoGrouped(r5).AsUint64x4(), r4.InterleaveHiGrouped(r5).AsUint64x4()
			t6, t7 := r6.InterleaveLoGrouped(r7).AsUint64x4(), r6.InterleaveHiGrouped(r7).AsUint64x4()
			s0, s1 := t0.InterleaveLoGrouped(t2), t0.InterleaveHiGrouped(t2) // components 0|4, 1|5 of rows 0-3
			s2, s3 := t1.InterleaveLoGrouped(t3), t1.InterleaveHiGrouped(t3) // 2|6, 3|7
			s4, s5 := t4.InterleaveLoGrouped(t6), t4.InterleaveHiGrouped(t6) // rows 4-7
			s6, s7 := t5.InterleaveLoGrouped(t7), t5.InterleaveHiGrouped(t7)
			st(s0.Select128FromPair(0, 2, s4), k, c)
			st(s1.Select128FromPair(0, 2, s5), k+1, c)
			st(s2.Select128FromPair(0, 2, s6), k+2, c)
			st(s3.Select128FromPair(0, 2, s7), k+3, c)
			st(s0.Select128FromPair(1, 3, s4), k+4, c)
			st(s1.Select128FromPair(1, 3, s5), k+5, c)
			st(s2.Select128FromPair(1, 3, s6), k+6, c)
			st(s3.Select128FromPair(1, 3, s7), k+7, c)
		}
	}
	archsimd.ClearAVXUpperBits()
	for ; k < dim; k++ {
		for c := 0; c < pw; c++ {
			panel[k*pw+c] = src[c*dim+k]
		}
	}
}

func packPanel64(src []float64, dim int, panel []float64) {
	const l, pw = 4, 8
	_, _ = src[pw*dim-1], panel[pw*dim-1]
	ps, pp, row := unsafe.Pointer(&src[0]), unsafe.Pointer(&panel[0]), uintptr(dim)*8
	ld := func(c, k int) archsimd.Uint64x4 {
		return archsimd.LoadFloat64x4((*[l]float64)(unsafe.Add(ps, uintptr(c)*row+uintptr(k)*8))).AsUint64x4()
	}
	st := func(v archsimd.Uint64x4, k, c int) {
		v.AsFloat64x4().Store((*[l]float64)(unsafe.Add(pp, uintptr(k*pw+c)*8)))
	}
	k := 0
	for ; k+l <= dim; k += l {
		for c := 0; c < pw; c += l {
			r0, r1, r2, r3 := ld(c, k), ld(c+1, k), ld(c+2, k), ld(c+3, k)
			t0, t1 := r0.InterleaveLoGrouped(r1), r0.InterleaveHiGrouped(r1) // components 0|2, 1|3 of rows 0, 1
			t2, t3 := r2.InterleaveLoGrouped(r3), r2.InterleaveHiGrouped(r3)
			st(t0.Select128FromPair(0, 2, t2), k, c)
			st(t1.Select128FromPair(0, 2, t3), k+1, c)
			st(t0.Select128FromPair(1, 3, t2), k+2, c)
			st(t1.Select128FromPair(1, 3, t3), k+3, c)
		}
	}
	archsimd.ClearAVXUpperBits()
	for ; k < dim; k++ {
		for c := 0; c < pw; c++ {
			panel[k*pw+c] = src[c*dim+k]
		}
	}
}
