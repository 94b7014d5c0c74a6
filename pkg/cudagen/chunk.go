package cudagen

import (
	"fmt"

	"github.com/gokeops/gokeops/pkg/formula"
)

// Large dimensions. A formula node holds its value in a per-thread array of
// its dimension, and an outer variable is copied into one for the whole
// reduction: for a dim-200 SqDist that is 200 values per thread, far more
// than the registers, so the compiler spills them to local memory. As
// KeOps does for large reduced dimensions (its enable_chunks), a dimension
// reduction (Sum, SqNorm2, Scalprod, SqDist) of more than chunkDim
// components whose operands are elementwise in the variables is written as
// one loop over its components in chunks of chunkLen (the loop over chunks
// kept rolled, so that the compiler does not hoist every component's loads
// out of the loop over the reduced index): each component is
// computed from the variables where they are (outer variables and
// parameters read in place from global memory, inner ones from the shared
// tile) and added to a scalar, so no array of the large dimension exists.
// The components are added in order, as in the unchunked code and the CPU
// engine.

const (
	// chunkDim is the smallest reduced dimension written in chunks.
	chunkDim = 64
	// chunkLen is the number of components of one chunk (one unrolled loop).
	chunkLen = 32
)

// chunkReductions are the dimension reductions written in chunks, by the
// statement adding component k (held in the C expressions of a) to s.
var chunkReductions = map[formula.Prim]func(a []string) string{
	formula.PrimSum:      func(a []string) string { return "s += " + a[0] + ";" },
	formula.PrimSqNorm2:  func(a []string) string { return "{ const ct e = " + a[0] + "; s += e * e; }" },
	formula.PrimScalprod: func(a []string) string { return "s += " + a[0] + " * " + a[1] + ";" },
	formula.PrimSqDist:   func(a []string) string { return "{ const ct dd = " + a[0] + " - " + a[1] + "; s += dd * dd; }" },
}

// chunked writes e in chunks when it is a dimension reduction of more than
// chunkDim components over elementwise operands; ok is false otherwise.
// unchunked turns the chunks off (the tests compare with the code without them).
var unchunked bool

func (g *formulaGen) chunked(e *formula.Call) (name string, ok bool) {
	if unchunked {
		return "", false
	}
	prim := e.Op.Info().Prim
	stmt, reduces := chunkReductions[prim]
	if !reduces || e.Dim != 1 {
		return "", false
	}
	d := 0
	for _, a := range e.Args {
		d = max(d, formula.DimOf(a))
	}
	if d <= chunkDim {
		return "", false
	}
	for _, a := range e.Args {
		if !pointwise(a, d) {
			return "", false
		}
	}
	key := "chunked " + formula.Print(e)
	if n, ok := g.memo[key]; ok {
		return n.name, true
	}
	level := 0
	comps := make([]string, len(e.Args))
	for q, a := range e.Args {
		comps[q] = g.component(a, &level)
	}
	return g.add(key, 1, level, func(w *writer, name string) {
		w.line("ct %s[1];", name)
		w.open("")
		w.line("// %s: %d components in chunks of %d, the variables read in place", formula.Print(e), d, chunkLen)
		w.line("ct s = 0;")
		w.line("#pragma unroll 1")
		w.open("for (int c0 = 0; c0 < %d; c0 += %d)", d, chunkLen)
		w.line("#pragma unroll")
		body := stmt(comps)
		if d%chunkLen != 0 {
			body = fmt.Sprintf("if (k < %d) %s", d, body)
		}
		w.line("for (int kk = 0; kk < %d; kk++) { const int k = c0 + kk; %s }", chunkLen, body)
		w.close()
		w.line("%s[0] = s;", name)
		w.close()
	}), true
}

// pointwise reports whether component k of e depends only on component k
// (or 0, for dimension 1) of the variables: elementwise primitives over
// variables and constants, of dimension d or 1.
func pointwise(e formula.Expr, d int) bool {
	switch e := e.(type) {
	case *formula.Var:
		return e.Dim == d || e.Dim == 1
	case *formula.Const:
		return true
	case *formula.Call:
		if e.Op.Info().Prim.Elementwise() && (e.Dim == d || e.Dim == 1) {
			for _, a := range e.Args {
				if !pointwise(a, d) {
					return false
				}
			}
			return true
		}
	}
	return false
}

// component is the C expression of component k of the pointwise e; level
// collects the levels of the variables read.
func (g *formulaGen) component(e formula.Expr, level *int) string {
	switch e := e.(type) {
	case *formula.Var:
		k := "k"
		if e.Dim == 1 {
			k = "0"
		}
		a := fmt.Sprintf("a%d", e.Ind)
		switch e.Cat {
		case g.outer:
			g.args[e.Ind] = true
			*level |= 1
			return fmt.Sprintf("gk_ld(&%s[ir * %d + %s])", a, e.Dim, k)
		case formula.CatParm:
			g.args[e.Ind] = true
			return fmt.Sprintf("gk_ld(&%s[%s])", a, k)
		}
		// Inner variables: from the shared tile (or global memory).
		name := g.node(e)
		*level |= g.levelOf(name)
		return name + "[" + k + "]"
	case *formula.Const:
		return "(ct)" + lit(e.Value())
	case *formula.Call:
		comps := make([]string, len(e.Args))
		for q, a := range e.Args {
			comps[q] = g.component(a, level)
		}
		return primTable[e.Op.Info().Prim].elem(comps, e.Ints, "ct")
	}
	panic(fmt.Sprintf("cudagen: %T is not pointwise", e))
}
