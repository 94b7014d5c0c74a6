package core

import "github.com/gokeops/gokeops/pkg/formula"

// term is one product of a contraction: dst[out] += A[ia] * B[ib].
type term struct{ out, ia, ib int32 }

// contractionTerms lists the products of MatVecMult, VecMatMult, TensorProd
// and TensorDot, computed once at plan time so that every such primitive
// runs as one loop over its terms.
func contractionTerms(p formula.Prim, da, db int, lists [][]int) []term {
	var ts []term
	switch p {
	case formula.PrimMatVecMult: // A is (n, q) row-major, b is (q)
		q := db
		for i := 0; i < da/q; i++ {
			for k := 0; k < q; k++ {
				ts = append(ts, term{int32(i), int32(i*q + k), int32(k)})
			}
		}
	case formula.PrimVecMatMult: // b is (n), A is (n, q): arguments (b, A)
		n, q := da, db/da
		for i := 0; i < q; i++ {
			for k := 0; k < n; k++ {
				ts = append(ts, term{int32(i), int32(k), int32(k*q + i)})
			}
		}
	case formula.PrimTensorProd:
		for k := 0; k < da; k++ {
			for l := 0; l < db; l++ {
				ts = append(ts, term{int32(k*db + l), int32(k), int32(l)})
			}
		}
	case formula.PrimTensorDot:
		ts = tensorDotTerms(lists)
	}
	return ts
}

// tensorDotTerms follows numpy.tensordot(A.reshape(da), B.reshape(db),
// axes=(ca, cb)) flattened in C order, then moves kept axis d to output
// position permute[d].
func tensorDotTerms(lists [][]int) []term {
	da, db, ca, cb := lists[0], lists[1], lists[2], lists[3]
	isC := func(axes []int, k int) bool {
		for _, a := range axes {
			if a == k {
				return true
			}
		}
		return false
	}
	var keepA, keepB []int
	for k := range da {
		if !isC(ca, k) {
			keepA = append(keepA, k)
		}
	}
	for k := range db {
		if !isC(cb, k) {
			keepB = append(keepB, k)
		}
	}
	// Output axes, in tensordot order: A's kept axes then B's.
	var outShape []int
	for _, k := range keepA {
		outShape = append(outShape, da[k])
	}
	for _, k := range keepB {
		outShape = append(outShape, db[k])
	}
	perm := identity(len(outShape))
	if len(lists) > 4 && len(lists[4]) == len(outShape) {
		perm = lists[4]
	}
	// Final shape: kept axis d sits at position perm[d].
	finalShape := make([]int, len(outShape))
	for d, p := range perm {
		finalShape[p] = outShape[d]
	}
	cShape := make([]int, len(ca))
	for k, a := range ca {
		cShape[k] = da[a]
	}
	var ts []term
	idxA, idxB := make([]int, len(da)), make([]int, len(db))
	forEachIndex(outShape, func(o []int) {
		for k, a := range keepA {
			idxA[a] = o[k]
		}
		for k, b := range keepB {
			idxB[b] = o[len(keepA)+k]
		}
		fo := make([]int, len(o))
		for d, p := range perm {
			fo[p] = o[d]
		}
		out := flatIndex(finalShape, fo)
		forEachIndex(cShape, func(c []int) {
			for k := range ca {
				idxA[ca[k]] = c[k]
				idxB[cb[k]] = c[k]
			}
			ts = append(ts, term{int32(out), int32(flatIndex(da, idxA)), int32(flatIndex(db, idxB))})
		})
	})
	return ts
}

func identity(n int) []int {
	p := make([]int, n)
	for k := range p {
		p[k] = k
	}
	return p
}

// forEachIndex calls f with every multi-index of shape, in C order.
func forEachIndex(shape []int, f func([]int)) {
	idx := make([]int, len(shape))
	for _, s := range shape {
		if s == 0 {
			return
		}
	}
	for {
		f(idx)
		k := len(shape) - 1
		for ; k >= 0; k-- {
			idx[k]++
			if idx[k] < shape[k] {
				break
			}
			idx[k] = 0
		}
		if k < 0 {
			return
		}
	}
}

func flatIndex(shape, idx []int) int {
	f := 0
	for k, s := range shape {
		f = f*s + idx[k]
	}
	return f
}

// contract runs a contraction primitive from its precomputed terms.
func contract[T float](in *instr, dst vec[T], a []vec[T]) {
	for k := 0; k < in.dim; k++ {
		zeroCol(dst.col(k))
	}
	x, y := a[0], a[1]
	for _, tm := range in.terms {
		out := dst.col(int(tm.out))
		xa, yb := x.col(int(tm.ia)), y.col(int(tm.ib))
		for t := range out {
			out[t] += xa[min(t, len(xa)-1)] * yb[min(t, len(yb)-1)]
		}
	}
}
