//go:build goexperiment.simd && amd64 && linux

package core

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
	"unsafe"

	"simd/archsimd"

	"github.com/gokeops/gokeops/pkg/formula"
)

// jitCovered are formulas the compiler must take (whatever else the planner
// folds: these go through the general pair level), with the aliases of
// jitAliases.
var jitCovered = []string{
	"(1+Sqrt(3)*Sqrt(SqDist(x,y)))*Exp(-Sqrt(3)*Sqrt(SqDist(x,y)))*b",
	"x*y + b",
	"Exp(x-y)",
	"Sqrt(Abs(x-y))*b/(g+SqNorm2(y))",
	"IfElse(Elem(x,0)-Elem(y,1), ReLU(x-y), Step(y))",
	"Max(x-y)*b",
	"Concat(Sign(x-y), Rsqrt(SqDist(x,y)))",
	"Exp(-Sqrt(SqDist(x,y)+g))*b",
	"Grad(Exp(-SqDist(x,y)/g)*b, x, e)",
	"Clamp(x-y, -g, g) * Inv(b)",
	"Log(1+SqDist(x,y))*b",
	"Exp(-((x-y)|MatVecMult(A,x-y)))*b",
	"Concat(TensorProd(x,y), OneHot(b,4))",
	"Sin(x-y)*Pow(b,3)",
}

var jitAliases = []string{"g=Pm(1)", "x=Vi(3)", "y=Vj(3)", "b=Vj(1)", "e=Vi(1)", "A=Pm(9)"}

func TestJITCoverage(t *testing.T) {
	if !jitSupported {
		t.Skip("the machine lacks AVX2 or FMA")
	}
	for _, src := range jitCovered {
		k, err := Compile(Spec{Formula: src, Aliases: jitAliases, Reduction: "Sum", Axis: 1})
		if err != nil {
			t.Fatal(err)
		}
		for _, f64 := range []bool{true, false} {
			l := compileJit(k.prog, f64, jitSum)
			if l == nil {
				l = compileJit(k.prog, f64, jitStore) // too wide for registers
			}
			if l == nil {
				t.Errorf("%s (float64 %v): not compiled", src, f64)
			} else {
				l.code.Release()
			}
		}
	}
	if n := jitCompilePanics.Load(); n != 0 {
		t.Errorf("%d compilations failed with an internal error", n)
	}
}

// TestJITBlockLayout checks the offsets the generated code reads the
// argument block at.
func TestJITBlockLayout(t *testing.T) {
	var b jitBlock
	got := []uintptr{unsafe.Offsetof(b.tile), unsafe.Offsetof(b.parm), unsafe.Offsetof(b.consts), unsafe.Offsetof(b.scratch),
		unsafe.Offsetof(b.end), unsafe.Offsetof(b.tail), unsafe.Offsetof(b.store), unsafe.Offsetof(b.rows)}
	want := []uintptr{blkTile, blkParm, blkConsts, blkScratch, blkEnd, blkTail, blkStore, blkRows}
	if !slices.Equal(got, want) {
		t.Errorf("jitBlock offsets %v, the code's %v", got, want)
	}
}

// expInputs are the special values and range edges of the vector exp,
// then random values over its whole range.
func expInputs(f64 bool) []float64 {
	xs := []float64{0, math.Copysign(0, -1), 1, -1, 0.5, 700, 708, 708.5, 709.7, 709.8, 710, 1000, -700, -708, -708.5,
		-720, -745, -745.2, -746, -1000, math.Inf(1), math.Inf(-1), math.NaN(), 87, 88, 88.7, 89, -87, -87.5, -100, -103.9, -104, -110}
	rng := rand.New(rand.NewPCG(7, 8))
	for range 2000 {
		if f64 {
			xs = append(xs, (rng.Float64()*2-1)*750)
		} else {
			xs = append(xs, float64(float32((rng.Float64()*2-1)*110)))
		}
	}
	return xs
}

// logInputs are the special values of the vector log, subnormals, then
// random values over the whole exponent range.
func logInputs(f64 bool) []float64 {
	xs := []float64{0, math.Copysign(0, -1), 1, -1, 2, 0.5, math.Sqrt2 / 2, math.Inf(1), math.Inf(-1), math.NaN(),
		5e-324, 1e-310, 0x1p-1022, 1e-40, 1e-45, 0x1p-126, math.MaxFloat64, math.MaxFloat32}
	rng := rand.New(rand.NewPCG(9, 10))
	for range 2000 {
		if f64 {
			xs = append(xs, math.Ldexp(rng.Float64()+0.5, rng.IntN(2100)-1074))
		} else {
			xs = append(xs, float64(float32(math.Ldexp(rng.Float64()+0.5, rng.IntN(276)-150))))
		}
	}
	return xs
}

// trigInputs are values around the octants, then random values up to
// and beyond math's reduction threshold 2^29.
func trigInputs(f64 bool) []float64 {
	xs := []float64{math.Pi, -math.Pi, math.Pi / 4, math.Pi / 2, 3 * math.Pi / 4, 1 << 29, -(1 << 29), 1<<29 - 1, 1e10, -1e300}
	rng := rand.New(rand.NewPCG(13, 14))
	for range 2000 {
		xs = append(xs, (rng.Float64()*2-1)*math.Ldexp(1, rng.IntN(34)-3))
	}
	return xs
}

// unitInputs are values in [-1.1, 1.1], around the branches of asin and
// acos.
func unitInputs(f64 bool) []float64 {
	xs := []float64{0.5, -0.5, 0.7, -0.7, 0.66, 1, -1, 1.0000001, -1.0000001}
	rng := rand.New(rand.NewPCG(15, 16))
	for range 2000 {
		xs = append(xs, (rng.Float64()*2-1)*1.1)
	}
	return xs
}

// TestJITMathBits checks that the compiled loop gives the bits of the
// interpreter's vector kernels (unaryTile on whole vectors: expF64x4,
// logF32x8...) for the unary primitives it covers: Sum over j of F(x*y)
// with x = 1 and one j per call, each term alone in its sum (which makes
// -0 into +0 on both sides).
func TestJITMathBits(t *testing.T) {
	if !jitSupported {
		t.Skip("the machine lacks AVX2 or FMA")
	}
	defer func(on bool) { jitOn = on }(jitOn)
	jitOn = true
	special := []float64{0, math.Copysign(0, -1), 1, -1, 0.5, -0.5, 1.5, -2.5, 2, math.Sqrt2 / 2, math.Inf(1), math.Inf(-1), math.NaN(),
		5e-324, 1e-310, 0x1p-1022, 1e-40, 1e-45, 0x1p-126, math.MaxFloat64, math.MaxFloat32, 1e-200, 1e200}
	fns := []struct {
		src    string
		prim   formula.Prim
		ints   []int
		inputs func(bool) []float64
	}{
		{"Exp", formula.PrimExp, nil, expInputs},
		{"Log", formula.PrimLog, nil, logInputs},
		{"XLogX", formula.PrimXLogX, nil, logInputs},
		{"Sqrt", formula.PrimSqrt, nil, logInputs},
		{"Rsqrt", formula.PrimRsqrt, nil, logInputs},
		{"Inv", formula.PrimInv, nil, logInputs},
		{"Abs", formula.PrimAbs, nil, expInputs},
		{"Sign", formula.PrimSign, nil, expInputs},
		{"Step", formula.PrimStep, nil, expInputs},
		{"ReLU", formula.PrimReLU, nil, expInputs},
		{"Floor", formula.PrimFloor, nil, expInputs},
		{"Round(%s,2)", formula.PrimRound, []int{2}, expInputs},
		{"Round(%s,-1)", formula.PrimRound, []int{-1}, expInputs},
		{"Pow(%s,3)", formula.PrimPow, []int{3}, expInputs},
		{"Pow(%s,-2)", formula.PrimPow, []int{-2}, logInputs},
		{"Pow(%s,7)", formula.PrimPow, []int{7}, logInputs},
		{"ClampInt(%s,-3,5)", formula.PrimClampInt, []int{-3, 5}, expInputs},
		{"Sin", formula.PrimSin, nil, trigInputs},
		{"Atan", formula.PrimAtan, nil, expInputs},
		{"Asin", formula.PrimAsin, nil, unitInputs},
		{"Acos", formula.PrimAcos, nil, unitInputs},
		{"Cos", formula.PrimCos, nil, trigInputs},
		{"SinXDivX", formula.PrimSinXDivX, nil, trigInputs},
	}
	for _, fn := range fns {
		src := fn.src + "(%s)"
		if strings.Contains(fn.src, "%s") {
			src = fn.src
		}
		k, err := Compile(Spec{Formula: fmt.Sprintf(src, "x*y"), Aliases: []string{"x=Vi(1)", "y=Vj(1)"}, Reduction: "Sum", Axis: 1})
		if err != nil {
			t.Fatal(err)
		}
		for _, f64 := range []bool{true, false} {
			for _, v := range append(slices.Clone(special), fn.inputs(f64)...) {
				var got, want uint64
				if f64 {
					c := &Call[float64]{Args: [][]float64{{1}, {v}}, ArgBatch: make([][]int, 2), M: 1, N: 1, Workers: 1, Vals: make([]float64, 1)}
					if err := Run(k, c); err != nil {
						t.Fatal(err)
					}
					x, dst := []float64{v, v, v, v}, make([]float64, 4)
					unaryTile(fn.prim, fn.ints, dst, x)
					got, want = math.Float64bits(c.Vals[0]), math.Float64bits(dst[0]+0)
				} else {
					v32 := float32(v)
					c := &Call[float32]{Args: [][]float32{{1}, {v32}}, ArgBatch: make([][]int, 2), M: 1, N: 1, Workers: 1, Vals: make([]float32, 1)}
					if err := Run(k, c); err != nil {
						t.Fatal(err)
					}
					x, dst := []float32{v32, v32, v32, v32, v32, v32, v32, v32}, make([]float32, 8)
					unaryTile(fn.prim, fn.ints, dst, x)
					got, want = uint64(math.Float32bits(c.Vals[0])), uint64(math.Float32bits(dst[0]+0))
				}
				if got != want {
					t.Errorf("float64 %v: %s at %v has bits %#x, the vector kernel %#x", f64, fmt.Sprintf(src, "x"), v, got, want)
				}
			}
			if k.prog.jit.loop[b2u(f64)][jitSum] == nil {
				t.Errorf("%s (float64 %v) was not compiled", fmt.Sprintf(src, "x*y"), f64)
			}
		}
	}
}

func b2u(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestJITAtan2Bits checks Atan2 against the interpreter's vector kernel,
// the special cases (zeros, infinities, NaN) that math.Atan2 computes
// included: the loop hands those rows back to the interpreter.
func TestJITAtan2Bits(t *testing.T) {
	if !jitSupported {
		t.Skip("the machine lacks AVX2 or FMA")
	}
	defer func(on bool) { jitOn = on }(jitOn)
	jitOn = true
	vals := []float64{0, math.Copysign(0, -1), 1, -1, 0.3, -2.5, 1e300, -1e-300, math.Inf(1), math.Inf(-1), math.NaN()}
	rng := rand.New(rand.NewPCG(17, 18))
	for range 30 {
		vals = append(vals, rng.NormFloat64()*10)
	}
	k, err := Compile(Spec{Formula: "Atan2(x*y, w)", Aliases: []string{"x=Vi(1)", "y=Vj(1)", "w=Vj(1)"}, Reduction: "Sum", Axis: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, f64 := range []bool{true, false} {
		for _, yv := range vals {
			for _, xv := range vals {
				var got, want uint64
				if f64 {
					c := &Call[float64]{Args: [][]float64{{1}, {yv}, {xv}}, ArgBatch: make([][]int, 3), M: 1, N: 1, Workers: 1, Vals: make([]float64, 1)}
					if err := Run(k, c); err != nil {
						t.Fatal(err)
					}
					dst := make([]float64, 4)
					binaryTile(formula.PrimAtan2, dst, []float64{yv, yv, yv, yv}, []float64{xv, xv, xv, xv})
					got, want = math.Float64bits(c.Vals[0]), math.Float64bits(dst[0]+0)
				} else {
					y32, x32 := float32(yv), float32(xv)
					c := &Call[float32]{Args: [][]float32{{1}, {y32}, {x32}}, ArgBatch: make([][]int, 3), M: 1, N: 1, Workers: 1, Vals: make([]float32, 1)}
					if err := Run(k, c); err != nil {
						t.Fatal(err)
					}
					dst := make([]float32, 8)
					ys, xs := make([]float32, 8), make([]float32, 8)
					for l := range ys {
						ys[l], xs[l] = y32, x32
					}
					binaryTile(formula.PrimAtan2, dst, ys, xs)
					got, want = uint64(math.Float32bits(c.Vals[0])), uint64(math.Float32bits(dst[0]+0))
				}
				if got != want {
					t.Errorf("float64 %v: Atan2(%v, %v) has bits %#x, the vector kernel %#x", f64, yv, xv, got, want)
				}
			}
		}
		if k.prog.jit.loop[b2u(f64)][jitSum] == nil {
			t.Errorf("Atan2 (float64 %v) was not compiled", f64)
		}
	}
}

// TestJITPowBits checks Pow against powIntF64x4 bit for bit, the lanes
// the vector function recomputes with math.Pow included (the loop hands
// those rows back to the interpreter).
func TestJITPowBits(t *testing.T) {
	if !jitSupported {
		t.Skip("the machine lacks AVX2 or FMA")
	}
	defer func(on bool) { jitOn = on }(jitOn)
	jitOn = true
	xs := []float64{0, math.Copysign(0, -1), 1, -1, 2, -3.5, 1e-200, -1e-200, 1e200, -1e200, 5e-324, 1e-310,
		math.Inf(1), math.Inf(-1), math.NaN(), 0.9999999, 1.0000001, math.MaxFloat64}
	rng := rand.New(rand.NewPCG(11, 12))
	for range 500 {
		xs = append(xs, math.Ldexp(rng.Float64()*2-1, rng.IntN(200)-100))
	}
	for _, n := range []int{0, 1, 2, 3, 7, 16, -1, -2, -3, -7, 100} {
		k, err := Compile(Spec{Formula: fmt.Sprintf("Pow(x*y,%d)", n), Aliases: []string{"x=Vi(1)", "y=Vj(1)"}, Reduction: "Sum", Axis: 1})
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range xs {
			c := &Call[float64]{Args: [][]float64{{1}, {v}}, ArgBatch: make([][]int, 2), M: 1, N: 1, Workers: 1, Vals: make([]float64, 1)}
			if err := Run(k, c); err != nil {
				t.Fatal(err)
			}
			var lanes [4]float64
			powIntF64x4(archsimd.BroadcastFloat64x4(v), n).Store(&lanes)
			archsimd.ClearAVXUpperBits()
			// The sum of the one term starts from +0, so -0 comes out +0.
			if got, want := math.Float64bits(c.Vals[0]), math.Float64bits(lanes[0]+0); got != want {
				t.Errorf("Pow(%v, %d) has bits %#x, the vector function %#x", v, n, got, want)
			}
		}
		if n > 1 && k.prog.jit.loop[1][jitSum] == nil {
			t.Errorf("Pow(x*y,%d) was not compiled", n)
		}
	}
}

// BenchmarkJITCompile is the first call's price of a new formula: the
// plan (Compile: parse, lower, program) and the code generation of its
// loop (lowered, allocated, encoded, mapped), per formula.
func BenchmarkJITCompile(b *testing.B) {
	for _, f := range jitBenchFormulas {
		b.Run(f.name, func(b *testing.B) {
			mode := jitSum
			if f.red != "Sum" {
				mode = jitStore
			}
			var plan, gen time.Duration
			for it := 0; it < b.N; it++ {
				t0 := time.Now()
				k, err := Compile(Spec{Formula: f.src, Aliases: []string{"g=Pm(1)", "x=Vi(3)", "y=Vj(3)", "b=Vj(1)", "e=Vi(1)", "A=Pm(9)"}, Reduction: f.red, Axis: 1})
				if err != nil {
					b.Fatal(err)
				}
				p := newProgram(k.Formula, k.Formula2, k.outerCat, false)
				t1 := time.Now()
				l := compileJit(p, true, mode)
				gen += time.Since(t1)
				plan += t1.Sub(t0)
				if l == nil {
					b.Fatal("not compiled")
				}
				l.code.Release()
			}
			b.ReportMetric(float64(plan.Microseconds())/float64(b.N), "us-plan")
			b.ReportMetric(float64(gen.Microseconds())/float64(b.N), "us-codegen")
		})
	}
}
