package cudagen

import "github.com/gokeops/gokeops/pkg/formula"

// ArgOffsets is the offs table of the 1D and 2D kernels: offs[b*nargs+a] is
// where batch b of argument a starts (in values), for arguments laid out
// (batch..., rows, dim) in C order with their own batch shapes argBatch[a]
// (entries 1: broadcast, or those of batch). m and n are the rows of the
// i and j variables.
func ArgOffsets(sig formula.Signature, batch []int, argBatch [][]int, m, n int) []int64 {
	nb := 1
	for _, b := range batch {
		nb *= b
	}
	offs := make([]int64, nb*len(sig))
	for a, v := range sig {
		rows := 1
		switch v.Cat {
		case formula.CatI:
			rows = m
		case formula.CatJ:
			rows = n
		}
		size := v.Dim * rows
		for b := 0; b < nb; b++ {
			// Walk the batch index from the last axis, skipping broadcast ones.
			rem, off, stride := b, 0, size
			for t := len(batch) - 1; t >= 0; t-- {
				i := rem % batch[t]
				rem /= batch[t]
				if argBatch[a][t] > 1 {
					off += i * stride
				}
				stride *= argBatch[a][t]
			}
			offs[b*len(sig)+a] = int64(off)
		}
	}
	return offs
}

// RangeItems is the items table of the block-sparse kernel for outer rows
// cut by ranges (flattened [start, end) pairs), slices (cumulative ends
// into red) and red (the reduced intervals): 4 values (r0, r1, s0, s1) per
// item of at most block rows, then red itself. A row held by several
// blocks keeps the result of the last one, as in KeOps' loop over blocks
// and in the CPU engine: it goes to its last block only. Rows of no block
// get items without spans, so that they are written (with the reduction's
// empty result) like every other row.
func RangeItems(outer int, ranges, slices, red []int64, block int) (items []int64, nitems int) {
	owner := make([]int32, outer) // 1 + the last block holding the row; 0: none
	for b := range slices {
		for row := ranges[2*b]; row < ranges[2*b+1]; row++ {
			owner[row] = int32(b + 1)
		}
	}
	for r0 := 0; r0 < outer; {
		o := owner[r0]
		r1 := r0 + 1
		for r1 < outer && r1-r0 < block && owner[r1] == o {
			r1++
		}
		s0, s1 := int64(0), int64(0)
		if o > 0 {
			b := int(o - 1)
			s1 = slices[b]
			if b > 0 {
				s0 = slices[b-1]
			}
		}
		items = append(items, int64(r0), int64(r1), s0, s1)
		r0 = r1
	}
	nitems = len(items) / 4
	return append(items, red...), nitems
}
