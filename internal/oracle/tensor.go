package oracle

import "github.com/gokeops/gokeops/pkg/formula"

// tensor evaluates the linear algebra ops (row-major); nil if c is not one.
func tensor(c *formula.Call, x [][]float64) []float64 {
	switch c.Op {
	case formula.OpMatVecMult: // A is n×p, b has p values
		a, b := x[0], x[1]
		p := len(b)
		out := make([]float64, len(a)/p)
		for i := range out {
			for k := range p {
				out[i] += a[i*p+k] * b[k]
			}
		}
		return out
	case formula.OpVecMatMult: // b has n values, A is n×p
		b, a := x[0], x[1]
		n := len(b)
		out := make([]float64, len(a)/n)
		for i := range out {
			for k := range n {
				out[i] += b[k] * a[k*len(out)+i]
			}
		}
		return out
	case formula.OpTensorProd:
		a, b := x[0], x[1]
		out := make([]float64, 0, len(a)*len(b))
		for _, u := range a {
			for _, v := range b {
				out = append(out, u*v)
			}
		}
		return out
	case formula.OpTensorDot:
		var perm []int
		if len(c.Lists) > 4 {
			perm = c.Lists[4]
		}
		return tensorDot(x[0], x[1], c.Lists[0], c.Lists[1], c.Lists[2], c.Lists[3], perm)
	case formula.OpKron:
		return kron(x[0], x[1], c.Lists[0], c.Lists[1])
	}
	return nil
}

// each calls f with every multi-index of shape, in C order.
func each(shape []int, f func(idx []int)) {
	idx := make([]int, len(shape))
	for {
		f(idx)
		k := len(shape) - 1
		for ; k >= 0; k-- {
			if idx[k]++; idx[k] < shape[k] {
				break
			}
			idx[k] = 0
		}
		if k < 0 {
			return
		}
	}
}

// flat is the C-order offset of idx in shape.
func flat(idx, shape []int) int {
	o := 0
	for k, i := range idx {
		o = o*shape[k] + i
	}
	return o
}

func contains(xs []int, x int) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// tensorDot is numpy.tensordot(A.reshape(da), B.reshape(db), axes=(ca, cb))
// flattened in C order, with kept axis d moved to position perm[d] (nil:
// no move), i.e. np.transpose(T, np.argsort(perm)).
func tensorDot(a, b []float64, da, db, ca, cb, perm []int) []float64 {
	var keptA, keptB, shape, cshape []int
	for ax := range da {
		if !contains(ca, ax) {
			keptA = append(keptA, ax)
			shape = append(shape, da[ax])
		}
	}
	for ax := range db {
		if !contains(cb, ax) {
			keptB = append(keptB, ax)
			shape = append(shape, db[ax])
		}
	}
	for _, ax := range ca {
		cshape = append(cshape, da[ax])
	}
	if perm == nil {
		for d := range shape {
			perm = append(perm, d)
		}
	}
	oshape := make([]int, len(shape))
	for d, p := range perm {
		oshape[p] = shape[d]
	}
	size := 1
	for _, s := range shape {
		size *= s
	}
	out := make([]float64, size)
	ia, ib, io := make([]int, len(da)), make([]int, len(db)), make([]int, len(shape))
	each(shape, func(idx []int) {
		for i, ax := range keptA {
			ia[ax] = idx[i]
		}
		for i, ax := range keptB {
			ib[ax] = idx[len(keptA)+i]
		}
		s := 0.0
		each(cshape, func(cidx []int) {
			for j := range ca {
				ia[ca[j]], ib[cb[j]] = cidx[j], cidx[j]
			}
			s += a[flat(ia, da)] * b[flat(ib, db)]
		})
		for d, p := range perm {
			io[p] = idx[d]
		}
		out[flat(io, oshape)] = s
	})
	return out
}

// kron is np.kron(A.reshape(da), B.reshape(db)).ravel().
func kron(a, b []float64, da, db []int) []float64 {
	shape := make([]int, len(da))
	for k := range da {
		shape[k] = da[k] * db[k]
	}
	out := make([]float64, len(a)*len(b))
	io := make([]int, len(da))
	each(da, func(ia []int) {
		each(db, func(ib []int) {
			for k := range io {
				io[k] = ia[k]*db[k] + ib[k]
			}
			out[flat(io, shape)] = a[flat(ia, da)] * b[flat(ib, db)]
		})
	})
	return out
}
