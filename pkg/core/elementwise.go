package core

import (
	"unsafe"

	"github.com/gokeops/gokeops/pkg/formula"
)

// The elementwise primitives run generated kernels (kernels_*_gen*.go, made
// by internal/kerngen): one function per primitive, argument shape and
// element type, in a SIMD flavour (AVX2+FMA, GOEXPERIMENT=simd on amd64)
// and a portable one. The generic entry points below pick the float64 or
// float32 set; the generated dispatchers pick the primitive.

const errNoKernel = "core: no elementwise kernel for this primitive and arity"

// unaryTile applies a one-argument elementwise primitive: dst[t] = f(x[t]).
func unaryTile[T float](p formula.Prim, ints []int, dst, x []T) {
	if isFloat64[T]() {
		unaryF64(p, ints, as64(dst), as64(x))
		return
	}
	unaryF32(p, ints, as32(dst), as32(x))
}

// binaryTile applies a two-argument elementwise primitive; x or y may have
// length 1 (a per-row value broadcast over the tile).
func binaryTile[T float](p formula.Prim, dst, x, y []T) {
	switch {
	case len(x) == 1 && len(dst) > 1:
		binarySV(p, dst, x[0], y)
	case len(y) == 1 && len(dst) > 1:
		binaryVS(p, dst, x, y[0])
	default:
		binaryVV(p, dst, x, y)
	}
}

// binaryVV is dst[t] = p(x[t], y[t]).
func binaryVV[T float](p formula.Prim, dst, x, y []T) {
	if isFloat64[T]() {
		binaryVVF64(p, as64(dst), as64(x), as64(y))
		return
	}
	binaryVVF32(p, as32(dst), as32(x), as32(y))
}

// binaryVS is dst[t] = p(x[t], y).
func binaryVS[T float](p formula.Prim, dst, x []T, y T) {
	if isFloat64[T]() {
		binaryVSF64(p, as64(dst), as64(x), float64(y))
		return
	}
	binaryVSF32(p, as32(dst), as32(x), float32(y))
}

// binarySV is dst[t] = p(x, y[t]).
func binarySV[T float](p formula.Prim, dst []T, x T, y []T) {
	if isFloat64[T]() {
		binarySVF64(p, as64(dst), float64(x), as64(y))
		return
	}
	binarySVF32(p, as32(dst), float32(x), as32(y))
}

// ternaryTile applies a three-argument elementwise primitive, any argument
// possibly of length 1.
func ternaryTile[T float](p formula.Prim, dst, x, y, z []T) {
	if isFloat64[T]() {
		ternaryF64(p, as64(dst), as64(x), as64(y), as64(z))
		return
	}
	ternaryF32(p, as32(dst), as32(x), as32(y), as32(z))
}

// expSlice is
//
//	for t := range dst { dst[t] = exp(x[t]) }
//
// (dst and x may be the same slice).
func expSlice[T float](dst, x []T) {
	if isFloat64[T]() {
		expF64(as64(dst), as64(x))
		return
	}
	expF32(as32(dst), as32(x))
}

// as64 and as32 view a []T as the slice of its actual element type, the
// same memory: a conversion through an interface would allocate.

func as64[T float](x []T) []float64 {
	return unsafe.Slice((*float64)(unsafe.Pointer(unsafe.SliceData(x))), len(x))
}

func as32[T float](x []T) []float32 {
	return unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(x))), len(x))
}
