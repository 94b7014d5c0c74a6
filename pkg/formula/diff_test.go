package formula_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/gokeops/gokeops/internal/oracle"
	"github.com/gokeops/gokeops/pkg/formula"
)

// aliasName is the name of argument ind.
func aliasName(ind int) string {
	name, _, _ := strings.Cut(aliasSrc[ind], "=")
	return name
}

// target is what finite differences differentiate: the formula as written,
// evaluated op by op, unless it has symbolic ops (then its lowering).
func target(t *testing.T, src string, al []formula.Alias) formula.Expr {
	t.Helper()
	written, err := formula.Checked(src, al)
	if err != nil {
		t.Fatal(err)
	}
	if !symbolic(written) {
		return written
	}
	low, err := formula.Compile(src, al)
	if err != nil {
		t.Fatal(err)
	}
	return low
}

// jacobian is dF/dV by central differences: jac[k][l] = dF_k/dV_l.
func jacobian(f formula.Expr, args [][]float64, ind int, h float64) [][]float64 {
	x := args[ind]
	var jac [][]float64
	for l := range x {
		old := x[l]
		x[l] = old + h
		fp := oracle.EvalArgs(f, args)
		x[l] = old - h
		fm := oracle.EvalArgs(f, args)
		x[l] = old
		if jac == nil {
			jac = make([][]float64, len(fp))
			for k := range jac {
				jac[k] = make([]float64, len(x))
			}
		}
		for k := range fp {
			jac[k][l] = (fp[k] - fm[k]) / (2 * h)
		}
	}
	return jac
}

// at reads component k of a vector broadcast from dim 1.
func at(v []float64, k int) float64 { return v[min(k, len(v)-1)] }

func hTol(tc opCase) (float64, float64) {
	h, tol := 1e-5, 1e-6
	if tc.h != 0 {
		h, tol = tc.h, tc.tol
	}
	return h, tol
}

func refused(tc opCase, name string) bool {
	return slices.Contains(tc.noGrad, "*") || slices.Contains(tc.noGrad, name)
}

// TestGrad checks Grad(F, V, E) against finite differences of the oracle,
// for every case and every variable, with E of F's dim and of dim 1.
func TestGrad(t *testing.T) {
	rnd := rand.New(rand.NewPCG(3, 4))
	for _, tc := range opCases {
		al := testAliases(t, fmt.Sprintf("gE=Vi(%d)", tc.dim), "gs=Vi(1)")
		f := target(t, tc.src, al)
		for _, v := range formula.Vars(f) {
			name := aliasName(v.Ind)
			for _, e := range []string{"gE", "gs"} {
				src := fmt.Sprintf("Grad(%s,%s,%s)", tc.src, name, e)
				t.Run(src, func(t *testing.T) {
					g, err := formula.Compile(src, al)
					if refused(tc, name) {
						if err == nil {
							t.Fatalf("differentiable, want an error: %s", g)
						}
						return
					}
					if err != nil {
						t.Fatal(err)
					}
					checkLowered(t, g)
					sig, err := formula.MakeSignature(al, g, f)
					if err != nil {
						t.Fatal(err)
					}
					h, tol := hTol(tc)
					lo, hi := domain(f)
					for range 3 {
						args := point(rnd, sig, lo, hi, tc.vals)
						got := oracle.EvalArgs(g, args)
						jac := jacobian(f, args, v.Ind, h)
						ev := args[len(args)-2]
						if e == "gs" {
							ev = args[len(args)-1]
						}
						for l := range got {
							fd := 0.0
							for k := range jac {
								fd += at(ev, k) * jac[k][l]
							}
							if !near(got[l], fd, tol) {
								t.Fatalf("component %d: %v, finite differences %v\nat %v\ngradient %s", l, got[l], fd, args, g)
							}
						}
					}
				})
			}
		}
	}
}

// TestDiff checks Diff(F, V, U) = J U against finite differences along U.
func TestDiff(t *testing.T) {
	rnd := rand.New(rand.NewPCG(5, 6))
	for _, tc := range opCases {
		f := target(t, tc.src, testAliases(t))
		for _, v := range formula.Vars(f) {
			name := aliasName(v.Ind)
			if refused(tc, name) {
				continue
			}
			al := testAliases(t, fmt.Sprintf("gU=Vj(%d)", v.Dim))
			src := fmt.Sprintf("Diff(%s,%s,gU)", tc.src, name)
			t.Run(src, func(t *testing.T) {
				g, err := formula.Compile(src, al)
				if err != nil {
					t.Fatal(err)
				}
				checkLowered(t, g)
				sig, err := formula.MakeSignature(al, g, f)
				if err != nil {
					t.Fatal(err)
				}
				h, tol := hTol(tc)
				lo, hi := domain(f)
				args := point(rnd, sig, lo, hi, tc.vals)
				got := oracle.EvalArgs(g, args)
				jac := jacobian(f, args, v.Ind, h)
				u := args[len(args)-1]
				for k := range got {
					fd := 0.0
					for l := range u {
						fd += jac[k][l] * u[l]
					}
					if !near(got[k], fd, tol) {
						t.Fatalf("component %d: %v, finite differences %v\nat %v\nderivative %s", k, got[k], fd, args, g)
					}
				}
			})
		}
	}
}

// TestSymbolicOps checks the linear algebra of derivatives against a
// finite-difference Jacobian J = dF/dV of the oracle (M = J for the linear
// operators, whose F is linear in V).
func TestSymbolicOps(t *testing.T) {
	al := testAliases(t)
	rnd := rand.New(rand.NewPCG(8, 9))
	arg := func(args [][]float64, name string) []float64 { return args[aliasIndex(name)] }
	for _, tc := range []struct {
		src, f, v string // the op, its formula argument F and variable V
		want      func(jac [][]float64, args [][]float64) []float64
	}{
		{"GradMatrix(Concat(x*x,Sum(x)),x)", "Concat(x*x,Sum(x))", "x", func(j [][]float64, _ [][]float64) []float64 {
			return slices.Concat(j...)
		}},
		{"GradMatrix(MatVecMult(M,Exp(x)),x)", "MatVecMult(M,Exp(x))", "x", func(j [][]float64, _ [][]float64) []float64 {
			return slices.Concat(j...)
		}},
		{"Divergence(x*y,x)", "x*y", "x", trace},
		{"Divergence(MatVecMult(A,x)*Sin(x),x)", "MatVecMult(A,x)*Sin(x)", "x", trace},
		{"Divergence(ReLU(x-y)+Normalize(x),x)", "ReLU(x-y)+Normalize(x)", "x", trace},
		{"TraceOperator(x*y,x)", "x*y", "x", trace},
		{"TraceOperator(MatVecMult(A,x),x,y)", "MatVecMult(A,x)", "x", func(j [][]float64, args [][]float64) []float64 {
			s, w := 0.0, arg(args, "y")
			for k := range j {
				s += w[k] * j[k][k]
			}
			return []float64{s}
		}},
		{"TraceOperator(MatVecMult(A,x),x,p)", "MatVecMult(A,x)", "x", func(j [][]float64, args [][]float64) []float64 {
			return []float64{arg(args, "p")[0] * trace(j, args)[0]}
		}},
		{"TraceOperator(Sum(x*y),x,y)", "Sum(x*y)", "x", func(j [][]float64, args [][]float64) []float64 {
			s, w := 0.0, arg(args, "y")
			for l := range j[0] {
				s += w[l] * j[0][l]
			}
			return []float64{s}
		}},
		{"AdjointOperator(MatVecMult(M,x),x,b)", "MatVecMult(M,x)", "x", func(j [][]float64, args [][]float64) []float64 {
			u := arg(args, "b")
			out := make([]float64, len(j[0]))
			for k := range j {
				for l := range j[k] {
					out[l] += j[k][l] * u[k]
				}
			}
			return out
		}},
		{"SumLinOperator(MatVecMult(M,x),x,b,y)", "MatVecMult(M,x)", "x", func(j [][]float64, args [][]float64) []float64 {
			wl, wr := arg(args, "b"), arg(args, "y")
			s := 0.0
			for k := range j {
				for l := range j[k] {
					s += wl[k] * j[k][l] * wr[l]
				}
			}
			return []float64{s}
		}},
		{"SumLinOperator(x*y,x,wr=p)", "x*y", "x", func(j [][]float64, args [][]float64) []float64 {
			s := 0.0
			for k := range j {
				for l := range j[k] {
					s += j[k][l] * arg(args, "p")[0]
				}
			}
			return []float64{s}
		}},
		{"GradFromPos(SqDist(x,y)*p,1,s)", "SqDist(x,y)*p", "y", func(j [][]float64, args [][]float64) []float64 {
			out := make([]float64, len(j[0]))
			for l := range out {
				out[l] = arg(args, "s")[0] * j[0][l]
			}
			return out
		}},
	} {
		t.Run(tc.src, func(t *testing.T) {
			g, err := formula.Compile(tc.src, al)
			if err != nil {
				t.Fatal(err)
			}
			checkLowered(t, g)
			f, err := formula.Checked(tc.f, al)
			if err != nil {
				t.Fatal(err)
			}
			sig, err := formula.MakeSignature(al, f, g)
			if err != nil {
				t.Fatal(err)
			}
			for range 3 {
				args := point(rnd, sig, -2, 2, nil)
				want := tc.want(jacobian(f, args, aliasIndex(tc.v), 1e-5), args)
				if got := oracle.EvalArgs(g, args); !nearAll(got, want, 1e-6) {
					t.Fatalf("%v, finite differences %v\nlowered %s", got, want, g)
				}
			}
		})
	}
}

func trace(j [][]float64, _ [][]float64) []float64 {
	s := 0.0
	for k := range j {
		s += j[k][k]
	}
	return []float64{s}
}

// TestLaplacian checks Laplacian(F, V) against second differences.
func TestLaplacian(t *testing.T) {
	al := testAliases(t)
	rnd := rand.New(rand.NewPCG(10, 11))
	for _, f := range []string{"SqNorm2(x)", "Exp(-SqDist(x,y))", "Sin(Sum(x*y))*Norm2(x)", "Log(1+SqNorm2(MatVecMult(A,x)))"} {
		src := "Laplacian(" + f + ",x)"
		t.Run(src, func(t *testing.T) {
			g, err := formula.Compile(src, al)
			if err != nil {
				t.Fatal(err)
			}
			checkLowered(t, g)
			fe, _ := formula.Checked(f, al)
			sig, _ := formula.MakeSignature(al, fe, g)
			args := point(rnd, sig, -1, 1, nil)
			x := args[aliasIndex("x")]
			const h = 1e-4
			f0 := oracle.EvalArgs(fe, args)[0]
			want := 0.0
			for l := range x {
				old := x[l]
				x[l] = old + h
				fp := oracle.EvalArgs(fe, args)[0]
				x[l] = old - h
				fm := oracle.EvalArgs(fe, args)[0]
				x[l] = old
				want += (fp - 2*f0 + fm) / (h * h)
			}
			if got := oracle.EvalArgs(g, args)[0]; !near(got, want, 1e-5) {
				t.Fatalf("%v, second differences %v\nlowered %s", got, want, g)
			}
		})
	}
}
