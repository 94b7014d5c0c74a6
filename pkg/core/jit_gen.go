//go:build goexperiment.simd && amd64 && linux

package core

import (
	"math"
	"slices"
	"sync/atomic"

	"github.com/gokeops/gokeops/pkg/core/internal/x86"
)

// jitBlock is the argument block of a compiled loop, read through RDI. Its
// layout is the generated code's: keep the offsets below in step.
type jitBlock struct {
	tile    uintptr // the frame's tile arena
	parm    uintptr // the frame's parm arena
	consts  uintptr // the loop's constant pool
	scratch uintptr // the frame's scratch area (jitLoop.scratchWords)
	end     int64   // bytes of the whole vectors of the tile
	tail    int64   // 1 when a partial vector follows them
	store   uintptr // store mode: the rows x components tile rows of the values
	rows    [jitRows]uintptr
}

const (
	blkTile, blkParm, blkConsts, blkScratch, blkEnd, blkTail, blkStore, blkRows = 0, 8, 16, 24, 32, 40, 48, 56
)

// Scratch layout: the tail mask, the deopt lanes, then the lane sums
// (rows x dim vectors), the broadcast invariants and the spill slots.
const (
	scratchMask  = 0
	scratchDeopt = 32
	scratchSums  = 64
)

// jitLoop is a compiled pair loop: per call, rows output rows of dim sums
// (jitSum) or stored components (jitStore).
type jitLoop struct {
	mode         jitMode
	deopt        bool // the loop may ask for its rows to be redone
	code         *x86.Code
	consts       []uint64 // one vector per constant
	rows, dim    int
	lanes        int
	sumsOff      int // byte offset of the lane sums in the scratch area
	scratchWords int
}

// jstep is one step of the loop body: a node to compute, or (node < 0) the
// update of accumulator acc by val, or by mulA*mulB in one fused
// multiply-add.
type jstep struct {
	node       int32
	acc        int
	val        int32
	mulA, mulB int32
	or         bool // val is a deopt mask, or-ed into accumulator acc
}

// jgen allocates registers over the straight-line body and writes it.
type jgen struct {
	a        x86.Asm
	b        *jbuilder
	w        x86.Width
	f64      bool
	store    bool  // outputs are stored, not accumulated
	nacc     int   // accumulators (the deopt mask's register follows them)
	esize    int32 // bytes per element
	nodes    []jnode
	invOff   int32
	spillOff int32
	nspill   int32
	nregs    int // registers 0..nregs-1 hold values; the rest accumulators
	reg      []int8
	spill    []int32
	owner    [16]int32
	uses     [][]int32
	next     []int32
}

// jitMode is what a compiled loop does with the formula's values.
type jitMode int

const (
	// jitSum adds them into per-lane sums in registers (the Sum with the
	// default accumulation).
	jitSum jitMode = iota
	// jitStore writes them, F then G, one tile row per component, for the
	// reducer to fold (every other reduction and accumulation).
	jitStore
)

// jitMaxStored bounds the components a store-mode loop writes per row.
const jitMaxStored = 64

// jitCompilePanics counts compilations that failed other than by running
// out of registers: internal errors, which the tests require to be none.
var jitCompilePanics atomic.Int64

// compileJit compiles the pair level of p and the update of mode, or
// returns nil when the program has a step the compiler does not cover.
func compileJit(p *program, f64 bool, mode jitMode) (loop *jitLoop) {
	defer func() {
		// A body the allocator cannot fit (more values pinned at one step
		// than registers) stays on the interpreter; so does any other
		// failure to compile (an internal error, recorded for the tests):
		// the interpreter computes the same values, so a user's call never
		// fails because of the compiler.
		if e := recover(); e != nil {
			if _, ok := e.(jitOverflow); !ok {
				jitCompilePanics.Add(1)
			}
			loop = nil
		}
	}()
	if p.fold != nil || p.gemm != nil {
		return nil
	}
	if mode == jitSum && (p.g >= 0 || (p.dot == nil && p.f < 0)) || mode == jitStore && (p.dot != nil || p.f < 0) {
		return nil
	}
	dim := 0
	switch {
	case p.dot != nil:
		dim = p.slots[p.dot.w].dim
	case mode == jitStore:
		dim = p.slots[p.f].dim
		if p.g >= 0 {
			dim += p.slots[p.g].dim
		}
	default:
		dim = p.slots[p.f].dim
	}
	rows := jitRows
	if trial := newJBuilder(p, f64); trial.lowerRow(0) == nil || trial.ops() > jitCheapOps {
		rows = jitCostlyRows
	}
	if mode == jitSum {
		// Accumulators take registers from the values: at most 8 of 16.
		for rows > 1 && rows*dim > 8 {
			rows--
		}
		if rows*dim > 8 {
			return nil
		}
	} else if dim > jitMaxStored {
		return nil
	}
	b := newJBuilder(p, f64)
	outs := make([]int32, 0, rows*dim)
	for q := 0; q < rows; q++ {
		vals := b.lowerRow(q)
		if b.failed {
			return nil
		}
		switch d := p.dot; {
		case d != nil:
			for c := 0; c < dim; c++ {
				w := b.comp(vals, q, d.w, c)
				if d.x >= 0 {
					x := b.comp(vals, q, d.x, c)
					if d.neg {
						w = b.op2(jSub, w, x)
					} else {
						w = b.op2(jSub, x, w)
					}
				}
				outs = append(outs, b.op2(jMul, b.comp(vals, q, d.k, 0), w))
			}
		default:
			for c := 0; c < p.slots[p.f].dim; c++ {
				outs = append(outs, b.comp(vals, q, p.f, c))
			}
			if p.g >= 0 {
				for c := 0; c < p.slots[p.g].dim; c++ {
					outs = append(outs, b.comp(vals, q, p.g, c))
				}
			}
		}
	}
	lanes := 4
	if !f64 {
		lanes = 8
	}
	l := &jitLoop{mode: mode, rows: rows, dim: dim, lanes: lanes, sumsOff: scratchSums}
	nacc := len(outs)
	if mode == jitStore {
		nacc = 0
	}
	deopt := int32(-1)
	for _, d := range b.deopts {
		if deopt < 0 {
			deopt = d
		} else {
			deopt = b.op2(jOr, deopt, d)
		}
	}
	l.deopt = deopt >= 0
	nregs := 16 - nacc
	if l.deopt {
		nregs--
	}
	g := &jgen{b: b, w: x86.PS, f64: f64, nodes: b.nodes, nregs: nregs, store: mode == jitStore, nacc: nacc, esize: 4}
	if f64 {
		g.w, g.esize = x86.PD, 8
	}
	g.invOff = int32(l.sumsOff + 32*nacc)
	g.spillOff = g.invOff + int32(32*len(b.invs))
	zeroed := nacc
	if l.deopt {
		zeroed++
	}
	g.prologue(b.invs, zeroed)
	top, tail, done := g.a.NewLabel(), g.a.NewLabel(), g.a.NewLabel()
	g.a.CMPImm(regEnd, 0)
	g.a.J(x86.CondLE, tail)
	g.a.Bind(top)
	g.body(outs, deopt, false)
	g.a.ADDImm(regIdx, 32)
	g.a.CMP(regIdx, regEnd)
	g.a.J(x86.CondL, top)
	g.a.Bind(tail)
	g.a.MOVLoad(regTmp, x86.At(regBlk, blkTail))
	g.a.CMPImm(regTmp, 0)
	g.a.J(x86.CondEQ, done)
	g.body(outs, deopt, true)
	g.a.Bind(done)
	for i := 0; i < nacc; i++ {
		g.a.VMOVUStore(g.w, x86.At(regScratch, int32(l.sumsOff+32*i)), g.accReg(i))
	}
	if l.deopt {
		g.a.VMOVUStore(g.w, x86.At(regScratch, scratchDeopt), g.accReg(nacc))
	}
	g.a.VZEROUPPER()
	g.a.RET()
	code, err := x86.NewCode(g.a.Bytes())
	if err != nil {
		return nil
	}
	l.code = code
	l.scratchWords = int(g.spillOff+32*g.nspill) / 8
	for _, k := range b.consts {
		u := k.u
		if !f64 && !k.wide {
			u |= u << 32 // two float32 lanes per word
		}
		for range 4 {
			l.consts = append(l.consts, u)
		}
	}
	return l
}

func (g *jgen) accReg(i int) x86.Reg { return x86.Reg(15 - i) }

// prologue loads the base registers, broadcasts the invariants into the
// scratch area and zeroes the accumulators.
func (g *jgen) prologue(invs []invariant, nacc int) {
	a := &g.a
	a.MOVLoad(regTile, x86.At(regBlk, blkTile))
	a.MOVLoad(regConst, x86.At(regBlk, blkConsts))
	a.MOVLoad(regScratch, x86.At(regBlk, blkScratch))
	if g.store {
		a.MOVLoad(regStore, x86.At(regBlk, blkStore))
	}
	esize := g.esize
	src := -2
	for i, v := range invs {
		if v.row != src {
			off := int32(blkParm)
			if v.row >= 0 {
				off = blkRows + 8*int32(v.row)
			}
			a.MOVLoad(regTmp, x86.At(regBlk, off))
			src = v.row
		}
		a.VBROADCAST(g.w, 0, x86.At(regTmp, int32(v.off)*esize))
		a.VMOVUStore(g.w, x86.At(regScratch, g.invOff+32*int32(i)), 0)
	}
	for i := 0; i < nacc; i++ {
		r := g.accReg(i)
		a.VXOR(g.w, r, r, x86.R(r))
	}
	a.XOR32(regIdx, regIdx)
	a.MOVLoad(regEnd, x86.At(regBlk, blkEnd))
}

// body writes one pass of the loop: the outputs' nodes and the updates of
// the accumulators (masked by the tail mask when masked).
func (g *jgen) body(outs []int32, deopt int32, masked bool) {
	n := len(g.nodes)
	count := make([]int, n)
	live := make([]bool, n)
	var mark func(int32)
	mark = func(x int32) {
		count[x]++
		if live[x] {
			return
		}
		live[x] = true
		nd := &g.nodes[x]
		for j := 0; j < int(nd.n); j++ {
			mark(nd.args[j])
		}
	}
	for _, o := range outs {
		mark(o)
	}
	if deopt >= 0 {
		mark(deopt)
	}
	var steps []jstep
	skip := make([]bool, n)
	accSteps := make([]jstep, len(outs))
	for i, o := range outs {
		accSteps[i] = jstep{node: -1, acc: i, val: o, mulA: -1, mulB: -1}
		if nd := g.nodes[o]; !masked && !g.store && nd.op == jMul && count[o] == 1 {
			accSteps[i].mulA, accSteps[i].mulB, accSteps[i].val = nd.args[0], nd.args[1], -1
			skip[o] = true
		}
	}
	// Schedule depth first from the outputs, the argument needing the
	// most registers first (Sethi-Ullman numbers over the graph): a value
	// is made close to its use, and few are live at once.
	need := make([]int, n)
	for x := 0; x < n; x++ {
		nd := &g.nodes[x]
		if !live[x] || nd.op == jLeaf {
			continue
		}
		var ns []int
		for j := 0; j < int(nd.n); j++ {
			ns = append(ns, need[nd.args[j]])
		}
		slices.Sort(ns)
		m := 1
		for j, v := range ns {
			m = max(m, v+len(ns)-1-j)
		}
		need[x] = m
	}
	done := make([]bool, n)
	var visit func(x int32)
	visit = func(x int32) {
		nd := &g.nodes[x]
		if done[x] || nd.op == jLeaf {
			return
		}
		done[x] = true
		args := slices.Clone(nd.args[:nd.n])
		slices.SortStableFunc(args, func(a, b int32) int { return need[b] - need[a] })
		for _, a := range args {
			visit(a)
		}
		if !skip[x] {
			steps = append(steps, jstep{node: x})
		}
	}
	for _, st := range accSteps {
		if st.val >= 0 {
			visit(st.val)
		} else {
			visit(st.mulA)
			visit(st.mulB)
		}
	}
	if deopt >= 0 {
		visit(deopt)
	}
	steps = append(steps, accSteps...)
	if deopt >= 0 {
		steps = append(steps, jstep{node: -1, acc: g.nacc, val: deopt, mulA: -1, mulB: -1, or: true})
	}
	g.uses = make([][]int32, n)
	g.next = make([]int32, n)
	for i, s := range steps {
		for _, a := range g.stepArgs(s) {
			if u := g.uses[a]; len(u) == 0 || u[len(u)-1] != int32(i) {
				g.uses[a] = append(u, int32(i))
			}
		}
	}
	g.reg = make([]int8, n)
	g.spill = make([]int32, n)
	for x := range g.reg {
		g.reg[x], g.spill[x] = -1, -1
	}
	for r := range g.owner {
		g.owner[r] = -1
	}
	for i, s := range steps {
		g.step(int32(i), s, masked)
	}
}

func (g *jgen) stepArgs(s jstep) []int32 {
	if s.node >= 0 {
		nd := &g.nodes[s.node]
		return nd.args[:nd.n]
	}
	if s.val >= 0 {
		return []int32{s.val}
	}
	return []int32{s.mulA, s.mulB}
}

func (g *jgen) lastUse(x int32) int32 {
	u := g.uses[x]
	return u[len(u)-1]
}

func (g *jgen) nextUse(x int32) int32 {
	if int(g.next[x]) < len(g.uses[x]) {
		return g.uses[x][g.next[x]]
	}
	return math.MaxInt32
}

func (g *jgen) leafMem(x int32) x86.Mem {
	m := g.nodes[x].mem
	disp := m.disp
	if m.base == regScratch && disp < 0 {
		disp = g.invOff + 32*(-1-disp)
	}
	if m.indexed {
		return x86.Indexed(m.base, regIdx, 1, disp)
	}
	return x86.At(m.base, disp)
}

// rm is x as the last operand: its register, else its memory.
func (g *jgen) rm(x int32) x86.Operand {
	switch {
	case g.reg[x] >= 0:
		return x86.R(x86.Reg(g.reg[x]))
	case g.nodes[x].op == jLeaf:
		return x86.M(g.leafMem(x))
	case g.spill[x] >= 0:
		return x86.M(x86.At(regScratch, g.spillOff+32*g.spill[x]))
	}
	panic("core: compiled loop reads a value it never computed")
}

// src is x as the last operand of step i, like rm, except that a tile
// column read again later (by the other row, say) is first loaded into a
// free register, where it stays for those reads.
func (g *jgen) src(i, x int32) x86.Operand {
	if nd := g.nodes[x]; g.reg[x] < 0 && nd.op == jLeaf && nd.mem.indexed && g.lastUse(x) > i {
		for r := 0; r < g.nregs; r++ {
			if g.owner[r] < 0 {
				return x86.R(g.inReg(x, 0))
			}
		}
	}
	return g.rm(x)
}

// jitOverflow is the allocator's panic when a step pins every register;
// compileJit recovers it.
type jitOverflow struct{}

// alloc takes a free register, evicting the value used farthest ahead
// (spilling it unless it lives in memory already). Registers in pin stay.
func (g *jgen) alloc(pin uint16) x86.Reg {
	for r := 0; r < g.nregs; r++ {
		if g.owner[r] < 0 && pin&(1<<r) == 0 {
			return x86.Reg(r)
		}
	}
	best, far := -1, int32(-1)
	for r := 0; r < g.nregs; r++ {
		if pin&(1<<r) != 0 {
			continue
		}
		if u := g.nextUse(g.owner[r]); u > far {
			best, far = r, u
		}
	}
	if best < 0 {
		panic(jitOverflow{})
	}
	x := g.owner[best]
	if g.nodes[x].op != jLeaf && g.spill[x] < 0 {
		g.spill[x] = g.nspill
		g.nspill++
		g.a.VMOVUStore(g.w, x86.At(regScratch, g.spillOff+32*g.spill[x]), x86.Reg(best))
	}
	g.reg[x], g.owner[best] = -1, -1
	return x86.Reg(best)
}

// inReg puts x in a register (loading it from memory) and returns it.
func (g *jgen) inReg(x int32, pin uint16) x86.Reg {
	if g.reg[x] >= 0 {
		return x86.Reg(g.reg[x])
	}
	r := g.alloc(pin)
	g.a.VMOVU(g.w, r, g.rm(x))
	g.reg[x], g.owner[r] = int8(r), x
	return r
}

func (g *jgen) pinOf(xs ...int32) uint16 {
	var pin uint16
	for _, x := range xs {
		if x >= 0 && g.reg[x] >= 0 {
			pin |= 1 << g.reg[x]
		}
	}
	return pin
}

// dying is the register of an argument whose last use is step i, to
// receive the result, or -1.
func (g *jgen) dying(i int32, xs ...int32) int {
	for _, x := range xs {
		if g.reg[x] >= 0 && g.lastUse(x) == i {
			return int(g.reg[x])
		}
	}
	return -1
}

// finish frees the registers of arguments last used at step i and gives
// dst (if any) to node n.
func (g *jgen) finish(i int32, args []int32, n int32, dst x86.Reg) {
	for _, x := range args {
		for int(g.next[x]) < len(g.uses[x]) && g.uses[x][g.next[x]] <= i {
			g.next[x]++
		}
	}
	for _, x := range args {
		if int(g.next[x]) == len(g.uses[x]) && g.reg[x] >= 0 {
			g.owner[g.reg[x]] = -1
			g.reg[x] = -1
		}
	}
	if n >= 0 {
		g.reg[n], g.owner[dst] = int8(dst), n
	}
}

func commutative(op jop) bool {
	switch op {
	case jAdd, jMul, jAnd, jOr, jXor, jIAdd:
		return true
	}
	return false
}

func (g *jgen) step(i int32, s jstep, masked bool) {
	a := &g.a
	if s.node < 0 && s.or {
		acc := g.accReg(s.acc)
		if masked {
			t := g.alloc(g.pinOf(s.val))
			a.VMOVU(g.w, t, x86.M(x86.At(regScratch, scratchMask)))
			a.VAND(g.w, t, t, g.rm(s.val))
			a.VOR(g.w, acc, acc, x86.R(t))
		} else {
			a.VOR(g.w, acc, acc, g.rm(s.val))
		}
		g.finish(i, g.stepArgs(s), -1, 0)
		return
	}
	if s.node < 0 && g.store {
		r := g.inReg(s.val, 0)
		a.VMOVUStore(g.w, x86.Indexed(regStore, regIdx, 1, int32(s.acc*tileSize)*g.esize), r)
		g.finish(i, g.stepArgs(s), -1, 0)
		return
	}
	if s.node < 0 {
		acc := g.accReg(s.acc)
		switch {
		case s.val < 0:
			x, y := s.mulA, s.mulB
			if g.reg[x] < 0 && g.reg[y] >= 0 {
				x, y = y, x
			}
			rx := g.inReg(x, g.pinOf(y))
			a.VFMADD231(g.w, acc, rx, g.rm(y))
		case masked:
			t := g.alloc(g.pinOf(s.val))
			a.VMOVU(g.w, t, x86.M(x86.At(regScratch, scratchMask)))
			a.VAND(g.w, t, t, g.rm(s.val))
			a.VADD(g.w, acc, acc, x86.R(t))
		default:
			a.VADD(g.w, acc, acc, g.rm(s.val))
		}
		g.finish(i, g.stepArgs(s), -1, 0)
		return
	}
	n := s.node
	nd := g.nodes[n]
	w, f64 := g.w, g.f64
	if nd.wide {
		w, f64 = x86.PD, true
	}
	args := nd.args[:nd.n]
	var dst x86.Reg
	newDst := func(xs ...int32) x86.Reg {
		if r := g.dying(i, xs...); r >= 0 {
			return x86.Reg(r)
		}
		return g.alloc(g.pinOf(args...))
	}
	switch nd.op {
	case jExpFix:
		dst = g.expFix(i, args)
	case jWidenLo:
		src := g.rm(args[0])
		dst = newDst(args[0])
		a.VCVTPS2PD(dst, src)
	case jWidenHi:
		x := args[0]
		if g.reg[x] < 0 {
			src := g.rm(x)
			src.M.Disp += 16 // the upper four float32s in memory
			dst = newDst(x)
			a.VCVTPS2PD(dst, src)
		} else {
			rx := x86.Reg(g.reg[x])
			dst = newDst(x)
			a.VEXTRACTF128(dst, rx, 1)
			a.VCVTPS2PD(dst, x86.R(dst))
		}
	case jNarrow:
		lo, hi := args[0], args[1]
		t := g.alloc(g.pinOf(lo, hi))
		a.VCVTPD2PS(t, g.rm(hi))
		if r := g.dying(i, lo); r >= 0 && lo != hi {
			dst = x86.Reg(r)
		} else {
			dst = g.alloc(g.pinOf(lo, hi) | 1<<t)
		}
		a.VCVTPD2PS(dst, g.rm(lo))
		a.VINSERTF128(dst, dst, x86.R(t), 1)
	case jSqrt, jRound:
		src := g.rm(args[0])
		dst = newDst(args[0])
		if nd.op == jSqrt {
			a.VSQRT(w, dst, src)
		} else {
			a.VROUND(w, dst, src, nd.imm)
		}
	case jShl, jShr:
		rx := g.inReg(args[0], 0)
		dst = newDst(args[0])
		switch {
		case nd.op == jShl && f64:
			a.VPSLLQ(dst, rx, nd.imm)
		case nd.op == jShl:
			a.VPSLLD(dst, rx, nd.imm)
		case f64:
			a.VPSRLQ(dst, rx, nd.imm)
		default:
			a.VPSRLD(dst, rx, nd.imm)
		}
	case jCvtI2F:
		src := g.rm(args[0])
		dst = newDst(args[0])
		a.VCVTDQ2PS(dst, src)
	case jBlend:
		x, y, m := args[0], args[1], args[2]
		rx := g.inReg(x, g.pinOf(y, m))
		rmk := g.inReg(m, g.pinOf(x, y)|1<<rx)
		oy := g.rm(y)
		dst = newDst(x, m, y)
		a.VBLENDV(w, dst, rx, oy, rmk)
	case jFMA:
		x, y, z := args[0], args[1], args[2]
		switch {
		case g.reg[z] >= 0 && g.lastUse(z) == i && z != x && z != y:
			// dst = z: z = x*y + z
			if g.reg[x] < 0 && g.reg[y] >= 0 {
				x, y = y, x
			}
			rx := g.inReg(x, g.pinOf(y, z))
			dst = x86.Reg(g.reg[z])
			a.VFMADD231(w, dst, rx, g.rm(y))
		case g.reg[x] >= 0 && g.lastUse(x) == i && x != y && x != z:
			// dst = x: x = y*x + z
			ry := g.inReg(y, g.pinOf(x, z))
			dst = x86.Reg(g.reg[x])
			a.VFMADD213(w, dst, ry, g.rm(z))
		case g.reg[y] >= 0 && g.lastUse(y) == i && y != x && y != z:
			rx := g.inReg(x, g.pinOf(y, z))
			dst = x86.Reg(g.reg[y])
			a.VFMADD213(w, dst, rx, g.rm(z))
		default:
			if g.reg[x] < 0 && g.reg[y] >= 0 {
				x, y = y, x
			}
			rx := g.inReg(x, g.pinOf(y, z))
			dst = g.alloc(g.pinOf(x, y, z))
			a.VMOVU(w, dst, g.rm(z))
			a.VFMADD231(w, dst, rx, g.rm(y))
		}
	default:
		x, y := args[0], args[1]
		if commutative(nd.op) && g.reg[x] < 0 && g.reg[y] >= 0 {
			x, y = y, x
		}
		rx := g.inReg(x, g.pinOf(y))
		oy := g.src(i, y)
		dst = newDst(x, y)
		switch nd.op {
		case jAdd:
			a.VADD(w, dst, rx, oy)
		case jSub:
			a.VSUB(w, dst, rx, oy)
		case jMul:
			a.VMUL(w, dst, rx, oy)
		case jDiv:
			a.VDIV(w, dst, rx, oy)
		case jMax:
			a.VMAX(w, dst, rx, oy)
		case jMin:
			a.VMIN(w, dst, rx, oy)
		case jAnd:
			a.VAND(w, dst, rx, oy)
		case jAndN:
			a.VANDN(w, dst, rx, oy)
		case jOr:
			a.VOR(w, dst, rx, oy)
		case jXor:
			a.VXOR(w, dst, rx, oy)
		case jCmp:
			a.VCMP(w, dst, rx, oy, nd.imm)
		case jISub:
			if f64 {
				a.VPSUBQ(dst, rx, oy)
			} else {
				a.VPSUBD(dst, rx, oy)
			}
		case jIAdd:
			if f64 {
				a.VPADDQ(dst, rx, oy)
			} else {
				a.VPADDD(dst, rx, oy)
			}
		}
	}
	// A dying argument whose register became dst keeps it as n's.
	for _, x := range args {
		if g.reg[x] == int8(dst) {
			g.reg[x] = -1
		}
	}
	g.owner[dst] = -1
	g.finish(i, args, -1, 0)
	g.reg[n], g.owner[dst] = int8(dst), n
}

// constMem is the pool vector of a constant the builder made.
func (g *jgen) constMem(v float64) x86.Operand {
	u := math.Float64bits(v)
	if !g.f64 {
		u = uint64(math.Float32bits(float32(v)))
	}
	return g.rawMem(u)
}

func (g *jgen) rawMem(u uint64) x86.Operand {
	if !g.f64 {
		u &= 0xffffffff
	}
	id, ok := g.b.cmemo[ckey{u: u}]
	if !ok {
		panic("core: compiled loop needs a constant it did not make")
	}
	return x86.M(x86.At(regConst, 32*id))
}

// expFix writes the jExpFix node (res, x, p, k): a branch over the slow
// lanes' fix when no lane needs it. Every register it uses is taken before
// the branch, so that both paths leave the allocation as it is.
func (g *jgen) expFix(i int32, args []int32) x86.Reg {
	a := &g.a
	res, x, p, k := args[0], args[1], args[2], args[3]
	pin := g.pinOf(args...)
	rx := g.inReg(x, pin)
	pin |= 1 << rx
	rp := g.inReg(p, pin)
	pin |= 1 << rp
	rk := g.inReg(k, pin)
	pin |= 1 << rk
	var dst x86.Reg
	if g.reg[res] >= 0 && g.lastUse(res) == i && res != x && res != p && res != k {
		dst = x86.Reg(g.reg[res])
	} else {
		dst = g.alloc(pin)
		a.VMOVU(g.w, dst, g.rm(res))
	}
	pin |= 1 << dst
	m := g.alloc(pin)
	pin |= 1 << m
	t2 := g.alloc(pin)
	pin |= 1 << t2
	t3 := g.alloc(pin)
	lo, hi, magic, bias, shift := -708.0, 708.0, magic64, uint64(bias64), byte(52)
	if !g.f64 {
		lo, hi, magic, bias, shift = -87, 88, magic32, bias32, 23
	}
	skip := a.NewLabel()
	a.VCMP(g.w, m, rx, g.constMem(lo), x86.CmpLT)
	a.VCMP(g.w, t2, rx, g.constMem(hi), x86.CmpGT)
	a.VOR(g.w, m, m, x86.R(t2))
	a.VMOVMSK(g.w, x86.R11, m)
	a.TEST32(x86.R11, x86.R11)
	a.J(x86.CondEQ, skip)
	a.VMUL(g.w, t2, rk, g.constMem(0.5))
	a.VROUND(g.w, t2, x86.R(t2), x86.RoundFloor) // k1
	a.VSUB(g.w, t3, rk, x86.R(t2))               // k - k1
	for _, t := range []x86.Reg{t2, t3} {
		a.VADD(g.w, t, t, g.constMem(magic))
		if g.f64 {
			a.VPSLLQ(t, t, shift)
			a.VPADDQ(t, t, g.rawMem(bias))
		} else {
			a.VPSLLD(t, t, shift)
			a.VPADDD(t, t, g.rawMem(bias))
		}
	}
	a.VMUL(g.w, t2, rp, x86.R(t2))
	a.VMUL(g.w, t2, t2, x86.R(t3))
	a.VBLENDV(g.w, dst, dst, x86.R(t2), m)
	a.Bind(skip)
	return dst
}
