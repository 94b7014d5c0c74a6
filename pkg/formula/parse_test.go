package formula_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/gokeops/gokeops/pkg/formula"
)

// valid formulas: they parse, bind, check and lower with the test aliases.
var valid = []string{
	"Exp(-SqDist(x,y))*b",
	"Exp(-p*SqDist(x,y))*b",
	"Grad(SqNorm2(x),x,s)",
	"x*2.5", "Exp(0.5)", "x*(1/2)", "x*1e-3", "x/3", "3/x", "2*3*x", "x*(2*3)",
	"x**-1", "x**1", "x**2", "-x**2", "(-x)**2", "x**(1+1)",
	"x|y*2", "(x|y)", "x<y", "x>=y", "x < (y|x)",
	"Var(0,3,0)*Var(1,3,1)", "IntCst(3)*x", "RatCst(2,4)*x", "IntInv(3)*x", "Zero(3)+x",
	"TensorDot(T,r,[2,2,3],[3,2],[2],[0],permute=[2,0,1])",
	"TensorDot(T, r, [2, 2, 3], [3, 2], [2], [0], [2, 0, 1])",
	"SumLinOperator(x*y,x,wr=y)", "SumLinOperator(x*y,x,wl=y,wr=p)", "TraceOperator(x*y,x,w=y)",
	"GradFromPos(Exp(-SqDist(x,y)),1,s)",
	"x + 0", "0*x", "x - x", "x*0 + y",
	"  Exp ( - x ) ",
	"Sum(x)*1_000",
	"x*True_", // a name, bound below to nothing: see invalid
}

// printed gives the canonical form of parsed formulas: precedence follows
// Python (spec §2), integer literals fold, unary minus on a literal is a
// negative literal.
var printed = []struct{ src, want string }{
	{"x|y*2", "Scalprod(x,Mult(y,2))"},
	{"-x**2", "Minus(Square(x))"},
	{"x<y|x", "LessThan(x,Scalprod(y,x))"},
	{"x>y", "LessThan(y,x)"},
	{"x>=y", "LessOrEqual(y,x)"},
	{"2*3*x", "Mult(6,x)"},
	{"x*(2*3)", "Mult(x,6)"},
	{"x*(1/2)", "Mult(x,0.5)"},
	{"x*(4/2)", "Mult(x,2.0)"},
	{"x**1", "x"},
	{"x**-1", "Pow(x,-1)"},
	{"x**3", "Pow(x,3)"},
	{"2**10*x", "Mult(1024,x)"},
	{"-2*x", "Mult((-2),x)"},
	{"x-3", "Subtract(x,3)"},
	{"x*-2.5", "Mult(x,(-2.5))"},
	{"x*1e300*1e300", "Mult(Mult(x,1e+300),1e+300)"},
	{"x*1e999", "Mult(x,1e999)"},
	{"1/x", "Divide(1,x)"},
	{"RatCst(2,-4)", "RatCst(-1,2)"},
	{"IntInv(3)", "RatCst(1,3)"},
	{"IntCst(7)", "7"},
	{"TensorDot(a,b,[2],[2],[0],[0])", "TensorDot(a,b,[2],[2],[0],[0])"},
	{"TensorDot(a,b,[2],[2],[],[],permute=[1,0])", "TensorDot(a,b,[2],[2],[],[],[1,0])"},
	{"SumLinOperator(f,v,wr=w)", "SumLinOperator(f,v,1,w)"},
	{"GradFromPos(f,2,e)", "GradFromPos(f,2,e)"},
}

func TestPrinted(t *testing.T) {
	for _, tc := range printed {
		t.Run(tc.src, func(t *testing.T) {
			e, err := formula.Parse(tc.src)
			if err != nil {
				t.Fatal(err)
			}
			if got := formula.Print(e); got != tc.want {
				t.Errorf("Print = %s, want %s", got, tc.want)
			}
			roundTrip(t, e)
		})
	}
}

func roundTrip(t *testing.T, e formula.Expr) {
	t.Helper()
	s := formula.Print(e)
	back, err := formula.Parse(s)
	if err != nil {
		t.Fatalf("Parse(Print(e)) with Print(e) = %s: %v", s, err)
	}
	if !formula.Equal(back, e) {
		t.Fatalf("Parse(Print(e)) = %s, not Equal to e = %s", formula.Print(back), s)
	}
}

func TestValid(t *testing.T) {
	al := testAliases(t, "True_=Vi(1)")
	for _, src := range valid {
		t.Run(src, func(t *testing.T) {
			e, err := formula.Parse(src)
			if err != nil {
				t.Fatal(err)
			}
			roundTrip(t, e)
			low, err := formula.Compile(src, al)
			if err != nil {
				t.Fatal(err)
			}
			checkLowered(t, low)
			roundTrip(t, low)
		})
	}
}

// invalid formulas: the error points at the caret and says msg (STYLE
// §1.6: the expectation sits next to the offending text).
var invalid = []struct {
	src, caret, msg string
}{
	{"Exp(x,", "      ^", "expected an expression"},
	{"Sum(x", "     ^", "expected ')'"},
	{"x y", "  ^", "unexpected name \"y\""},
	{"x$", " ^", "illegal character"},
	{"[1,2]", "^", "list of integers is only allowed"},
	{"+x", "^", "unary '+'"},
	{"Foo(x)", "^", "unknown operation Foo"},
	{"Exp(foo)", "    ^", "undefined name foo"},
	{"Vi(3)*x", "^", "cannot be used inside a formula"},
	{"x**0.5", "   ^", "exponent of ** must be an integer"},
	{"x**y", "   ^", "exponent of ** must be an integer"},
	{"x == y", "  ^", "use Equal(f, g)"},
	{"x != y", "  ^", "NotEqual(f, g)"},
	{"x < y < p", "      ^", "chained comparisons"},
	{"1/0", " ^", "division by zero"},
	{"x/0", " ^", "division by zero"},
	{"x/(y-y)", " ^", "division by zero"},
	{"RatCst(1,0)", "^", "division by zero"},
	{"9999999999999999999*x", "^", "out of range"},
	{"2**64*x", " ^", "integer overflow"},
	{"Var(0,3,5)", "        ^", "category of Var"},
	{"x*b", " ^", "Mult: dimensions are not compatible: [3 2]"},
	{"Exp(x)+Concat(x,y)", "      ^", "Add: dimensions are not compatible: [3 6]"},
	{"Pow(x)", "^", "Pow takes 2 arguments, got 1"},
	{"Pow(x,y)", "      ^", "argument 2 of Pow must be an integer"},
	{"Exp(x,y)", "^", "Exp takes 1 arguments, got 2"},
	{"Elem(x,3)", "^", "Index out of bound in Elem"},
	{"Elem(x,-1)", "^", "Index out of bound in Elem"},
	{"Extract(x,2,2)", "^", "cannot extract [2, 2+2)"},
	{"SumT(x,3)", "^", "SumT: the argument must have dimension 1"},
	{"OneHot(x,3)", "^", "OneHot: the argument must have dimension 1"},
	{"BSpline(K,s,5)", "^", "order 5 needs at least 7 knots"},
	{"MatVecMult(x,b)", "^", "not a multiple"},
	{"Scalprod(x,b)", "^", "dimensions 3 and 2"},
	{"SymSqNorm(x,x)", "^", "needs 9"},
	{"WeightedSqNorm(b,x)", "^", "needs 1, 3 or 9"},
	{"TensorDot(T,r,[2,2,3],[3,2],[2],[1])", "^", "have sizes 3 and 2"},
	{"TensorDot(T,r,[2,2,2],[3,2],[2],[0])", "^", "do not multiply"},
	{"TensorDot(T,r,[2,2,3],[3,2],[2],[0],perm=[0])", "                                    ^", "no parameter named perm"},
	{"TensorDot(T,r,[2,2,3],[3,2],[2],[0],[0,0,1])", "^", "not a permutation"},
	{"Kron(x,y,[3],[3,1])", "^", "same number of axes"},
	{"SoftDTW_SqDist(X,Y,b)", "^", "gamma must have dimension 1"},
	{"ComplexMult(z,x)", "^", "even dimensions"},
	{"ComplexSumT(z,4)", "^", "complex scalar"},
	{"ComplexRealScal(z,w)", "^", "real scalar"},
	{"Grad(x*y,x*y,y)", "^", "must be a variable"},
	{"Grad(x,x,b)", "^", "gradient input has dimension 2"},
	{"Grad(x*y,p)", "^", "not a parameter"},
	{"Diff(x,x,b)", "^", "direction has dimension 2"},
	{"Divergence(Sum(x),x)", "^", "same dimension"},
	{"Laplacian(x,x)", "^", "must have dimension 1"},
	{"TraceOperator(Exp(x),x)", "^", "not linear"},
	{"AdjointOperator(x*x,x,y)", "^", "not linear"},
	{"SumLinOperator(x+y,x)", "^", "not linear"},
	{"SumLinOperator(x*y,x,wr=y,y)", "                          ^", "positional argument after a keyword"},
	{"GradFromPos(x,5,x)", "^", "no variable of index 5"},
	{"Grad(BSpline(K,s,2),s,s)", "^", "BSpline is not differentiable"},
	{"Grad(SoftDTW_SqDist(X,Y,p),p,p)", "^", "with respect to gamma"},
	{"Grad_WithSavedForward(x,x,y,y)", "^", "cannot appear inside a formula"},
	{"Exp(" + strings.Repeat("(", 2000) + "x" + strings.Repeat(")", 2001), "", "nested too deeply"},
}

func TestInvalid(t *testing.T) {
	al := testAliases(t)
	for _, tc := range invalid {
		name := tc.src
		if len(name) > 40 {
			name = name[:40]
		}
		t.Run(name, func(t *testing.T) {
			_, err := formula.Compile(tc.src, al)
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q does not say %q", err, tc.msg)
			}
			var fe *formula.Error
			if !errors.As(err, &fe) {
				t.Fatalf("error %T is not a *formula.Error", err)
			}
			if tc.caret == "" {
				return
			}
			if want := formula.Pos(len(tc.caret)); fe.Pos != want {
				t.Errorf("error at column %d, want %d:\n%s\n%s", fe.Pos, want, tc.src, tc.caret)
			}
			if !strings.Contains(err.Error(), "\n    "+tc.src+"\n    "+tc.caret+"\n") &&
				!strings.HasSuffix(err.Error(), "\n    "+tc.src+"\n    "+tc.caret) {
				t.Errorf("error does not quote the formula with the caret:\n%s", err)
			}
		})
	}
}

func TestAlias(t *testing.T) {
	for _, tc := range []struct {
		src  string
		pos  int
		want string // Alias.String(), or the error substring after "!"
	}{
		{"x=Vi(3)", 0, "x=Vi(0,3)"},
		{" y = Vj ( 2 ) ", 4, "y=Vj(4,2)"},
		{"g=Pm(1,1)", 0, "g=Pm(1,1)"},
		{"Vi(3)", 2, "Var(2,3,0)"},
		{"Var(5,3,1)", 0, "Var(5,3,1)"},
		{"x=Var(0,3,0)", 0, "x=Vi(0,3)"},
		{"Exp=Vi(1)", 0, "Exp=Vi(0,1)"},
		{"1x=Vi(3)", 0, "!the name must match"},
		{"x=Vx(3)", 0, "!unknown variable kind"},
		{"x=Vi(0)", 0, "!dimension must be >= 1"},
		{"x=Vi(a)", 0, "!not an integer"},
		{"x=Var(0,3,4)", 0, "!category"},
		{"x=Vi(1,2,3)", 0, "!takes (dim) or (index, dim)"},
		{"x=Vi3", 0, "!expected Vi(dim)"},
	} {
		t.Run(tc.src, func(t *testing.T) {
			a, err := formula.ParseAlias(tc.src, tc.pos)
			if msg, isErr := strings.CutPrefix(tc.want, "!"); isErr {
				if err == nil || !strings.Contains(err.Error(), msg) {
					t.Fatalf("got %v, %v; want an error saying %q", a, err, msg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if a.String() != tc.want {
				t.Errorf("%s, want %s", a, tc.want)
			}
		})
	}
	// An alias hides an operation of the same name, used without parentheses.
	al := testAliases(t, "Exp=Vi(1)")
	e, err := formula.Compile("Exp(x)*Exp", al)
	if err != nil {
		t.Fatal(err)
	}
	if got := formula.Print(e); got != "Mult(Exp(Var(0,3,0)),Var(16,1,0))" {
		t.Errorf("got %s", got)
	}
}

func TestSignature(t *testing.T) {
	al := testAliases(t)[:2] // x=Vi(3), y=Vj(3)
	e, err := formula.Compile("x*y+Var(2,3,2)", al)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := formula.MakeSignature(al, e)
	if err != nil || len(sig) != 3 || sig[2].Cat != formula.CatParm {
		t.Fatalf("signature %v, %v", sig, err)
	}
	e, _ = formula.Compile("x*Var(3,3,2)", al)
	if _, err := formula.MakeSignature(al, e); err == nil || !strings.Contains(err.Error(), "argument 2") {
		t.Errorf("gap: got %v", err)
	}
	e, _ = formula.Compile("x*Var(1,3,0)", al)
	if _, err := formula.MakeSignature(al, e); err == nil || !strings.Contains(err.Error(), "declared twice") {
		t.Errorf("conflict: got %v", err)
	}
}

// TestConstants checks the numeric conventions of constants (spec §5).
func TestConstants(t *testing.T) {
	for _, tc := range []struct {
		src  string
		want float64
	}{
		{"IntCst(3)", 3},
		{"RatCst(1,3)", float64(float32(1.0 / 3))},
		{"2.5", 2.5},
		{"0.1", 0.1}, // float literals keep float64
		{"16777217", 16777216},
	} {
		e, err := formula.Parse(tc.src)
		if err != nil {
			t.Fatal(err)
		}
		if v := e.(*formula.Const).Value(); v != tc.want {
			t.Errorf("%s: %v, want %v", tc.src, v, tc.want)
		}
	}
}
