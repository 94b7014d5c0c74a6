//go:build goexperiment.simd && amd64

package core

import (
	"simd/archsimd"
	"unsafe"
)

// gemmSIMD computes the block of distances with AVX2: four rows by two
// vectors of columns per step of the micro-kernel, eight accumulators in
// registers. Columns are processed up to the next multiple of two vectors:
// the tile arena is tileSize wide, so the extra columns read stale values
// that the reducers never look at.
func gemmSIMD[T float](g *gemmState[T], y []T, dim, rows, n int) bool {
	if !simdOK {
		return false
	}
	if isFloat64[T]() {
		gemmBlock64(as64(g.splat), as64(y), as64(g.block), as64(g.xnorm), as64(g.ynorm), dim, rows, n)
	} else {
		gemmBlock32(as32(g.splat), as32(y), as32(g.block), as32(g.xnorm), as32(g.ynorm), dim, rows, n)
	}
	return true
}

func gemmBlock64(splat, y, block, xnorm, ynorm []float64, dim, rows, n int) {
	const l = 4
	cols := min(tileSize, (n+2*l-1)/(2*l)*(2*l))
	r := 0
	for ; r+4 <= rows; r += 4 {
		x0, x3 := splat[r*dim*l:], splat[(r+3)*dim*l:]
		for t := 0; t < cols; t += 2 * l {
			var a00, a01, a10, a11, a20, a21, a30, a31 archsimd.Float64x4
			_, _ = y[(dim-1)*tileSize+t+2*l-1], x3[dim*l-1]
			y0p, x0p := unsafe.Pointer(&y[t]), unsafe.Pointer(&x0[0])
			for k := 0; k < dim; k++ {
				// Offsets from the start: a pointer stepped past the last row
				// would point outside the buffer (invalid for Go's GC).
				py, px := unsafe.Add(y0p, k*int(unsafe.Sizeof(y[0]))*tileSize), unsafe.Add(x0p, k*int(unsafe.Sizeof(y[0]))*l)
				y0 := archsimd.LoadFloat64x4((*[4]float64)(py))
				y1 := archsimd.LoadFloat64x4((*[4]float64)(unsafe.Add(py, 8*l)))
				b := archsimd.LoadFloat64x4((*[4]float64)(px))
				a00 = b.MulAdd(y0, a00)
				a01 = b.MulAdd(y1, a01)
				b = archsimd.LoadFloat64x4((*[4]float64)(unsafe.Add(px, 8*l*dim)))
				a10 = b.MulAdd(y0, a10)
				a11 = b.MulAdd(y1, a11)
				b = archsimd.LoadFloat64x4((*[4]float64)(unsafe.Add(px, 2*8*l*dim)))
				a20 = b.MulAdd(y0, a20)
				a21 = b.MulAdd(y1, a21)
				b = archsimd.LoadFloat64x4((*[4]float64)(unsafe.Add(px, 3*8*l*dim)))
				a30 = b.MulAdd(y0, a30)
				a31 = b.MulAdd(y1, a31)
			}
			yn0, yn1 := archsimd.LoadFloat64x4Slice(ynorm[t:]), archsimd.LoadFloat64x4Slice(ynorm[t+l:])
			finish64(block[r*tileSize+t:], a00, a01, yn0, yn1, xnorm[r:])
			finish64(block[(r+1)*tileSize+t:], a10, a11, yn0, yn1, xnorm[r+1:])
			finish64(block[(r+2)*tileSize+t:], a20, a21, yn0, yn1, xnorm[r+2:])
			finish64(block[(r+3)*tileSize+t:], a30, a31, yn0, yn1, xnorm[r+3:])
		}
	}
	for ; r < rows; r++ {
		x0 := splat[r*dim*l:]
		for t := 0; t < cols; t += 2 * l {
			var a00, a01 archsimd.Float64x4
			for k := 0; k < dim; k++ {
				b := archsimd.LoadFloat64x4Slice(x0[k*l:])
				a00 = b.MulAdd(archsimd.LoadFloat64x4Slice(y[k*tileSize+t:]), a00)
				a01 = b.MulAdd(archsimd.LoadFloat64x4Slice(y[k*tileSize+t+l:]), a01)
			}
			yn0, yn1 := archsimd.LoadFloat64x4Slice(ynorm[t:]), archsimd.LoadFloat64x4Slice(ynorm[t+l:])
			finish64(block[r*tileSize+t:], a00, a01, yn0, yn1, xnorm[r:])
		}
	}
	archsimd.ClearAVXUpperBits() // back to scalar code: avoid the AVX-SSE transition penalty
}

// finish64 stores max(0, |x|^2 + |y|^2 - 2 x.y) for two vectors of columns.
func finish64(out []float64, a0, a1, yn0, yn1 archsimd.Float64x4, xn []float64) {
	xb := archsimd.LoadFloat64x2Slice(xn).Broadcast1To4()
	m2, zero := archsimd.BroadcastFloat64x4(-2), archsimd.Float64x4{}
	a0.MulAdd(m2, xb.Add(yn0)).Max(zero).StoreSlice(out)
	a1.MulAdd(m2, xb.Add(yn1)).Max(zero).StoreSlice(out[4:])
}

func gemmBlock32(splat, y, block, xnorm, ynorm []float32, dim, rows, n int) {
	const l = 8
	cols := min(tileSize, (n+2*l-1)/(2*l)*(2*l))
	r := 0
	for ; r+4 <= rows; r += 4 {
		x0, x3 := splat[r*dim*l:], splat[(r+3)*dim*l:]
		for t := 0; t < cols; t += 2 * l {
			var a00, a01, a10, a11, a20, a21, a30, a31 archsimd.Float32x8
			// Pointer walks instead of slicing keep bounds checks out of the
			// innermost loop; the slices above bound every address read.
			_, _ = y[(dim-1)*tileSize+t+2*l-1], x3[dim*l-1]
			y0p, x0p := unsafe.Pointer(&y[t]), unsafe.Pointer(&x0[0])
			for k := 0; k < dim; k++ {
				// Offsets from the start: a pointer stepped past the last row
				// would point outside the buffer (invalid for Go's GC).
				py, px := unsafe.Add(y0p, k*int(unsafe.Sizeof(y[0]))*tileSize), unsafe.Add(x0p, k*int(unsafe.Sizeof(y[0]))*l)
				y0 := archsimd.LoadFloat32x8((*[8]float32)(py))
				y1 := archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(py, 4*l)))
				b := archsimd.LoadFloat32x8((*[8]float32)(px))
				a00 = b.MulAdd(y0, a00)
				a01 = b.MulAdd(y1, a01)
				b = archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(px, 4*l*dim)))
				a10 = b.MulAdd(y0, a10)
				a11 = b.MulAdd(y1, a11)
				b = archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(px, 2*4*l*dim)))
				a20 = b.MulAdd(y0, a20)
				a21 = b.MulAdd(y1, a21)
				b = archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(px, 3*4*l*dim)))
				a30 = b.MulAdd(y0, a30)
				a31 = b.MulAdd(y1, a31)
			}
			yn0, yn1 := archsimd.LoadFloat32x8Slice(ynorm[t:]), archsimd.LoadFloat32x8Slice(ynorm[t+l:])
			finish32(block[r*tileSize+t:], a00, a01, yn0, yn1, xnorm[r:])
			finish32(block[(r+1)*tileSize+t:], a10, a11, yn0, yn1, xnorm[r+1:])
			finish32(block[(r+2)*tileSize+t:], a20, a21, yn0, yn1, xnorm[r+2:])
			finish32(block[(r+3)*tileSize+t:], a30, a31, yn0, yn1, xnorm[r+3:])
		}
	}
	for ; r < rows; r++ {
		x0 := splat[r*dim*l:]
		for t := 0; t < cols; t += 2 * l {
			var a00, a01 archsimd.Float32x8
			for k := 0; k < dim; k++ {
				b := archsimd.LoadFloat32x8Slice(x0[k*l:])
				a00 = b.MulAdd(archsimd.LoadFloat32x8Slice(y[k*tileSize+t:]), a00)
				a01 = b.MulAdd(archsimd.LoadFloat32x8Slice(y[k*tileSize+t+l:]), a01)
			}
			yn0, yn1 := archsimd.LoadFloat32x8Slice(ynorm[t:]), archsimd.LoadFloat32x8Slice(ynorm[t+l:])
			finish32(block[r*tileSize+t:], a00, a01, yn0, yn1, xnorm[r:])
		}
	}
	archsimd.ClearAVXUpperBits() // back to scalar code: avoid the AVX-SSE transition penalty
}

func finish32(out []float32, a0, a1, yn0, yn1 archsimd.Float32x8, xn []float32) {
	xb := archsimd.LoadFloat32x4Slice(xn).Broadcast1To8()
	m2, zero := archsimd.BroadcastFloat32x8(-2), archsimd.Float32x8{}
	a0.MulAdd(m2, xb.Add(yn0)).Max(zero).StoreSlice(out)
	a1.MulAdd(m2, xb.Add(yn1)).Max(zero).StoreSlice(out[8:])
}
