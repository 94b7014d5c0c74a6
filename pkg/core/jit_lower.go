//go:build goexperiment.simd && amd64 && linux

package core

import (
	"math"
	"slices"

	"github.com/gokeops/gokeops/pkg/core/internal/x86"
	"github.com/gokeops/gokeops/pkg/formula"
)

// The compiled pair loop (see docs/jit.md): the pair level of a program and
// its Sum update become one loop over the vectors of a tile's columns, for
// jitRows output rows at a time. This file lowers the program to a graph of
// vector operations (jnode); jit_gen.go allocates registers and writes the
// machine code; jit_run.go calls it from the frame.

// jop is an operation on one vector of lanes (4 float64s or 8 float32s).
type jop uint8

const (
	jLeaf    jop = iota // a vector in memory: a tile column, an invariant, a constant
	jAdd                // a + b
	jSub                // a - b
	jMul                // a * b
	jDiv                // a / b
	jMax                // vmax a, b (b where either is NaN)
	jMin                // vmin a, b
	jAnd                // a & b
	jAndN               // ^a & b
	jOr                 // a | b
	jXor                // a ^ b
	jSqrt               // sqrt(a)
	jRound              // round(a) by the mode imm
	jCmp                // the mask of a imm b
	jBlend              // c ? b : a, by the mask c
	jFMA                // a*b + c, rounded once
	jIAdd               // a + b on the integer lanes of the element width
	jShl                // a << imm on the integer lanes of the element width
	jShr                // a >> imm (logical) on the integer lanes
	jISub               // a - b on the integer lanes
	jCvtI2F             // int32 lanes to float32 (float32 code only)
	jWidenLo            // float32 lanes 0-3 of a as float64s (float32 code only)
	jWidenHi            // float32 lanes 4-7 of a as float64s
	jNarrow             // float64s a (lanes 0-3) and b (4-7) rounded to float32
	// jExpFix is exp's result a for the lanes of x = b in the fast range,
	// and p*2^(k/2)*2^(k-k/2) (p = c, k = d) for the others: those are
	// computed only when some lane needs them, behind a branch.
	jExpFix
)

// jmem is where a leaf lives: base register plus displacement, plus the
// column offset of the loop (RAX) for tile columns.
type jmem struct {
	base    x86.Reg
	disp    int32
	indexed bool
}

// jnode is one vector value of the loop body.
type jnode struct {
	op   jop
	wide bool // float64 lanes in float32 code (see widen)
	n    int8 // arguments
	imm  byte
	args [4]int32
	mem  jmem
}

// Registers of the generated code. RDI holds the jitBlock, RSI the tile,
// RDX the constant pool, R10 the scratch area (tail mask, lane sums,
// invariants, spills), R9 the stored values (store mode), RAX the byte
// offset of the current vector, RCX the end of the full vectors; R8 is the
// prologue's temporary, R11 the exp fix's lane mask.
const (
	regBlk     = x86.RDI
	regTile    = x86.RSI
	regConst   = x86.RDX
	regScratch = x86.R10
	regIdx     = x86.RAX
	regEnd     = x86.RCX
	regTmp     = x86.R8
	regStore   = x86.R9
)

// jitRows is the most output rows one pass of the loop computes: they share
// each load of the tile's columns and of the constants. A pair level of
// more than jitCheapOps operations per row takes jitCostlyRows: its
// registers go to its own values (an exp alone keeps a dozen live).
const (
	jitRows       = 4
	jitCostlyRows = 2
	jitCheapOps   = 24
)

// invariant is a per-row or per-call scalar the prologue broadcasts into
// the scratch area: parm value off (row < 0) or outer value off of row.
type invariant struct {
	row int
	off int
}

// jbuilder lowers a program into nodes, sharing identical ones.
type jbuilder struct {
	p      *program
	f64    bool
	nodes  []jnode
	memo   map[jnode]int32
	consts []ckey // bit patterns of the constant pool, one vector each
	cmemo  map[ckey]int32
	invs   []invariant
	imemo  map[invariant]int32
	esize  int
	lanes  int
	failed bool
	wide   bool // making float64 nodes in float32 code
	// deopts are masks of lanes the loop cannot compute as the
	// interpreter does: a call with one of them set is redone there.
	deopts []int32
}

func newJBuilder(p *program, f64 bool) *jbuilder {
	b := &jbuilder{p: p, f64: f64, memo: map[jnode]int32{}, cmemo: map[ckey]int32{}, imemo: map[invariant]int32{}, esize: 4, lanes: 8}
	if f64 {
		b.esize, b.lanes = 8, 4
	}
	return b
}

// ckey is a constant of the pool: float64 lanes when wide in float32 code.
type ckey struct {
	u    uint64
	wide bool
}

func (b *jbuilder) add(n jnode) int32 {
	if n.op != jLeaf {
		n.wide = b.wide
	}
	if id, ok := b.memo[n]; ok {
		return id
	}
	b.nodes = append(b.nodes, n)
	id := int32(len(b.nodes) - 1)
	b.memo[n] = id
	return id
}

func (b *jbuilder) leaf(m jmem) int32 { return b.add(jnode{op: jLeaf, mem: m}) }

// bits is the constant vector with every lane of the given bit pattern
// (the low 32 bits for float32 lanes).
func (b *jbuilder) bits(u uint64) int32 {
	if !b.f64 {
		u &= 0xffffffff
	}
	key := ckey{u: u, wide: b.wide}
	id, ok := b.cmemo[key]
	if !ok {
		id = int32(len(b.consts))
		b.consts = append(b.consts, key)
		b.cmemo[key] = id
	}
	return b.leaf(jmem{base: regConst, disp: id * 32})
}

// c32 is the float32 constant v (for float32 code only: constants given
// as untyped literals round once, to float32, as in expF32x8).
func (b *jbuilder) c32(v float32) int32 { return b.bits(uint64(math.Float32bits(v))) }

// c is the constant v, rounded to the element type.
func (b *jbuilder) c(v float64) int32 {
	if b.f64 {
		return b.bits(math.Float64bits(v))
	}
	return b.bits(uint64(math.Float32bits(float32(v))))
}

func (b *jbuilder) op1(op jop, x int32, imm byte) int32 {
	return b.add(jnode{op: op, n: 1, imm: imm, args: [4]int32{x}})
}
func (b *jbuilder) op2(op jop, x, y int32) int32 {
	return b.add(jnode{op: op, n: 2, args: [4]int32{x, y}})
}
func (b *jbuilder) cmp(x, y int32, pred byte) int32 {
	return b.add(jnode{op: jCmp, n: 2, imm: pred, args: [4]int32{x, y}})
}

// pick is m ? x : y.
func (b *jbuilder) pick(m, x, y int32) int32 {
	return b.add(jnode{op: jBlend, n: 3, args: [4]int32{y, x, m}})
}

// fma is x*y + z.
func (b *jbuilder) fma(x, y, z int32) int32 {
	return b.add(jnode{op: jFMA, n: 3, args: [4]int32{x, y, z}})
}

func (b *jbuilder) signMask() int32 {
	if b.f64 {
		return b.bits(1 << 63)
	}
	return b.bits(1 << 31)
}

// inv is the scratch vector of an invariant.
func (b *jbuilder) inv(v invariant) int32 {
	id, ok := b.imemo[v]
	if !ok {
		id = int32(len(b.invs))
		b.invs = append(b.invs, v)
		b.imemo[v] = id
	}
	return b.leaf(jmem{base: regScratch, disp: -1 - id}) // placed by the generator
}

// comp is component k of slot s for row q.
func (b *jbuilder) comp(vals [][]int32, q, s, k int) int32 {
	sl := b.p.slots[s]
	switch sl.level {
	case levelParm:
		return b.inv(invariant{row: -1, off: sl.off + k})
	case levelOuter:
		return b.inv(invariant{row: q, off: sl.off + k})
	case levelTile:
		return b.leaf(jmem{base: regTile, disp: int32((sl.off + k) * tileSize * b.esize), indexed: true})
	}
	return vals[s][k]
}

// ops is the number of operations made so far.
func (b *jbuilder) ops() int {
	n := 0
	for _, nd := range b.nodes {
		if nd.op != jLeaf {
			n++
		}
	}
	return n
}

// lowerRow lowers the pair level for row q: the values of every pair slot.
// On the first primitive it does not cover it sets b.failed and returns nil.
func (b *jbuilder) lowerRow(q int) [][]int32 {
	vals := make([][]int32, len(b.p.slots))
	for i := range b.p.instrs[levelPair] {
		in := &b.p.instrs[levelPair][i]
		arg := func(a, k int) int32 {
			if b.p.slots[in.args[a]].dim == 1 { // the {1, D} broadcast
				k = 0
			}
			return b.comp(vals, q, in.args[a], k)
		}
		out := make([]int32, in.dim)
		switch {
		case in.fused != profileNone:
			out[0] = b.radial(in, arg)
		case in.prim == formula.PrimNone:
			for k := range out {
				out[k] = arg(0, k)
			}
		case in.prim.Elementwise():
			for k := range out {
				var a [3]int32
				for j := range in.args {
					a[j] = arg(j, k)
				}
				out[k] = b.elementwise(in, a)
			}
		default:
			b.vector(in, out, arg)
		}
		if b.failed {
			return nil
		}
		vals[in.dst] = out
	}
	return vals
}

// radial is a fused kernel: profile(s*|x-y|^2 [+ w]).
func (b *jbuilder) radial(in *instr, arg func(a, k int) int32) int32 {
	var d int32
	for k := 0; k < in.argDims[0]; k++ {
		diff := b.op2(jSub, arg(0, k), arg(1, k))
		sq := b.op2(jMul, diff, diff)
		if k == 0 {
			d = sq
		} else {
			d = b.op2(jAdd, d, sq)
		}
	}
	s := arg(2, 0)
	switch in.fused {
	case profileExp:
		return b.exp(b.op2(jMul, s, d))
	case profileExpSqrt:
		return b.exp(b.op2(jMul, s, b.op1(jSqrt, d, 0)))
	case profileCauchy:
		return b.op2(jDiv, b.c(1), b.op2(jAdd, b.c(1), b.op2(jMul, s, d)))
	}
	return b.op2(jAdd, b.op2(jMul, s, d), arg(3, 0))
}

func (b *jbuilder) elementwise(in *instr, a [3]int32) int32 {
	x := a[0]
	zero, one := b.c(0), b.c(1)
	switch in.prim {
	case formula.PrimMinus:
		return b.op2(jXor, x, b.signMask())
	case formula.PrimInv:
		return b.op2(jDiv, one, x)
	case formula.PrimExp:
		return b.exp(x)
	case formula.PrimLog:
		return b.log(x)
	case formula.PrimPow:
		n := in.ints[0]
		return b.widen(func(a ...int32) int32 { return b.pow(a[0], n) }, x)
	case formula.PrimSin, formula.PrimCos:
		cos := in.prim == formula.PrimCos
		return b.widen(func(a ...int32) int32 { return b.trig(a[0], cos) }, x)
	case formula.PrimSinXDivX:
		sin := b.widen(func(a ...int32) int32 { return b.trig(a[0], false) }, x)
		return b.pick(b.cmp(x, zero, x86.CmpEQ), one, b.op2(jDiv, sin, x))
	case formula.PrimAtan:
		return b.widen(func(a ...int32) int32 { return b.atan(a[0]) }, x)
	case formula.PrimAsin:
		return b.widen(func(a ...int32) int32 { return b.asin(a[0]) }, x)
	case formula.PrimAcos:
		return b.widen(func(a ...int32) int32 { return b.acos(a[0]) }, x)
	case formula.PrimAtan2:
		return b.widen(func(a ...int32) int32 { return b.atan2(a[0], a[1]) }, x, a[1])
	case formula.PrimXLogX:
		return b.pick(b.cmp(x, zero, x86.CmpEQ), zero, b.op2(jMul, x, b.log(x)))
	case formula.PrimRound:
		// roundScaledF64x4: roundF64x4(x*s)/s, half away from zero (in
		// float64 for float32 data too).
		d := in.ints[0]
		return b.widen(func(a ...int32) int32 {
			sc, one := b.c(math.Pow(10, float64(d))), b.c(1)
			xs := b.op2(jMul, a[0], sc)
			t := b.op1(jRound, xs, x86.RoundTrunc)
			frac := b.op2(jAndN, b.signMask(), b.op2(jSub, xs, t))
			step := b.op2(jOr, one, b.op2(jAnd, xs, b.signMask()))
			r := b.pick(b.cmp(frac, b.c(0.5), x86.CmpGE), b.op2(jAdd, t, step), t)
			return b.op2(jDiv, r, sc)
		}, x)
	case formula.PrimMod:
		// modF64x4: x - n*floor((x-o)/n), in float64 for float32 data too.
		return b.widen(func(a ...int32) int32 {
			x, n, o := a[0], a[1], a[2]
			return b.op2(jSub, x, b.op2(jMul, n, b.op1(jRound, b.op2(jDiv, b.op2(jSub, x, o), n), x86.RoundFloor)))
		}, x, a[1], a[2])
	case formula.PrimSqrt:
		return b.op1(jSqrt, x, 0)
	case formula.PrimRsqrt:
		return b.pick(b.cmp(x, zero, x86.CmpEQ), zero, b.op2(jDiv, one, b.op1(jSqrt, x, 0)))
	case formula.PrimSquare:
		return b.op2(jMul, x, x)
	case formula.PrimAbs:
		return b.op2(jAndN, b.signMask(), x)
	case formula.PrimSign:
		return b.pick(b.cmp(x, zero, x86.CmpGT), one, b.pick(b.cmp(x, zero, x86.CmpLT), b.c(-1), zero))
	case formula.PrimStep:
		return b.pick(b.cmp(x, zero, x86.CmpLT), zero, one)
	case formula.PrimReLU:
		return b.pick(b.cmp(x, zero, x86.CmpLT), zero, x)
	case formula.PrimFloor:
		return b.op1(jRound, x, x86.RoundFloor)
	case formula.PrimClampInt:
		lo, hi := b.c(float64(in.ints[0])), b.c(float64(in.ints[1]))
		return b.pick(b.cmp(x, lo, x86.CmpLT), lo, b.pick(b.cmp(x, hi, x86.CmpGT), hi, x))
	case formula.PrimDiffClampInt:
		lo, hi := b.c(float64(in.ints[0])), b.c(float64(in.ints[1]))
		out := b.op2(jOr, b.cmp(x, lo, x86.CmpLT), b.cmp(x, hi, x86.CmpGT))
		return b.pick(out, zero, one)
	case formula.PrimAdd:
		return b.op2(jAdd, x, a[1])
	case formula.PrimSubtract:
		return b.op2(jSub, x, a[1])
	case formula.PrimMult:
		return b.op2(jMul, x, a[1])
	case formula.PrimDivide:
		return b.op2(jDiv, x, a[1])
	case formula.PrimEqual:
		return b.pick(b.cmp(x, a[1], x86.CmpEQ), one, zero)
	case formula.PrimNotEqual:
		return b.pick(b.cmp(x, a[1], x86.CmpNEQ), one, zero)
	case formula.PrimLessThan:
		return b.pick(b.cmp(x, a[1], x86.CmpLT), one, zero)
	case formula.PrimLessOrEqual:
		return b.pick(b.cmp(x, a[1], x86.CmpLE), one, zero)
	case formula.PrimClamp:
		return b.pick(b.cmp(x, a[1], x86.CmpLT), a[1], b.pick(b.cmp(x, a[2], x86.CmpGT), a[2], x))
	case formula.PrimIfElse:
		return b.pick(b.cmp(x, zero, x86.CmpGE), a[1], a[2])
	}
	b.failed = true
	return 0
}

func (b *jbuilder) vector(in *instr, out []int32, arg func(a, k int) int32) {
	dims := in.argDims
	switch in.prim {
	case formula.PrimSum:
		s := arg(0, 0)
		for k := 1; k < dims[0]; k++ {
			s = b.op2(jAdd, s, arg(0, k))
		}
		out[0] = s
	case formula.PrimSqNorm2, formula.PrimScalprod, formula.PrimSqDist:
		// The interpreter adds the terms to a zero: 0 + -0 is +0, which
		// matters for the products of Scalprod only.
		s := b.c(0)
		for k := 0; k < max(dims[0], dims[len(dims)-1]); k++ {
			var t int32
			switch in.prim {
			case formula.PrimSqNorm2:
				t = b.op2(jMul, arg(0, k), arg(0, k))
			case formula.PrimScalprod:
				t = b.op2(jMul, arg(0, k), arg(1, k))
			default:
				d := b.op2(jSub, arg(0, min(k, dims[0]-1)), arg(1, min(k, dims[1]-1)))
				t = b.op2(jMul, d, d)
			}
			if k == 0 && in.prim != formula.PrimScalprod {
				s = t
			} else {
				s = b.op2(jAdd, s, t)
			}
		}
		out[0] = s
	case formula.PrimMatVecMult, formula.PrimVecMatMult, formula.PrimTensorProd, formula.PrimTensorDot:
		// contract: each output a zero plus its products, in term order.
		for k := range out {
			out[k] = b.c(0)
		}
		for _, tm := range in.terms {
			out[tm.out] = b.op2(jAdd, out[tm.out], b.op2(jMul, arg(0, int(tm.ia)), arg(1, int(tm.ib))))
		}
	case formula.PrimOneHot:
		// 1 at index trunc(x + 0.5), computed in float64 as the interpreter
		// does; NaN and out of range indices match no component.
		for k := range out {
			out[k] = b.widen(func(a ...int32) int32 {
				hot := b.op1(jRound, b.op2(jAdd, a[0], b.c(0.5)), x86.RoundTrunc)
				return b.pick(b.cmp(hot, b.c(float64(k)), x86.CmpEQ), b.c(1), b.c(0))
			}, arg(0, 0))
		}
	case formula.PrimMax, formula.PrimMin, formula.PrimArgMax, formula.PrimArgMin:
		pred := byte(x86.CmpGT)
		if in.prim == formula.PrimMin || in.prim == formula.PrimArgMin {
			pred = x86.CmpLT
		}
		best, idx := arg(0, 0), b.c(0)
		for k := 1; k < dims[0]; k++ {
			v := arg(0, k)
			m := b.cmp(v, best, pred)
			best = b.pick(m, v, best)
			idx = b.pick(m, b.c(float64(k)), idx)
		}
		out[0] = best
		if in.prim == formula.PrimArgMax || in.prim == formula.PrimArgMin {
			out[0] = idx
		}
	case formula.PrimSumT:
		for k := range out {
			out[k] = arg(0, 0)
		}
	case formula.PrimComplexSumT:
		for k := range out {
			out[k] = arg(0, k%dims[0])
		}
	case formula.PrimElem:
		out[0] = arg(0, in.ints[0])
	case formula.PrimElemT:
		for k := range out {
			out[k] = b.c(0)
		}
		out[in.ints[1]] = arg(0, 0)
	case formula.PrimExtract:
		for k := range out {
			out[k] = arg(0, in.ints[0]+k)
		}
	case formula.PrimExtractT:
		for k := range out {
			if s := k - in.ints[0]; s >= 0 && s < dims[0] {
				out[k] = arg(0, s)
			} else {
				out[k] = b.c(0)
			}
		}
	case formula.PrimConcat:
		for k := range out {
			if k < dims[0] {
				out[k] = arg(0, k)
			} else {
				out[k] = arg(1, k-dims[0])
			}
		}
	default:
		b.complex(in, out, arg)
	}
}

// complex is complexPrim (special.go): float64 arithmetic, so float32
// code widens where rounding once per operation in float32 would differ.
func (b *jbuilder) complex(in *instr, out []int32, arg func(a, k int) int32) {
	d := in.argDims
	mul := func(x, y int32) int32 { return b.op2(jMul, x, y) }
	switch in.prim {
	case formula.PrimComplexReal, formula.PrimComplexImag:
		off := 0
		if in.prim == formula.PrimComplexImag {
			off = 1
		}
		for k := range out {
			out[k] = arg(0, 2*k+off)
		}
	case formula.PrimReal2Complex, formula.PrimImag2Complex:
		for k := 0; k < d[0]; k++ {
			re, im := arg(0, k), b.c(0)
			if in.prim == formula.PrimImag2Complex {
				re, im = im, re
			}
			out[2*k], out[2*k+1] = re, im
		}
	case formula.PrimConj:
		for k := 0; k < in.dim; k += 2 {
			out[k], out[k+1] = arg(0, k), b.op2(jXor, arg(0, k+1), b.signMask())
		}
	case formula.PrimComplexAdd, formula.PrimComplexSubtract, formula.PrimComplexMult:
		for k := 0; k < in.dim; k += 2 {
			ka, kb := k%d[0], k%d[1]
			ar, ai, br, bi := arg(0, ka), arg(0, ka+1), arg(1, kb), arg(1, kb+1)
			switch in.prim {
			case formula.PrimComplexAdd: // one rounding: float32 arithmetic agrees
				out[k], out[k+1] = b.op2(jAdd, ar, br), b.op2(jAdd, ai, bi)
			case formula.PrimComplexSubtract:
				out[k], out[k+1] = b.op2(jSub, ar, br), b.op2(jSub, ai, bi)
			default:
				out[k] = b.widen(func(a ...int32) int32 { return b.op2(jSub, mul(a[0], a[1]), mul(a[2], a[3])) }, ar, br, ai, bi)
				out[k+1] = b.widen(func(a ...int32) int32 { return b.op2(jAdd, mul(a[0], a[1]), mul(a[2], a[3])) }, ar, bi, ai, br)
			}
		}
	case formula.PrimComplexSquareAbs:
		for k := range out {
			out[k] = b.widen(func(a ...int32) int32 { return b.op2(jAdd, mul(a[0], a[0]), mul(a[1], a[1])) }, arg(0, 2*k), arg(0, 2*k+1))
		}
	case formula.PrimComplexSum:
		for part := 0; part < 2; part++ {
			var xs []int32
			for k := part; k < d[0]; k += 2 {
				xs = append(xs, arg(0, k))
			}
			out[part] = b.widen(func(a ...int32) int32 {
				s := b.c(0)
				for _, x := range a {
					s = b.op2(jAdd, s, x)
				}
				return s
			}, xs...)
		}
	case formula.PrimComplexRealScal:
		s, z := 0, 1
		if d[0] != 1 {
			s, z = 1, 0
		}
		for k := range out {
			out[k] = mul(arg(s, 0), arg(z, k)) // one rounding: float32 agrees
		}
	default:
		b.failed = true
	}
}

// exp is the engine's vector exp (expF64x4, expF32x8 of mathsimd_amd64.go),
// operation for operation, so that both give the same bits. The lanes
// beyond the fast range take the two-factor scaling and are blended in
// (always computed: the loop body has no branches).
func (b *jbuilder) exp(x int32) int32 {
	if b.f64 {
		xc := b.op2(jMin, b.op2(jMax, x, b.c(expMin64)), b.c(expMax64))
		k := b.op1(jRound, b.op2(jMul, xc, b.c(log2e)), x86.RoundNearest)
		r := b.fma(k, b.c(-ln2Hi), xc)
		r = b.fma(k, b.c(-ln2Lo), r)
		r2 := b.op2(jMul, r, r)
		r4 := b.op2(jMul, r2, r2)
		r8 := b.op2(jMul, r4, r4)
		q0 := b.op2(jAdd, r, b.c(1))
		q1 := b.fma(r, b.c(1.0/6), b.c(0.5))
		q2 := b.fma(r, b.c(1.0/120), b.c(1.0/24))
		q3 := b.fma(r, b.c(1.0/5040), b.c(1.0/720))
		q4 := b.fma(r, b.c(1.0/362880), b.c(1.0/40320))
		q5 := b.fma(r, b.c(1.0/39916800), b.c(1.0/3628800))
		q6 := b.fma(r, b.c(1.0/6227020800), b.c(1.0/479001600))
		s0 := b.fma(q1, r2, q0)
		s1 := b.fma(q3, r2, q2)
		s2 := b.fma(q5, r2, q4)
		u0 := b.fma(s1, r4, s0)
		u1 := b.fma(q6, r4, s2)
		p := b.fma(u1, r8, u0)
		res := b.op2(jIAdd, p, b.op1(jShl, b.op2(jAdd, k, b.c(magic64)), 52))
		res = b.expFix(res, x, p, k, -708, 708, magic64, bias64)
		return b.pick(b.cmp(x, x, x86.CmpUNORD), x, res)
	}
	xc := b.op2(jMin, b.op2(jMax, x, b.c32(expMin32)), b.c32(expMax32))
	k := b.op1(jRound, b.op2(jMul, xc, b.c32(log2e)), x86.RoundNearest)
	r := b.fma(k, b.c32(-ln2Hi32), xc)
	r = b.fma(k, b.c32(-ln2Lo32), r)
	p := b.fma(b.c32(1.0/5040), r, b.c32(1.0/720))
	p = b.fma(p, r, b.c32(1.0/120))
	p = b.fma(p, r, b.c32(1.0/24))
	p = b.fma(p, r, b.c32(1.0/6))
	p = b.fma(p, r, b.c32(0.5))
	p = b.fma(p, r, b.c32(1))
	p = b.fma(p, r, b.c32(1))
	res := b.op2(jIAdd, p, b.op1(jShl, b.op2(jAdd, k, b.c32(magic32)), 23))
	res = b.expFix(res, x, p, k, -87, 88, magic32, bias32)
	return b.pick(b.cmp(x, x, x86.CmpUNORD), x, res)
}

// expFix is the jExpFix node of exp's fast result res: lanes of x below lo
// or above hi take p * 2^k1 * 2^(k-k1), k1 = floor(k/2), each power of two
// made in the exponent bits (pow2F64x4, pow2F32x8). Its constants are
// made here so that the generator finds them in the pool.
func (b *jbuilder) expFix(res, x, p, k int32, lo, hi, magic float64, bias uint64) int32 {
	b.c(lo)
	b.c(hi)
	b.c(0.5)
	b.c(magic)
	b.bits(bias)
	return b.add(jnode{op: jExpFix, n: 4, args: [4]int32{res, x, p, k}})
}

// log is the engine's vector log (logF64x4, logF32x8 of vmath_amd64.go),
// operation for operation.
func (b *jbuilder) log(x int32) int32 {
	mul := func(x, y int32) int32 { return b.op2(jMul, x, y) }
	add := func(x, y int32) int32 { return b.op2(jAdd, x, y) }
	sub := func(x, y int32) int32 { return b.op2(jSub, x, y) }
	and := func(x, y int32) int32 { return b.op2(jAnd, x, y) }
	if b.f64 {
		c := b.c
		small0 := b.cmp(x, c(minNorm), x86.CmpLT)
		xs := b.pick(small0, mul(x, c(0x1p54)), x)
		e := and(b.op1(jShr, xs, 52), b.bits(0x7ff))
		f1 := b.op2(jOr, and(xs, b.bits(1<<52-1)), b.bits(0x3FE0000000000000))
		k := sub(b.op2(jOr, e, b.bits(0x4330000000000000)), c(magicExp+1022))
		k = sub(k, and(c(54), small0))
		small := b.cmp(f1, c(math.Sqrt2/2), x86.CmpLE)
		one := c(1)
		k = sub(k, and(one, small))
		f1 = b.pick(small, add(f1, f1), f1)
		f := sub(f1, one)
		s := b.op2(jDiv, f, add(c(2), f))
		s2 := mul(s, s)
		s4 := mul(s2, s2)
		t1 := mul(add(mul(add(mul(add(mul(s4, c(logL7)), c(logL5)), s4), c(logL3)), s4), c(logL1)), s2)
		t2 := mul(add(mul(add(mul(s4, c(logL6)), c(logL4)), s4), c(logL2)), s4)
		r := add(t1, t2)
		hfsq := mul(mul(c(0.5), f), f)
		inner := sub(sub(hfsq, add(mul(s, add(hfsq, r)), mul(k, c(logLn2Lo)))), f)
		res := sub(mul(k, c(logLn2Hi)), inner)
		zero := c(0)
		res = b.pick(b.cmp(x, zero, x86.CmpLT), b.bits(nan64), res)
		res = b.pick(b.cmp(x, zero, x86.CmpEQ), b.bits(negInf64), res)
		pass := b.op2(jOr, b.cmp(x, x, x86.CmpUNORD), b.cmp(x, b.bits(posInf64), x86.CmpEQ))
		return b.pick(pass, x, res)
	}
	c := b.c32
	small0 := b.cmp(x, c(minNorm32), x86.CmpLT)
	xs := b.pick(small0, mul(x, c(0x1p25)), x)
	e := and(b.op1(jShr, xs, 23), b.bits(0xff))
	f1 := b.op2(jOr, and(xs, b.bits(1<<23-1)), b.bits(0x3F000000))
	k := b.op1(jCvtI2F, b.op2(jISub, e, b.bits(126)), 0)
	k = sub(k, and(c(25), small0))
	small := b.cmp(f1, c(math.Sqrt2/2), x86.CmpLE)
	one := c(1)
	k = sub(k, and(one, small))
	f1 = b.pick(small, add(f1, f1), f1)
	f := sub(f1, one)
	s := b.op2(jDiv, f, add(c(2), f))
	z := mul(s, s)
	w := mul(z, z)
	t1 := mul(add(mul(w, c(logfLg4)), c(logfLg2)), w)
	t2 := mul(add(mul(w, c(logfLg3)), c(logfLg1)), z)
	r := add(t2, t1)
	hfsq := mul(mul(c(0.5), f), f)
	inner := sub(sub(hfsq, add(mul(s, add(hfsq, r)), mul(k, c(logfLn2Lo)))), f)
	res := sub(mul(k, c(logfLn2Hi)), inner)
	zero := c(0)
	res = b.pick(b.cmp(x, zero, x86.CmpLT), b.bits(nan32), res)
	res = b.pick(b.cmp(x, zero, x86.CmpEQ), b.bits(negInf32), res)
	pass := b.op2(jOr, b.cmp(x, x, x86.CmpUNORD), b.cmp(x, b.bits(posInf32), x86.CmpEQ))
	return b.pick(pass, x, res)
}

// pow is powIntF64x4 (float64 lanes: powIntF32x8 widens, see widen):
// repeated squaring on the values.
// Its lanes whose result is not comfortably normal, x finite and nonzero,
// are those the vector function recomputes with math.Pow: they set a deopt
// mask. With x zero, infinite or NaN the products are math.Pow's values.
func (b *jbuilder) pow(x int32, n int) int32 {
	if n > 1<<53 || n < -(1<<53) {
		b.failed = true
		return 0
	}
	one := b.c(1)
	if n == 0 {
		return one // math.Pow(x, 0) is 1 for every x, NaN included
	}
	u := uint64(n)
	if n < 0 {
		u = -u
	}
	a, p := one, x
	for {
		if u&1 != 0 {
			a = b.op2(jMul, a, p)
		}
		u >>= 1
		if u == 0 {
			break
		}
		p = b.op2(jMul, p, p)
	}
	if n < 0 {
		a = b.op2(jDiv, one, a)
	}
	aa := b.op2(jAndN, b.signMask(), a)
	ax := b.op2(jAndN, b.signMask(), x)
	out := b.op2(jOr, b.cmp(aa, b.c(powLo), x86.CmpLT), b.cmp(aa, b.c(powHi), x86.CmpGT))
	finite := b.op2(jAnd, b.cmp(ax, b.c(0), x86.CmpGT), b.cmp(ax, b.bits(posInf64), x86.CmpLT))
	b.deopts = append(b.deopts, b.op2(jAnd, out, finite))
	return a
}

// trig is sinF64x4 or cosF64x4 (vmath_trig_amd64.go; float64 lanes), the octant's integer
// bits taken in float64 arithmetic (exact below 2^29): the lanes math
// reduces otherwise (finite, |x| >= 2^29) set a deopt mask; infinities and
// NaN give math's NaN.
func (b *jbuilder) trig(x int32, cos bool) int32 {
	mul := func(x, y int32) int32 { return b.op2(jMul, x, y) }
	add := func(x, y int32) int32 { return b.op2(jAdd, x, y) }
	sub := func(x, y int32) int32 { return b.op2(jSub, x, y) }
	c := b.c
	floor := func(x int32) int32 { return b.op1(jRound, x, x86.RoundFloor) }
	// odd is 1 for an odd integer x, else 0.
	odd := func(x int32) int32 { return sub(x, mul(c(2), floor(mul(x, c(0.5))))) }
	sign := b.signMask()
	ax := b.op2(jAndN, sign, x)
	jf := b.op1(jRound, mul(ax, c(4/math.Pi)), x86.RoundTrunc)
	y := add(jf, odd(jf))
	z := sub(sub(sub(ax, mul(y, c(pi4A))), mul(y, c(pi4B))), mul(y, c(pi4C)))
	zz := mul(z, z)
	bit1 := b.cmp(odd(mul(y, c(0.5))), c(0.5), x86.CmpGT)
	bit2 := b.cmp(odd(floor(mul(y, c(0.25)))), c(0.5), x86.CmpGT)
	poly := func(k ...float64) int32 { // Horner in zz, multiply then add
		p := c(k[0])
		for _, v := range k[1:] {
			p = add(mul(p, zz), c(v))
		}
		return p
	}
	p := poly(sin0, sin1, sin2, sin3, sin4, sin5)
	sinP := add(z, mul(mul(z, zz), p))
	q := poly(cos0, cos1, cos2, cos3, cos4, cos5)
	cosP := add(sub(c(1), mul(c(0.5), zz)), mul(mul(zz, zz), q))
	var r, flip int32
	if cos {
		r = b.pick(bit1, sinP, cosP)
		flip = b.op2(jAnd, b.op2(jXor, bit1, bit2), sign)
	} else {
		r = b.pick(bit1, cosP, sinP)
		flip = b.op2(jXor, b.op2(jAnd, bit2, sign), b.op2(jAnd, x, sign))
	}
	r = b.op2(jXor, r, flip)
	inf := b.bits(posInf64)
	b.deopts = append(b.deopts, b.op2(jAnd, b.cmp(ax, c(trigLimit), x86.CmpGE), b.cmp(ax, inf, x86.CmpLT)))
	special := b.op2(jOr, b.cmp(x, x, x86.CmpUNORD), b.cmp(ax, inf, x86.CmpEQ))
	return b.pick(special, b.bits(nan64), r)
}

// widen is f on float64 lanes: in float32 code each argument is widened in
// two halves, f made on each, and the results (and the deopt masks f adds)
// rounded back to float32, as the float32 vector functions that compute in
// float64 do (powIntF32x8, sinF32x8, roundScaledF32x8, modF32x8).
func (b *jbuilder) widen(f func(a ...int32) int32, args ...int32) int32 {
	if b.f64 {
		return f(args...)
	}
	lo, hi := make([]int32, len(args)), make([]int32, len(args))
	for i, a := range args {
		lo[i] = b.op1(jWidenLo, a, 0)
		hi[i] = b.op1(jWidenHi, a, 0)
	}
	d0 := len(b.deopts)
	b.f64, b.wide = true, true
	rl := f(lo...)
	d1 := len(b.deopts)
	rh := f(hi...)
	b.f64, b.wide = false, false
	dl, dh := slices.Clone(b.deopts[d0:d1]), slices.Clone(b.deopts[d1:])
	b.deopts = b.deopts[:d0]
	for i := range dl {
		// A float64 mask narrows to a nonzero float32 (a NaN) where set.
		b.deopts = append(b.deopts, b.op2(jNarrow, dl[i], dh[i]))
	}
	return b.op2(jNarrow, rl, rh)
}

// The inverse trigonometric functions of vmath_trig_amd64.go, on float64
// lanes (the float32 forms widen), operation for operation.

func (b *jbuilder) xatan(x int32) int32 {
	mul := func(x, y int32) int32 { return b.op2(jMul, x, y) }
	add := func(x, y int32) int32 { return b.op2(jAdd, x, y) }
	c := b.c
	z := mul(x, x)
	num := add(mul(add(mul(add(mul(add(mul(c(atanP0), z), c(atanP1)), z), c(atanP2)), z), c(atanP3)), z), c(atanP4))
	den := add(mul(add(mul(add(mul(add(mul(add(z, c(atanQ0)), z), c(atanQ1)), z), c(atanQ2)), z), c(atanQ3)), z), c(atanQ4))
	z = b.op2(jDiv, mul(z, num), den)
	return add(mul(x, z), x)
}

func (b *jbuilder) satan(x int32) int32 {
	c := b.c
	small := b.cmp(x, c(0.66), x86.CmpLE)
	big := b.cmp(x, c(atanTan3pio8), x86.CmpGT)
	one := c(1)
	num := b.pick(big, c(-1), b.pick(small, x, b.op2(jSub, x, one)))
	den := b.pick(big, x, b.pick(small, one, b.op2(jAdd, x, one)))
	base := b.pick(big, c(math.Pi/2), b.pick(small, c(0), c(math.Pi/4)))
	more := b.pick(big, c(atanMorebits), b.pick(small, c(0), c(0.5*atanMorebits)))
	return b.op2(jAdd, b.op2(jAdd, base, b.xatan(b.op2(jDiv, num, den))), more)
}

// signOf is the sign bit of x; flip flips the sign of r where s has it.
func (b *jbuilder) signOf(x int32) int32  { return b.op2(jAnd, x, b.signMask()) }
func (b *jbuilder) flip(r, s int32) int32 { return b.op2(jXor, r, s) }

func (b *jbuilder) atan(x int32) int32 {
	return b.flip(b.satan(b.op2(jAndN, b.signMask(), x)), b.signOf(x))
}

func (b *jbuilder) asin(x int32) int32 {
	c := b.c
	ax := b.op2(jAndN, b.signMask(), x)
	temp := b.op1(jSqrt, b.op2(jSub, c(1), b.op2(jMul, ax, ax)), 0)
	big := b.cmp(ax, c(0.7), x86.CmpGT)
	s := b.satan(b.op2(jDiv, b.pick(big, temp, ax), b.pick(big, ax, temp)))
	r := b.pick(big, b.op2(jSub, c(math.Pi/2), s), s)
	return b.flip(r, b.signOf(x))
}

func (b *jbuilder) acos(x int32) int32 {
	c := b.c
	ax := b.op2(jAndN, b.signMask(), x)
	far := b.cmp(ax, c(0.5), x86.CmpGT)
	half := b.op1(jSqrt, b.op2(jMul, b.op2(jSub, c(1), ax), c(0.5)), 0)
	a := b.asin(b.pick(far, half, x))
	twice := b.op2(jAdd, a, a)
	return b.pick(far, b.pick(b.cmp(x, c(0), x86.CmpGT), twice, b.op2(jSub, c(math.Pi), twice)), b.op2(jSub, c(math.Pi/2), a))
}

// atan2 is atan2F64x4: its lanes with a zero, an infinity or a NaN, which
// take math.Atan2's special cases, set a deopt mask.
func (b *jbuilder) atan2(y, x int32) int32 {
	c := b.c
	q := b.atan(b.op2(jDiv, y, x))
	zero := c(0)
	adj := b.pick(b.cmp(q, zero, x86.CmpLE), b.op2(jAdd, q, c(math.Pi)), b.op2(jSub, q, c(math.Pi)))
	r := b.pick(b.cmp(x, zero, x86.CmpLT), adj, q)
	ax, ay, inf := b.op2(jAndN, b.signMask(), x), b.op2(jAndN, b.signMask(), y), b.bits(posInf64)
	ok := b.op2(jAnd, b.op2(jAnd, b.cmp(ax, zero, x86.CmpGT), b.cmp(ax, inf, x86.CmpLT)),
		b.op2(jAnd, b.cmp(ay, zero, x86.CmpGT), b.cmp(ay, inf, x86.CmpLT)))
	b.deopts = append(b.deopts, b.op2(jAndN, ok, b.bits(^uint64(0))))
	return r
}
