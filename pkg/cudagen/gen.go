package cudagen

import (
	"errors"
	"fmt"

	"github.com/gokeops/gokeops/pkg/core"
	"github.com/gokeops/gokeops/pkg/errkind"
	"github.com/gokeops/gokeops/pkg/formula"
)

// Scheme is how the work is split over CUDA blocks (KeOps' GPU_1D, GPU_2D).
type Scheme uint8

const (
	// Scheme1D: one thread per output row; the reduced index is walked in
	// tiles of BlockSize values staged in shared memory.
	Scheme1D Scheme = iota
	// Scheme2D: a grid of (row blocks) x (pieces of the reduced index); each
	// block writes partial accumulators that a merge kernel folds in order.
	Scheme2D
)

func (s Scheme) String() string { return [...]string{"1D", "2D"}[s] }

// Dtype is the type of the data in device memory.
type Dtype uint8

const (
	Float32 Dtype = iota
	Float64
	Float16 // stored as IEEE half; formulas are computed in float32
)

func (d Dtype) String() string { return [...]string{"float32", "float64", "float16"}[d] }

// Size is the size of one value in bytes.
func (d Dtype) Size() int { return [...]int{4, 8, 2}[d] }

// Options select the variant of the generated source.
type Options struct {
	Scheme      Scheme
	Dtype       Dtype
	Ranges      bool // block-sparse reduction (1D scheme only; no batch)
	UseFastMath bool
	BlockSize   int    // threads per block; 0 chooses from the shared memory needed
	Prefix      string // kernel name prefix; "" is "gk"
}

// Source is a generated CUDA C++ translation unit and what launching it
// needs to know.
type Source struct {
	Code      string
	Kernels   []string // the reduction kernel, then (2D) the merge kernel
	BlockSize int
	PartLen   int // 2D: doubles per row of a partial accumulator
	NumArgs   int
	Options   []string // NVRTC options, the architecture excepted
	Plan      core.Plan
}

// maxShared is the static shared memory a block may use (bytes).
const maxShared = 48 << 10

// GenerateKernel generates the source of a compiled kernel.
func GenerateKernel(k *core.Kernel, opt Options) (*Source, error) {
	return Generate(k.Plan(), k.Sig, opt)
}

// Generate writes the CUDA source for the plan p over arguments sig. The
// source depends only on its inputs: the same plan gives the same text.
func Generate(p core.Plan, sig formula.Signature, opt Options) (*Source, error) {
	if opt.Ranges && opt.Scheme != Scheme1D {
		return nil, errors.New("cudagen: block-sparse reductions use the 1D scheme")
	}
	prefix := opt.Prefix
	if prefix == "" {
		prefix = "gk"
	}
	ct := "float"
	if opt.Dtype == Float64 {
		ct = "double"
	}
	acc, err := accType(p, opt.Dtype)
	if err != nil {
		return nil, err
	}
	outer := formula.CatJ
	if p.Axis == 1 {
		outer = formula.CatI
	}
	csize := 4
	if ct == "double" {
		csize = 8
	}
	// Inner variables are staged in shared memory when a tile of 32 of
	// them fits; larger ones are read from global memory by every thread.
	build := func(staged bool) (*formulaGen, string, string) {
		fg := newFormulaGen(sig, outer, ct, staged)
		fg.half = opt.Dtype == Float16
		f, g := fg.node(p.F), ""
		if p.G != nil {
			g = fg.node(p.G)
		}
		return fg, f, g
	}
	fg, fName, gName := build(true)
	block := opt.BlockSize
	if fg.sj*csize*max(32, block) > maxShared {
		fg, fName, gName = build(false)
	}
	if block == 0 {
		block = 256
		if fg.sj > 0 {
			block = min(block, maxShared/(fg.sj*csize)/32*32)
		}
	}
	red := newRedCode(p)
	src := &Source{BlockSize: block, NumArgs: len(sig), Plan: p, PartLen: red.partLen}
	if opt.UseFastMath {
		src.Options = append(src.Options, "--use_fast_math")
	}
	src.Options = append(src.Options, "--std=c++17")

	w := &writer{}
	w.line("// gokeops CUDA reduction (pkg/cudagen).")
	w.line("// F = %s", formula.Print(p.F))
	if p.G != nil {
		w.line("// G = %s", formula.Print(p.G))
	}
	w.line("// reduction %s, axis %d, %s data, %s accumulator, %s, scheme %s, ranges %v, block %d",
		red.describe(), p.Axis, opt.Dtype, accName(acc, opt.Dtype), schemeName(p), opt.Scheme, opt.Ranges, block)
	w.raw(prelude)
	w.open("namespace %s", prefix)
	data := map[Dtype]string{Float32: "float", Float64: "double", Float16: "unsigned short"}[opt.Dtype]
	w.line("typedef %s data_t;", data)
	w.line("typedef %s ct;", ct)
	if acc == "half" {
		w.line("typedef float acc_t;")
		w.line("__device__ __forceinline__ acc_t acc_round(acc_t x) { return gk_hround(x); }")
	} else {
		w.line("typedef %s acc_t;", acc)
		w.line("__device__ __forceinline__ acc_t acc_round(acc_t x) { return x; }")
	}
	w.line("enum { BLOCK = %d, NARGS = %d, SJ = %d, PART = %d, VALS = %d, IDX = %d };",
		block, len(sig), fg.sj, red.partLen, p.ValsDim, p.IdxDim)
	w.b.WriteString("\n")

	k := &kernelGen{w: w, fg: fg, red: red, f: fName, g: gName, prefix: prefix}
	switch {
	case opt.Ranges:
		k.ranges1D()
	case opt.Scheme == Scheme1D:
		k.dense1D()
	default:
		k.dense2D()
		w.b.WriteString("\n")
		k.merge2D()
	}
	w.close()
	src.Code = w.String()
	src.Kernels = k.names
	return src, nil
}

// accType is the C type of the sum accumulators: dtype_acc, "auto" being
// the data type (float32 for float16 data, which the CPU engine computes
// in float32); "half" rounds a float to half after every addition.
func accType(p core.Plan, dt Dtype) (string, error) {
	switch dt {
	case Float64:
		if p.DtypeAcc != "auto" && p.DtypeAcc != "float64" {
			return "", errkind.Errorf(errkind.BadValue, "invalid parameter dtype_acc: %s for float64 data (only float64 is allowed)", p.DtypeAcc)
		}
		return "double", nil
	case Float16:
		switch p.DtypeAcc {
		case "float16":
			return "half", nil
		case "float64":
			return "", errkind.Errorf(errkind.BadValue, "invalid parameter dtype_acc: float64 for float16 data (float16 or float32 only)")
		}
		return "float", nil
	}
	if p.DtypeAcc == "float64" {
		return "double", nil
	}
	return "float", nil
}

func accName(acc string, dt Dtype) string {
	return map[string]string{"half": "float16", "float": "float32", "double": "float64"}[acc]
}

func schemeName(p core.Plan) string {
	return [...]string{"block_sum", "direct_sum", "kahan_scheme"}[p.Scheme]
}

// formulaGen writes the formulas as C statements, one array per distinct
// sub-formula, placed at the lowest level it depends on: parameters and
// outer variables once per thread, the rest once per term.
type formulaGen struct {
	sig   formula.Signature
	outer formula.Cat
	ct    string
	memo  map[string]*cnode
	nodes []*cnode
	args  map[int]bool // arguments read
	inner map[int]int  // shared-memory offset of each inner argument
	sj    int          // values per reduced index staged in shared memory
	// staged: inner variables are read from shared memory (else each
	// thread loads them from global memory).
	staged bool
	half   bool // the data are float16 (to convert on loading)
}

type cnode struct {
	name  string
	dim   int
	level int // bit 0: outer variables; bit 1: inner variables
	code  string
}

func newFormulaGen(sig formula.Signature, outer formula.Cat, ct string, staged bool) *formulaGen {
	return &formulaGen{sig: sig, outer: outer, ct: ct, staged: staged, memo: map[string]*cnode{}, args: map[int]bool{}, inner: map[int]int{}}
}

func (g *formulaGen) add(key string, dim, level int, code func(w *writer, name string)) string {
	if n, ok := g.memo[key]; ok {
		return n.name
	}
	n := &cnode{name: fmt.Sprintf("v%d", len(g.nodes)), dim: dim, level: level}
	w := &writer{}
	code(w, n.name)
	n.code = w.String()
	g.memo[key] = n
	g.nodes = append(g.nodes, n)
	return n.name
}

func (g *formulaGen) levelOf(name string) int {
	for _, n := range g.nodes {
		if n.name == name {
			return n.level
		}
	}
	return 0
}

// node returns the name of the array holding e.
func (g *formulaGen) node(e formula.Expr) string {
	switch e := e.(type) {
	case *formula.Var:
		key := fmt.Sprintf("var %d %d %d", e.Ind, e.Dim, e.Cat)
		if n, ok := g.memo[key]; ok {
			return n.name
		}
		g.args[e.Ind] = true
		a := fmt.Sprintf("a%d", e.Ind)
		switch {
		case e.Cat == g.outer:
			return g.add(key, e.Dim, 1, func(w *writer, name string) {
				w.line("ct %s[%d];", name, e.Dim)
				w.line("for (int k = 0; k < %d; k++) %s[k] = gk_ld(&%s[ir * %d + k]);", e.Dim, name, a, e.Dim)
			})
		case e.Cat == formula.CatParm:
			return g.add(key, e.Dim, 0, func(w *writer, name string) {
				w.line("ct %s[%d];", name, e.Dim)
				w.line("for (int k = 0; k < %d; k++) %s[k] = gk_ld(&%s[k]);", e.Dim, name, a)
			})
		}
		if !g.staged && !g.half {
			return g.add(key, e.Dim, 2, func(w *writer, name string) {
				w.line("const ct* %s = %s + (j0 + t) * %d;", name, a, e.Dim)
			})
		}
		if !g.staged {
			return g.add(key, e.Dim, 2, func(w *writer, name string) {
				w.line("ct %s[%d];", name, e.Dim)
				w.line("for (int k = 0; k < %d; k++) %s[k] = gk_ld(&%s[(j0 + t) * %d + k]);", e.Dim, name, a, e.Dim)
			})
		}
		off := g.sj
		g.sj += e.Dim
		g.inner[e.Ind] = off
		return g.add(key, e.Dim, 2, func(w *writer, name string) {
			w.line("const ct* %s = ys + %d;", name, off)
		})
	case *formula.Const:
		return g.add(fmt.Sprintf("const %v", e.Value()), 1, 0, func(w *writer, name string) {
			w.line("const ct %s[1] = {(ct)%s};", name, lit(e.Value()))
		})
	case *formula.Zero:
		return g.add(fmt.Sprintf("zero %d", e.Dim), e.Dim, 0, func(w *writer, name string) {
			w.line("ct %s[%d];", name, e.Dim)
			w.line("for (int k = 0; k < %d; k++) %s[k] = 0;", e.Dim, name)
		})
	case *formula.Call:
		if name, ok := g.chunked(e); ok {
			return name
		}
		prim := e.Op.Info().Prim
		args := make([]string, len(e.Args))
		dims := make([]int, len(e.Args))
		level := 0
		key := fmt.Sprintf("prim %d %v %v (", prim, e.Ints, e.Lists)
		for k, a := range e.Args {
			args[k] = g.node(a)
			dims[k] = formula.DimOf(a)
			level |= g.levelOf(args[k])
			key += args[k] + ","
		}
		key += ")"
		pc := primTable[prim]
		return g.add(key, e.Dim, level, func(w *writer, name string) {
			w.line("ct %s[%d];", name, e.Dim)
			switch {
			case pc.elem != nil:
				comps := make([]string, len(args))
				for k := range args {
					comps[k] = at(args[k], dims[k], "k")
				}
				w.line("for (int k = 0; k < %d; k++) %s[k] = %s;", e.Dim, name, pc.elem(comps, e.Ints, "ct"))
			case pc.stmt != nil:
				pc.stmt(w, name, e, args, dims)
			default:
				panic(fmt.Sprintf("cudagen: primitive %d has no CUDA code", prim))
			}
		})
	}
	panic(fmt.Sprintf("cudagen: cannot generate %T", e))
}

// code writes the nodes of the given levels in order.
func (g *formulaGen) code(w *writer, perTerm bool) {
	for _, n := range g.nodes {
		if (n.level >= 2) == perTerm {
			w.raw(n.code)
		}
	}
}

// kernelGen writes the kernels of one source.
type kernelGen struct {
	w      *writer
	fg     *formulaGen
	red    *redCode
	f, g   string
	prefix string
	names  []string
}

func (k *kernelGen) kernel(name, params string) {
	full := k.prefix + "_" + name
	k.names = append(k.names, full)
	k.w.open("extern \"C\" __global__ void %s(%s)", full, params)
}

// argPointers declares a<k>, argument k of batch b.
func (k *kernelGen) argPointers(batched bool) {
	for a := 0; a < k.fg.sigLen(); a++ {
		if !k.fg.args[a] {
			continue
		}
		if batched {
			k.w.line("const data_t* __restrict__ a%d = (const data_t*)argv[%d] + offs[b * NARGS + %d];", a, a, a)
		} else {
			k.w.line("const data_t* __restrict__ a%d = (const data_t*)argv[%d];", a, a)
		}
	}
}

func (g *formulaGen) sigLen() int { return len(g.sig) }

// tiles writes the loop over [lo, hi) of the reduced index in tiles of
// BLOCK staged in shared memory. Every thread of the block runs it (the
// barriers), only active ones fold.
func (k *kernelGen) tiles(lo, hi string) {
	w := k.w
	w.open("for (long long j0 = %s; j0 < %s; j0 += BLOCK)", lo, hi)
	if k.fg.sj > 0 {
		w.line("const long long jl = j0 + threadIdx.x;")
		w.open("if (jl < %s)", hi)
		for a, v := range k.fg.sig {
			if !k.fg.args[a] || v.Cat == k.fg.outer || v.Cat == formula.CatParm {
				continue
			}
			off := k.fg.inner[a]
			w.line("for (int k = 0; k < %d; k++) sh[threadIdx.x * SJ + %d + k] = gk_ld(&a%d[jl * %d + k]);", v.Dim, off, a, v.Dim)
		}
		w.close()
	}
	w.line("__syncthreads();")
	w.open("if (active)")
	w.line("const int jn = (int)(%s - j0 < BLOCK ? %s - j0 : BLOCK);", hi, hi)
	k.red.tileBegin(w)
	w.open("for (int t = 0; t < jn; t++)")
	if k.fg.sj > 0 {
		w.line("const ct* ys = sh + t * SJ;")
	}
	k.fg.code(w, true)
	k.red.term(w, k.f, k.g, "j0 + t")
	w.close()
	k.red.tileEnd(w)
	w.close()
	w.line("__syncthreads();")
	w.close()
}

// out writes the output row i of batch b.
func (k *kernelGen) out() {
	if k.red.p.ValsDim > 0 {
		k.w.line("data_t* vo = vals + (b * nx + i) * VALS;")
	}
	if k.red.p.IdxDim > 0 {
		k.w.line("long long* io = idx + (b * nx + i) * IDX;")
	}
	k.red.finish(k.w, "vo", "io")
}

func (k *kernelGen) prologue() {
	w := k.w
	if k.fg.sj > 0 {
		w.line("__shared__ ct sh[BLOCK * SJ];")
	}
	w.line("const long long ir = active ? i : 0;")
	w.line("(void)ir;")
	k.fg.code(w, false)
	k.red.decl(w, true)
}

func (k *kernelGen) dense1D() {
	w := k.w
	k.kernel("1d", "long long nx, long long ny, const long long* __restrict__ offs, const void* const* __restrict__ argv, data_t* __restrict__ vals, long long* __restrict__ idx")
	w.line("const long long b = blockIdx.y;")
	w.line("const long long i = (long long)blockIdx.x * BLOCK + threadIdx.x;")
	w.line("const bool active = i < nx;")
	k.argPointers(true)
	k.prologue()
	k.tiles("0", "ny")
	w.open("if (active)")
	k.out()
	w.close()
	w.close()
}

// ranges1D: block x handles item x of the table built by the launcher:
// rows [r0, r1) (at most BLOCK) reduced over the spans s0..s1 of the list
// that follows the 4*nitems item entries. Every row is in exactly one item
// (uncovered rows in items without spans), so every row is written once.
func (k *kernelGen) ranges1D() {
	w := k.w
	k.kernel("1d_ranges", "long long nx, long long ny, long long nitems, const long long* __restrict__ items, const void* const* __restrict__ argv, data_t* __restrict__ vals, long long* __restrict__ idx")
	w.line("const long long b = 0;")
	w.line("const long long* it = items + 4 * (long long)blockIdx.x;")
	w.line("const long long i = it[0] + threadIdx.x;")
	w.line("const bool active = i < it[1];")
	w.line("const long long* spans = items + 4 * nitems;")
	k.argPointers(false)
	k.prologue()
	w.open("for (long long sp = it[2]; sp < it[3]; sp++)")
	w.line("const long long lo = spans[2 * sp], hi = spans[2 * sp + 1];")
	k.tiles("lo", "hi")
	w.close()
	w.open("if (active)")
	k.out()
	w.close()
	w.close()
}

// dense2D: block (x, y, z) reduces rows x*BLOCK.. over the piece y of jchunk
// reduced indices, batch z, into its partial row.
func (k *kernelGen) dense2D() {
	w := k.w
	k.kernel("2d", "long long nx, long long ny, long long jchunk, const long long* __restrict__ offs, const void* const* __restrict__ argv, double* __restrict__ part")
	w.line("const long long b = blockIdx.z;")
	w.line("const long long i = (long long)blockIdx.x * BLOCK + threadIdx.x;")
	w.line("const bool active = i < nx;")
	w.line("const long long jlo = (long long)blockIdx.y * jchunk;")
	w.line("const long long jhi = jlo + jchunk < ny ? jlo + jchunk : ny;")
	k.argPointers(true)
	k.prologue()
	k.tiles("jlo", "jhi")
	w.open("if (active)")
	w.line("double* prow = part + (((long long)b * gridDim.y + blockIdx.y) * nx + i) * PART;")
	k.red.store(w, "prow")
	w.close()
	w.close()
}

// merge2D: thread i of block (x, b) folds the nby partial rows of row i in
// order and writes the output row.
func (k *kernelGen) merge2D() {
	w := k.w
	k.kernel("2d_merge", "long long nx, long long nby, const double* __restrict__ part, data_t* __restrict__ vals, long long* __restrict__ idx")
	w.line("const long long b = blockIdx.y;")
	w.line("const long long i = (long long)blockIdx.x * BLOCK + threadIdx.x;")
	w.line("if (i >= nx) return;")
	k.red.decl(w, false)
	w.open("for (long long y = 0; y < nby; y++)")
	w.line("const double* prow = part + ((b * nby + y) * nx + i) * PART;")
	k.red.merge(w, "prow")
	w.close()
	k.out()
	w.close()
}
