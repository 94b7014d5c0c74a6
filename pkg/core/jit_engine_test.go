package core_test

import (
	"fmt"
	"testing"

	"github.com/gokeops/gokeops/internal/opcases"
	"github.com/gokeops/gokeops/pkg/core"
)

// The engine tests run with the compiled pair loops where the build has
// them (the default); these run them again on the interpreter, so that
// both agree with the oracle at the same tolerances.

func withoutJIT(t *testing.T, test func(*testing.T)) {
	old := core.SetJIT(false)
	defer core.SetJIT(old)
	test(t)
}

func TestEngineOpsInterpreted(t *testing.T) { withoutJIT(t, TestEngineOps) }

func TestEngineReductionsInterpreted(t *testing.T) { withoutJIT(t, TestEngineReductions) }

func TestEngineRandomReductionsInterpreted(t *testing.T) {
	withoutJIT(t, TestEngineRandomReductions)
}

// FuzzEngineInterpreted is FuzzEngine on the interpreter.
func FuzzEngineInterpreted(f *testing.F) {
	for s := uint64(0); s < 24; s++ {
		f.Add(s, uint8(s))
	}
	f.Fuzz(func(t *testing.T, seed uint64, choice uint8) {
		old := core.SetJIT(false)
		defer core.SetJIT(old)
		checkRandomReduction(t, seed, choice)
	})
}

// jitPressure are formulas that fill the compiled loop's registers (eight
// accumulators, many live values: spills) or outgrow them (a Sum of twelve
// components runs in store mode), checked against the oracle as the op
// cases are.
var jitPressure = []opcases.Case{
	{Src: "Exp(-(x-y)*(x-y))", Dim: 8},
	{Src: "Exp(u-v)/(1+Square(u+v))", Dim: 12},
	{Src: "Exp(-SqDist(x,y))*Log(1+SqNorm2(x-y))*Sqrt(SqDist(x,y)+1)*Rsqrt(1+Square(Elem(x,0)))", Dim: 1},
	{Src: "Concat(Exp(x*y)*Exp(x-y), Pow(x-y,3))", Dim: 16},
	{Src: "IfElse(x-y, Exp(x+y), Log(1+Square(x*y)))*Max(u-v)", Dim: 8},
}

func TestJITPressure(t *testing.T) {
	aliases := []string{"x=Vi(8)", "y=Vj(8)", "u=Vi(12)", "v=Vj(12)"}
	for n, tc := range jitPressure {
		for _, axis := range []int{1, 0} {
			for _, f32 := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s/axis%d/%s", tc.Src, axis, dtypeName(f32)), func(t *testing.T) {
					checkOpSum(t, tc, aliases, axis, f32, uint64(n))
				})
			}
		}
	}
}
