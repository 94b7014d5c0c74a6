package cudagen

import (
	"fmt"

	"github.com/gokeops/gokeops/pkg/core"
)

// The test matrix: ops x reductions x dtypes x schemes x ranges/batch. Its
// kernels are compiled by NVRTC (nvrtc_test.go) and run under the CPU
// emulation of CUDA against the CPU engine (emu_test.go).

var matrixAliases = []string{"x=Vi(3)", "y=Vj(3)", "b=Vj(1)", "p=Pm(1)", "s=Vi(1)",
	"A=Vi(9)", "z=Vi(4)", "w=Vj(4)", "K=Vj(6)"}

// matrixOps cover every primitive family; each has dimension 3 or less.
var matrixOps = []struct{ name, f string }{
	{"gauss", "Exp(-p*SqDist(x,y))*b"},
	{"elem1", "Log(Abs(x*y)+1) + Cos(x)*Sin(y) - Inv(y*y+1) + Sqrt(Abs(x)) + Rsqrt(y*y+1) + Atan(x) + Asin(y/3) + Acos(x/3) + XLogX(Abs(y)) + SinXDivX(x) + Erf(x-y)"},
	{"elem2", "Sign(x-y) + Step(y-x) + ReLU(x-y) + Floor(x*y) + Round(x*y, 1) + Pow(x-y, 3) + Square(y) + Powf(Abs(x)+1, y) + Atan2(y, x)"},
	{"elem3", "Mod(x*y, p+1, p) + Clamp(x, y, y+1) + ClampInt(x*y, -1, 1) + IfElse(x-y, x, y) + Equal(x,y) + LessThan(x,y) + LessOrEqual(x,y) + NotEqual(x,y)"},
	{"vector", "Concat(Elem(x,0)*Max(y), Extract(y,1,2)) * Min(x) + ArgMax(y) - ArgMin(x) + Sum(x*y) + (x|y) + SqNorm2(x-y)"},
	{"linalg", "MatVecMult(A, y) + VecMatMult(y, A) + Extract(TensorProd(x, y), 2, 3) + TensorDot(A, y, [3,3], [3], [1], [0])"},
	{"onehot", "Extract(OneHot(Floor(Elem(x,0)+2), 4), 1, 3) * Sum(y)"},
	{"complex", "Concat(ComplexReal(ComplexMult(z, w)) + ComplexImag(ComplexExp(ComplexSubtract(z, w))) + ComplexSquareAbs(Conj(ComplexAdd(z, w))), Elem(ComplexReal(ComplexExp1j(Extract(z, 0, 2))), 1))"},
	{"bspline", "Extract(BSpline(K, s, 2), 0, 3)"},
	{"softdtw", "SoftDTW_SqDist(x, y, p) + Elem(Grad(SoftDTW_SqDist(x, y, p), x, s), 1)"},
	{"grad", "Grad(Exp(-p*SqDist(x,y))*b + ClampInt(Sum(x*y), -1, 1), x, s)"},
}

// matrixReductions run on the formulas they accept: f (dim 3) for the
// vector ones, fs (dim 1) for the LogSumExp family.
const (
	redF  = "x*y-b"
	redFS = "p*SqDist(x,y)-b"
	redG  = "Abs(x-y)+1"
)

var matrixReductions = []struct {
	red  string
	k    int
	f, g string
}{
	{"Min", 0, redF, ""},
	{"Max", 0, redF, ""},
	{"ArgMin", 0, redF, ""},
	{"ArgMax", 0, redF, ""},
	{"Min_ArgMin", 0, redF, ""},
	{"Max_ArgMax", 0, redF, ""},
	{"KMin", 3, redF, ""},
	{"ArgKMin", 4, redF, ""},
	{"KMin_ArgKMin", 3, redF, ""},
	{"LogSumExp", 0, "-" + redFS, ""},
	{"LogSumExp", 0, "-" + redFS, redG},
	{"Max_SumShiftExp", 0, "-" + redFS, ""},
	{"Max_SumShiftExpWeight", 0, "-" + redFS, redG},
	{"SumSoftMaxWeight", 0, "-" + redFS, redG},
}

type matrixCase struct {
	name   string
	spec   core.Spec
	opt    Options
	batch  bool // run with a batch dimension (not with ranges)
	approx bool // a float16 accumulator: compare loosely
	// special: the emulation's data puts NaN and infinities in b
	// (emuSpecial), which F = x*y-b and the LogSumExp family's -F pass on.
	special bool
}

// matrix lists the cases; every generated kernel variant is in it.
func matrix() []matrixCase {
	var cs []matrixCase
	special := false
	add := func(name string, spec core.Spec, opt Options, batch bool) {
		if spec.Aliases == nil {
			spec.Aliases = matrixAliases
		}
		name = fmt.Sprintf("%s_axis%d_%s_%s", name, spec.Axis, opt.Dtype, opt.Scheme)
		switch {
		case opt.Ranges:
			name += "_ranges"
		case batch:
			name += "_batch"
		}
		if special {
			name += "_special"
		}
		cs = append(cs, matrixCase{name: name, spec: spec, opt: opt, batch: batch, approx: spec.DtypeAcc == "float16", special: special})
	}
	dtypes := []Dtype{Float32, Float64, Float16}
	for n, op := range matrixOps {
		for d, dt := range dtypes {
			for _, sc := range []Scheme{Scheme1D, Scheme2D} {
				add(op.name+"_sum", core.Spec{Formula: op.f, Reduction: "Sum", Axis: (n + d) % 2}, Options{Dtype: dt, Scheme: sc}, false)
			}
		}
		add(op.name+"_sum", core.Spec{Formula: op.f, Reduction: "Sum", Axis: n % 2}, Options{Dtype: Float64, Ranges: true}, false)
		add(op.name+"_sum", core.Spec{Formula: op.f, Reduction: "Sum", Axis: 1 - n%2}, Options{Dtype: Float32, Scheme: Scheme2D}, true)
	}
	for n, r := range matrixReductions {
		name := r.red
		if r.g != "" {
			name += "_weight"
		}
		spec := core.Spec{Formula: r.f, Formula2: r.g, Reduction: r.red, OptArg: r.k}
		for d, dt := range dtypes[:2] {
			for s, sc := range []Scheme{Scheme1D, Scheme2D} {
				spec.Axis = (n + d + s) % 2
				add(name, spec, Options{Dtype: dt, Scheme: sc}, false)
			}
		}
		spec.Axis = n % 2
		add(name, spec, Options{Dtype: Float64, Ranges: true}, false)
		spec.Axis = 1 - n%2
		add(name, spec, Options{Dtype: Float32}, true)
	}
	// Sum schemes and accumulators.
	for _, sch := range []string{"direct_sum", "kahan_scheme"} {
		for d, dt := range dtypes {
			for _, sc := range []Scheme{Scheme1D, Scheme2D} {
				add("gauss_"+sch, core.Spec{Formula: matrixOps[0].f, Reduction: "Sum", Axis: d % 2, SumScheme: sch}, Options{Dtype: dt, Scheme: sc}, false)
			}
		}
	}
	add("gauss_acc64", core.Spec{Formula: matrixOps[0].f, Reduction: "Sum", Axis: 1, DtypeAcc: "float64"}, Options{Dtype: Float32, Scheme: Scheme2D}, false)
	add("gauss_acc16", core.Spec{Formula: matrixOps[0].f, Reduction: "Sum", Axis: 1, DtypeAcc: "float16"}, Options{Dtype: Float16}, false)
	add("gauss_acc32", core.Spec{Formula: matrixOps[0].f, Reduction: "Sum", Axis: 0, DtypeAcc: "float32"}, Options{Dtype: Float16, Scheme: Scheme2D}, false)
	// Large dimensions: a tile of dim-100 float32 variables fits in shared
	// memory with blocks of 96 threads; dim-1600 ones are read from global
	// memory.
	for _, d := range []int{100, 1600} {
		al := []string{fmt.Sprintf("u=Vi(%d)", d), fmt.Sprintf("v=Vj(%d)", d)}
		name := fmt.Sprintf("dim%d", d)
		add(name+"_sum", core.Spec{Formula: "Exp(-SqDist(u,v)/100)", Aliases: al, Reduction: "Sum", Axis: 1}, Options{Dtype: Float64}, false)
		add(name+"_argkmin", core.Spec{Formula: "SqDist(u,v)", Aliases: al, Reduction: "ArgKMin", OptArg: 5, Axis: 0}, Options{Dtype: Float32, Scheme: Scheme2D}, false)
	}
	// Dimension reductions of more than chunkDim components, written in
	// chunks (chunk.go): SqDist, SqNorm2, Scalprod and Sum of elementwise
	// operands, an outer-only one (once per thread), a remainder chunk
	// (dim 100, 200 = 6 x 32 + 8), and a variable also read outside them.
	chunkAl := []string{"u=Vi(200)", "v=Vj(200)", "p=Pm(1)", "c=Vj(1)", "r=Vi(100)", "q=Vj(100)"}
	for _, sc := range []Scheme{Scheme1D, Scheme2D} {
		add("chunk200_sqdist_sum", core.Spec{Formula: "SqDist(u,v)", Aliases: chunkAl, Reduction: "Sum", Axis: 1}, Options{Dtype: Float32, Scheme: sc}, false)
		add("chunk200_mix_sum", core.Spec{Formula: "Exp(-SqNorm2(u-v)/400) * c + (u|v)/200 + Sum(Abs(u)*p) + Sum(Square(u-p*v))", Aliases: chunkAl, Reduction: "Sum", Axis: 0}, Options{Dtype: Float64, Scheme: sc}, false)
		add("chunk100_argkmin", core.Spec{Formula: "SqDist(r,q)", Aliases: chunkAl, Reduction: "ArgKMin", OptArg: 5, Axis: 1}, Options{Dtype: Float32, Scheme: sc}, false)
	}
	add("chunk200_sqdist_sum", core.Spec{Formula: "SqDist(u,v)", Aliases: chunkAl, Reduction: "Sum", Axis: 1}, Options{Dtype: Float64, Ranges: true}, false)
	add("chunk200_sqdist_sum", core.Spec{Formula: "SqDist(u,v)", Aliases: chunkAl, Reduction: "Sum", Axis: 0}, Options{Dtype: Float32}, true)
	add("chunk100_argkmin", core.Spec{Formula: "SqDist(r,q)", Aliases: chunkAl, Reduction: "ArgKMin", OptArg: 5, Axis: 0}, Options{Dtype: Float64, Ranges: true}, false)
	add("chunk100_kmin_outer", core.Spec{Formula: "SqDist(r,q) + Elem(r, 7)", Aliases: chunkAl, Reduction: "KMin", OptArg: 3, Axis: 1}, Options{Dtype: Float64}, false)
	// Special values: NaN, +-inf terms, all-infinite and all-NaN rows
	// (axis 0, where b is the output row's), pieces and spans without
	// terms, K larger than the reduced rows and than a 2D piece.
	special = true
	specials := append(matrixReductions[:len(matrixReductions):len(matrixReductions)],
		struct {
			red  string
			k    int
			f, g string
		}{"KMin_ArgKMin", emuM + 3, redF, ""})
	for _, r := range specials {
		name := r.red
		if r.g != "" {
			name += "_weight"
		}
		if r.k > emuM {
			name += "_bigk"
		}
		spec := core.Spec{Formula: r.f, Formula2: r.g, Reduction: r.red, OptArg: r.k}
		spec.Axis = 0
		add(name, spec, Options{Dtype: Float64}, false)
		add(name, spec, Options{Dtype: Float32, Scheme: Scheme2D}, false)
		add(name, spec, Options{Dtype: Float64, Ranges: true}, false)
		spec.Axis = 1
		add(name, spec, Options{Dtype: Float64, Scheme: Scheme2D}, false)
		add(name, spec, Options{Dtype: Float32, Ranges: true}, false)
	}
	for _, ax := range []int{0, 1} {
		spec := core.Spec{Formula: redF, Reduction: "Sum", Axis: ax, SumScheme: "kahan_scheme"}
		add("kahan", spec, Options{Dtype: Float32}, false)
		add("kahan", spec, Options{Dtype: Float64, Scheme: Scheme2D}, false)
		add("kahan", spec, Options{Dtype: Float64, Ranges: true}, false)
	}
	special = false
	add("elem1_fastmath", core.Spec{Formula: matrixOps[1].f, Reduction: "Sum", Axis: 1}, Options{Dtype: Float32, UseFastMath: true}, false)
	return cs
}
