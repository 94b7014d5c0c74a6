package core

import (
	"fmt"
	"strings"

	"github.com/gokeops/gokeops/pkg/formula"
)

// tileSize is the number of inner indices processed together: small enough
// for a pair-level working set of a few formula slots to stay in L1.
const tileSize = 256

// level says how often a slot is computed. The bits say what it depends on:
// outer variables (1) and inner variables (2).
type level uint8

const (
	levelParm  level = 0 // parameters and constants: once per call (and batch)
	levelOuter level = 1 // once per output row
	levelTile  level = 2 // once per tile of the reduced index
	levelPair  level = 3 // once per (row, tile)
)

// slot is where a value lives: dim components in the arena of its level, at
// offset off (in values for parm and outer, in tile columns for tile and pair).
type slot struct {
	level level
	dim   int
	off   int
}

// instr is one step of a program: dst = prim(args...).
type instr struct {
	prim    formula.Prim // PrimNone: broadcast-copy args[0] into dst
	dst     int
	args    []int
	argDims []int
	dim     int
	ints    []int
	lists   [][]int
	terms   []term  // contraction primitives: precomputed products
	fused   profile // a fused radial kernel (fuse.go) instead of prim
}

// load copies input argument arg into a slot.
type load struct {
	slot, arg, dim int
}

// constant fills a parm slot with a value.
type constant struct {
	slot  int
	value float64
}

// program is a formula (and optional weight formula) compiled to steps per level.
type program struct {
	slots  []slot
	instrs [4][]instr
	loads  [4][]load
	consts []constant
	size   [4]int      // arena size per level
	f, g   int         // result slots; g < 0 when there is no weight formula
	dot    *dotFold    // a Sum folded as dot products (then f is unused)
	gemm   *gemmDist   // F is a high-dimensional squared distance (gemm.go)
	fold   *radialFold // a Sum of a radial kernel times factors (radialfold.go)
	jit    jitCache    // the pair level compiled to machine code (jit_*.go)
}

// planner builds a program, sharing identical sub-formulas.
type planner struct {
	prog  *program
	outer formula.Cat
	memo  map[string]int
}

// newProgram compiles the lowered formulas f and g (g may be nil) for
// reductions whose output is indexed by the variables of category outer.
// It plans their canonical forms (formula.Canonical), which compute the
// same values, so that every spelling of a kernel meets the same matchers.
func newProgram(f, g formula.Expr, outer formula.Cat, sumDot bool) *program {
	p := &planner{prog: &program{g: -1}, outer: outer, memo: map[string]int{}}
	f = formula.Canonical(f)
	if g != nil {
		g = formula.Canonical(g)
	}
	if g == nil {
		if gd, ok := p.matchGemm(f); ok {
			p.prog.gemm, p.prog.f = gd, -1
			return p.prog
		}
	}
	if sumDot && g == nil {
		if fd, ok := p.matchFold(f); ok {
			p.prog.fold, p.prog.f = fd, -1
			return p.prog
		}
	}
	if sumDot {
		if d, ok := p.matchDotFold(f); ok {
			p.prog.dot, p.prog.f = &d, -1
			if ins := p.prog.instrs[levelPair]; len(ins) == 1 && ins[0].fused != profileNone &&
				ins[0].dst == d.k && d.x < 0 && p.prog.slots[d.w].dim == 1 {
				// The kernel is the only per-pair step: fold it with its weight
				// in the same vector pass, never storing it.
				p.prog.dot.radial = &p.prog.instrs[levelPair][0]
			}
			return p.prog
		}
	}
	p.prog.f = p.atPair(p.node(f))
	if g != nil {
		p.prog.g = p.atPair(p.node(g))
	}
	p.foldStoreOnly()
	return p.prog
}

// describe names the way the program runs: "fold-dot", "fold-diff",
// "fold-store" or "fold-sym" (radialfold.go), "dot" (a dot-product fold,
// "dot-radial" with its fused kernel), "gemm", or "tiles" (the
// instructions, op by op over tiles).
func (p *program) describe() string {
	switch {
	case p.fold != nil:
		return [...]string{foldDot: "fold-dot", foldDiff: "fold-diff", foldStore: "fold-store", foldSym: "fold-sym"}[p.fold.mode]
	case p.dot != nil && p.dot.radial != nil:
		return "dot-radial"
	case p.dot != nil:
		return "dot"
	case p.gemm != nil:
		return "gemm"
	}
	return "tiles"
}

func (p *planner) newSlot(lv level, dim int) int {
	s := slot{level: lv, dim: dim, off: p.prog.size[lv]}
	p.prog.size[lv] += dim
	p.prog.slots = append(p.prog.slots, s)
	return len(p.prog.slots) - 1
}

// atPair makes sure the result is computed per pair, so that reducers always
// read a full tile (a formula without inner variable still sees N terms).
func (p *planner) atPair(s int) int {
	if p.prog.slots[s].level == levelPair {
		return s
	}
	dst := p.newSlot(levelPair, p.prog.slots[s].dim)
	p.prog.instrs[levelPair] = append(p.prog.instrs[levelPair], instr{
		prim: formula.PrimNone, dst: dst, args: []int{s}, dim: p.prog.slots[s].dim})
	return dst
}

// node returns the slot holding e, planning it on first sight.
func (p *planner) node(e formula.Expr) int {
	switch e := e.(type) {
	case *formula.Var:
		key := fmt.Sprintf("v%d,%d,%d", e.Ind, e.Dim, e.Cat)
		if s, ok := p.memo[key]; ok {
			return s
		}
		lv := levelParm
		switch {
		case e.Cat == p.outer:
			lv = levelOuter
		case e.Cat != formula.CatParm:
			lv = levelTile
		}
		s := p.newSlot(lv, e.Dim)
		p.prog.loads[lv] = append(p.prog.loads[lv], load{slot: s, arg: e.Ind, dim: e.Dim})
		p.memo[key] = s
		return s
	case *formula.Const:
		key := fmt.Sprintf("c%v", e.Value())
		if s, ok := p.memo[key]; ok {
			return s
		}
		s := p.newSlot(levelParm, 1)
		p.prog.consts = append(p.prog.consts, constant{slot: s, value: e.Value()})
		p.memo[key] = s
		return s
	case *formula.Zero:
		key := fmt.Sprintf("z%d", e.Dim)
		if s, ok := p.memo[key]; ok {
			return s
		}
		s := p.newSlot(levelParm, e.Dim)
		for k := 0; k < e.Dim; k++ {
			p.prog.consts = append(p.prog.consts, constant{slot: s, value: 0})
		}
		p.memo[key] = s
		return s
	case *formula.Call:
		if r, ok := p.matchRadial(e); ok {
			key := "r" + formula.Print(e)
			if s, ok := p.memo[key]; ok {
				return s
			}
			s := p.planRadial(r)
			p.memo[key] = s
			return s
		}
		in := instr{prim: e.Op.Info().Prim, dim: e.Dim, ints: e.Ints, lists: e.Lists}
		var lv level
		var key strings.Builder
		fmt.Fprintf(&key, "p%d%v%v(", in.prim, e.Ints, e.Lists)
		for _, a := range e.Args {
			s := p.node(a)
			in.args = append(in.args, s)
			in.argDims = append(in.argDims, p.prog.slots[s].dim)
			lv |= p.prog.slots[s].level
			fmt.Fprintf(&key, "%d,", s)
		}
		if s, ok := p.memo[key.String()]; ok {
			return s
		}
		if len(in.argDims) >= 2 {
			in.terms = contractionTerms(in.prim, in.argDims[0], in.argDims[1], e.Lists)
		}
		in.dst = p.newSlot(lv, e.Dim)
		p.prog.instrs[lv] = append(p.prog.instrs[lv], in)
		p.memo[key.String()] = in.dst
		return in.dst
	}
	panic(fmt.Sprintf("core: cannot plan %T", e))
}
