package formula_test

import (
	"strings"
	"testing"

	"github.com/gokeops/gokeops/pkg/formula"
)

// TestSimplify checks the construction-time simplifications of KeOps (spec
// §6) on lowered formulas; {x} stands for the variable of alias x.
func TestSimplify(t *testing.T) {
	var pairs []string
	for k := range aliasSrc {
		a := testAliases(t)[k]
		pairs = append(pairs, "{"+aliasName(k)+"}", formula.Print(&a.Var))
	}
	vars := strings.NewReplacer(pairs...)
	al := testAliases(t)
	for _, tc := range []struct{ src, want string }{
		{"x-x", "Zero(3)"},
		{"(x*y)-(x*y)", "Zero(3)"},
		{"0*x", "Zero(3)"},
		{"x*0", "Zero(3)"},
		{"x*(y-y)", "Zero(3)"},
		{"x+0", "{x}"},
		{"x+Zero(1)", "{x}"},
		{"s+Zero(3)", "SumT({s},3)"},
		{"Zero(3)-s", "SumT(Minus({s}),3)"},
		{"IntCst(0)", "Zero(1)"},
		{"RatCst(0,5)*x", "Zero(3)"},
		{"Zero(3)/x", "Zero(3)"},
		{"x+x", "Mult(2,{x})"},
		{"x*x", "Square({x})"},
		{"-(-x)", "{x}"},
		{"Minus(IntCst(3))*x", "Mult((-3),{x})"},
		{"Add(2,3)", "5"},
		{"RatCst(1,2)+RatCst(1,3)", "RatCst(5,6)"},
		{"Mult(RatCst(2,3),IntCst(3))", "2"},
		{"2*(3*x)", "Mult(6,{x})"},
		{"1*x", "{x}"},
		{"x/3", "Mult(RatCst(1,3),{x})"},
		{"x/RatCst(2,3)", "Mult(RatCst(3,2),{x})"},
		{"x/(-2)", "Mult(RatCst(-1,2),{x})"},
		{"1/x", "Inv({x})"},
		{"2/x", "Divide(2,{x})"},
		{"x/2.5", "Divide({x},2.5)"},
		{"Sum(s)", "{s}"},
		{"Sum(x*y)", "Scalprod({x},{y})"},
		{"Sum(p*x)", "Mult({p},Sum({x}))"},
		{"Scalprod(x,s)", "Mult(Sum({x}),{s})"},
		{"p|x", "Mult(Sum({x}),{p})"},
		{"Pow(x,1)", "{x}"},
		{"Exp(x)*Exp(p)", "Exp(Add({x},{p}))"},
		{"Elem(ElemT(s,4,1),1)", "{s}"},
		{"Elem(ElemT(s,4,1),2)", "Zero(1)"},
		{"Extract(x,0,3)", "{x}"},
		{"SumT(s,1)", "{s}"},
		{"Grad(x*y,p,s)", "Zero(1)"},
		{"Grad(x*y,x,y)", "Square({y})"},
		{"SqDist(x,p)", "Sum(Square(Subtract({x},{p})))"},
		{"SqDist(x,y)", "SqDist({x},{y})"},
		{"ComplexRealScal(z,p)", "ComplexRealScal({p},{z})"},
		{"TensorDot(x,y,[3],[3],[],[])", "TensorDot({x},{y},[3],[3],[],[],[0,1])"},
		{"Kron(x,y,[3],[3])", "TensorDot({x},{y},[3],[3],[],[],[0,1])"},
		{"Factorize(x*y,y)", "Mult({x},{y})"},
		{"Laplacian(SqNorm2(x),x)", "6"},
		{"Divergence(x,x)", "3"},
	} {
		t.Run(tc.src, func(t *testing.T) {
			e, err := formula.Compile(tc.src, al)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := formula.Print(e), vars.Replace(tc.want); got != want {
				t.Errorf("got  %s\nwant %s", got, want)
			}
		})
	}
}
