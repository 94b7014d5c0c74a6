package core_test

import (
	"testing"

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
