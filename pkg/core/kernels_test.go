package core

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gokeops/gokeops/internal/oracle"
	"github.com/gokeops/gokeops/pkg/formula"
)

// Tests of the generated elementwise kernels (kernels_gen_test.go lists
// them), in whichever flavour this build compiles: every kernel at every
// length from 0 to 2·lanes+1 and at a full tile, at several offsets inside
// a buffer whose bands around the output must stay untouched, against
// internal/oracle.

// kernelForm is the argument shape of a kernel (kerngen's forms).
type kernelForm int

const (
	formUnary   kernelForm = iota // dst, x []T
	formVV                        // dst, x, y []T
	formVS                        // dst, x []T, y T
	formSV                        // dst []T, x T, y []T
	formTernary                   // dst, x, y, z []T, each of length len(dst) or 1
)

// kernelCase is one generated kernel. run calls it with the argument
// columns a (a broadcast argument is a[k][0]) and the integer parameters.
type kernelCase[T float] struct {
	prim formula.Prim
	name string
	form kernelForm
	ints int
	run  func(dst []T, a [][]T, ints []int)
}

// opOf is the formula op computing primitive p (the oracle evaluates ops).
func opOf(p formula.Prim) formula.Op {
	for o := formula.Op(1); int(o) < formula.NumOps; o++ {
		if o.Info().Prim == p {
			return o
		}
	}
	panic(fmt.Sprintf("no op for primitive %d", p))
}

// intsFor lists the integer parameters each kernel is tried with.
func intsFor(p formula.Prim) [][]int {
	switch p {
	case formula.PrimRound:
		return [][]int{{0}, {2}, {-1}}
	case formula.PrimPow:
		return [][]int{{0}, {1}, {2}, {-3}, {7}}
	case formula.PrimClampInt, formula.PrimDiffClampInt:
		return [][]int{{-1, 1}, {2, -2}}
	}
	return [][]int{nil}
}

// kernelInputs are the values the kernels are tried on: special values,
// signed zeros, halves for Round, values on both sides of the comparisons,
// then random ones. Subnormals are left to the accuracy tests (math.Log,
// which the oracle calls, is wrong on them on amd64).
func kernelInputs(rng *rand.Rand) []float64 {
	xs := []float64{0, math.Copysign(0, -1), 1, -1, 0.5, -0.5, 2.5, -2.5, 0.7, -0.3, 3, -3, 1e-300, -1e-300,
		1e300, -1e300, 100, -100, 1000, math.Inf(1), math.Inf(-1), math.NaN(), 0.25, 1, 2, math.Pi}
	for range 200 {
		xs = append(xs, rng.NormFloat64()*3, rng.Float64()*2-1)
	}
	return xs
}

func lanesOf[T float]() int {
	if isFloat64[T]() {
		return 4
	}
	return 8
}

// The guard bands hold a NaN with a payload no kernel produces, compared
// bit for bit.
const (
	guard64 = 0x7ff8_dead_beef_0001
	guard32 = 0x7fc0_dead
	band    = 9 // elements of guard before and after the output
)

func guardValue[T float]() T {
	if isFloat64[T]() {
		return T(math.Float64frombits(guard64))
	}
	var v float32 = math.Float32frombits(guard32)
	return T(v)
}

func isGuard[T float](v T) bool {
	if isFloat64[T]() {
		return math.Float64bits(float64(v)) == guard64
	}
	return math.Float32bits(float32(v)) == guard32
}

func TestKernelsF64(t *testing.T) { testKernels(t, kernelsF64, 1e-15) }
func TestKernelsF32(t *testing.T) { testKernels(t, kernelsF32, 3e-7) }

func testKernels[T float](t *testing.T, kernels []kernelCase[T], tol float64) {
	rng := rand.New(rand.NewPCG(11, 12))
	pool := kernelInputs(rng)
	lanes := lanesOf[T]()
	var lengths []int
	for n := 0; n <= 2*lanes+1; n++ {
		lengths = append(lengths, n)
	}
	lengths = append(lengths, tileSize, tileSize-lanes+1)
	for _, k := range kernels {
		t.Run(k.name, func(t *testing.T) {
			// Which arguments are broadcast: fixed by the form, or every
			// combination for the ternary kernels.
			var patterns []uint
			switch k.form {
			case formVS:
				patterns = []uint{0b10}
			case formSV:
				patterns = []uint{0b01}
			case formTernary:
				for m := uint(0); m < 8; m++ {
					patterns = append(patterns, m)
				}
			default:
				patterns = []uint{0}
			}
			worst := 0.0
			for _, ints := range intsFor(k.prim) {
				for _, bc := range patterns {
					for _, n := range lengths {
						for off := 0; off < lanes; off++ {
							start := (n*7 + off*13 + int(bc)*5) % len(pool)
							e := checkKernel(t, k, ints, bc, n, off, pool, start, tol)
							worst = max(worst, e)
						}
					}
				}
			}
			if worst > 0 {
				t.Logf("max relative error %.2e", worst)
			}
		})
	}
}

// checkKernel runs kernel k once at length n, with the output at offset
// off of a guarded buffer, and returns the largest relative error.
func checkKernel[T float](t *testing.T, k kernelCase[T], ints []int, bc uint, n, off int, pool []float64, start int, tol float64) float64 {
	t.Helper()
	arity := k.prim.Arity()
	args := make([][]T, arity)
	wide := make([][]float64, arity)
	exprs := make([]formula.Expr, arity)
	for a := range args {
		m := n
		if bc>>a&1 != 0 {
			m = 1
		}
		args[a] = make([]T, m)
		wide[a] = make([]float64, m)
		for i := range args[a] {
			args[a][i] = T(pool[(start+i*(a+2)+a*31)%len(pool)])
			wide[a][i] = float64(args[a][i])
		}
		exprs[a] = &formula.Var{Ind: a, Dim: m}
	}
	buf := make([]T, off+n+band)
	g := guardValue[T]()
	for i := range buf {
		buf[i] = g
	}
	dst := buf[off : off+n]
	k.run(dst, args, ints)
	for i := range buf {
		if (i < off || i >= off+n) && !isGuard(buf[i]) {
			t.Fatalf("ints %v broadcast %03b n=%d offset %d: wrote %v at %d, outside dst", ints, bc, n, off, buf[i], i-off)
		}
	}
	want := oracle.EvalArgs(formula.NewCall(opOf(k.prim), exprs, ints...), wide)
	if n > 0 && len(want) == 1 && n != 1 { // every argument broadcast: one value for the whole tile
		for len(want) < n {
			want = append(want, want[0])
		}
	}
	worst := 0.0
	for i := range dst {
		var e float64
		if isFloat64[T]() {
			e = relErr(float64(dst[i]), want[i])
		} else {
			e = relErr32(float32(dst[i]), float32(want[i]))
		}
		if e > tol {
			in := make([]float64, arity)
			for a := range in {
				in[a] = wide[a][min(i, len(wide[a])-1)]
			}
			t.Fatalf("ints %v broadcast %03b n=%d: element %d of %v is %v, want %v (relative error %.2e)", ints, bc, n, i, in, dst[i], want[i], e)
		}
		worst = max(worst, e)
	}
	return worst
}

// relErr is the relative error of got, 0 when both are the same special
// value, and +Inf when they differ in kind (NaN, Inf, zero or its sign).
func relErr(got, want float64) float64 {
	switch {
	case math.IsNaN(want) || math.IsNaN(got):
		if math.IsNaN(want) && math.IsNaN(got) {
			return 0
		}
		return math.Inf(1)
	case got == want:
		if got == 0 && math.Signbit(got) != math.Signbit(want) {
			return math.Inf(1)
		}
		return 0
	case math.IsInf(want, 0) || want == 0:
		return math.Inf(1)
	case math.Abs(want) < 0x1p-1022:
		// A subnormal result carries fewer digits: count in units of the smallest normal.
		return math.Abs(got-want) / 0x1p-1022
	}
	return math.Abs(got-want) / math.Abs(want)
}

// relErr32 is relErr for float32 results.
func relErr32(got, want float32) float64 {
	if w := math.Abs(float64(want)); w != 0 && w < 0x1p-126 && !math.IsNaN(float64(got)) {
		return math.Abs(float64(got)-float64(want)) / 0x1p-126
	}
	return relErr(float64(got), float64(want))
}

// TestKernelCoverage checks that every elementwise primitive has its
// kernels, in this build's flavour, for both element types: one kernel for
// one and three arguments, three (VV, VS, SV) for two.
func TestKernelCoverage(t *testing.T) {
	type key struct {
		p formula.Prim
		f kernelForm
	}
	have64, have32 := map[key]bool{}, map[key]bool{}
	for _, k := range kernelsF64 {
		have64[key{k.prim, k.form}] = true
	}
	for _, k := range kernelsF32 {
		have32[key{k.prim, k.form}] = true
	}
	for p := formula.Prim(0); p < formula.NumPrims; p++ {
		var forms []kernelForm
		switch p.Arity() {
		case 1:
			forms = []kernelForm{formUnary}
		case 2:
			forms = []kernelForm{formVV, formVS, formSV}
		case 3:
			forms = []kernelForm{formTernary}
		}
		if p.Elementwise() != (len(forms) > 0) {
			t.Errorf("primitive %d: Elementwise and Arity disagree", p)
		}
		for _, f := range forms {
			if !have64[key{p, f}] || !have32[key{p, f}] {
				t.Errorf("primitive %d (op %v) has no kernel of form %d", p, opOf(p), f)
			}
		}
	}
	if len(have64) != len(kernelsF64) || len(have32) != len(kernelsF32) {
		t.Errorf("a primitive has two kernels of the same form")
	}
}

// TestKernelsDoNotAllocate runs every kernel through the entry points of
// frame.go, on values that also take the lanes math recomputes (zeros,
// NaN, infinities, huge sine arguments).
func TestKernelsDoNotAllocate(t *testing.T) {
	x := make([]float64, tileSize-3)
	for i := range x {
		x[i] = float64(i)/100 - 1
	}
	copy(x, []float64{0, math.NaN(), math.Inf(1), 1e300, -1e10})
	dst := make([]float64, len(x))
	x32, dst32 := make([]float32, len(x)), make([]float32, len(x))
	for i, v := range x {
		x32[i] = float32(v)
	}
	for p := formula.PrimMinus; p.Elementwise(); p++ {
		all := intsFor(p)
		ints := all[len(all)-1]
		var f func()
		switch p.Arity() {
		case 1:
			f = func() { unaryTile(p, ints, dst, x); unaryTile(p, ints, dst32, x32) }
		case 2:
			f = func() {
				binaryTile(p, dst, x, x)
				binaryTile(p, dst, x[:1], x)
				binaryTile(p, dst32, x32, x32[:1])
			}
		default:
			f = func() { ternaryTile(p, dst, x, x[:1], x); ternaryTile(p, dst32, x32, x32, x32[:1]) }
		}
		if a := testing.AllocsPerRun(20, f); a != 0 {
			t.Errorf("primitive %v: %v allocations per call", opOf(p), a)
		}
	}
}

// BenchmarkKernels times a few generated kernels on one tile beside the
// plain loop of math functions they replace, in ns per element.
func BenchmarkKernels(b *testing.B) {
	rng := rand.New(rand.NewPCG(5, 6))
	type bench struct {
		name   string
		lo, hi float64
		k64    func(dst, x []float64)
		k32    func(dst, x []float32)
		loop64 func(dst, x []float64)
		loop32 func(dst, x []float32)
	}
	benches := []bench{
		{"exp", -10, 10, expF64, expF32,
			func(dst, x []float64) {
				for t := range dst {
					dst[t] = math.Exp(x[t])
				}
			},
			func(dst, x []float32) {
				for t := range dst {
					dst[t] = float32(math.Exp(float64(x[t])))
				}
			}},
		{"log", 0.01, 100, logF64, logF32,
			func(dst, x []float64) {
				for t := range dst {
					dst[t] = math.Log(x[t])
				}
			},
			func(dst, x []float32) {
				for t := range dst {
					dst[t] = float32(math.Log(float64(x[t])))
				}
			}},
		{"sin", -10, 10, sinF64, sinF32,
			func(dst, x []float64) {
				for t := range dst {
					dst[t] = math.Sin(x[t])
				}
			},
			func(dst, x []float32) {
				for t := range dst {
					dst[t] = float32(math.Sin(float64(x[t])))
				}
			}},
		{"atan", -10, 10, atanF64, atanF32,
			func(dst, x []float64) {
				for t := range dst {
					dst[t] = math.Atan(x[t])
				}
			},
			func(dst, x []float32) {
				for t := range dst {
					dst[t] = float32(math.Atan(float64(x[t])))
				}
			}},
		{"pow3", -10, 10, func(dst, x []float64) { powF64(dst, x, 3) }, func(dst, x []float32) { powF32(dst, x, 3) },
			func(dst, x []float64) {
				for t := range dst {
					dst[t] = math.Pow(x[t], 3)
				}
			},
			func(dst, x []float32) {
				for t := range dst {
					dst[t] = float32(math.Pow(float64(x[t]), 3))
				}
			}},
		{"mul", -10, 10, func(dst, x []float64) { mulVVF64(dst, x, x) }, func(dst, x []float32) { mulVVF32(dst, x, x) },
			func(dst, x []float64) {
				for t := range dst {
					dst[t] = x[t] * x[t]
				}
			},
			func(dst, x []float32) {
				for t := range dst {
					dst[t] = x[t] * x[t]
				}
			}},
	}
	const n = tileSize
	perElem := func(b *testing.B) {
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/elem")
	}
	for _, bc := range benches {
		x := uniform(rng, n, bc.lo, bc.hi)
		dst := make([]float64, n)
		x32, dst32 := make([]float32, n), make([]float32, n)
		for i, v := range x {
			x32[i] = float32(v)
		}
		for _, k := range []struct {
			name string
			f64  func(dst, x []float64)
			f32  func(dst, x []float32)
		}{{"kernel", bc.k64, bc.k32}, {"loop", bc.loop64, bc.loop32}} {
			b.Run(bc.name+"/f64/"+k.name, func(b *testing.B) {
				for b.Loop() {
					k.f64(dst, x)
				}
				perElem(b)
			})
			b.Run(bc.name+"/f32/"+k.name, func(b *testing.B) {
				for b.Loop() {
					k.f32(dst32, x32)
				}
				perElem(b)
			})
		}
	}
}
