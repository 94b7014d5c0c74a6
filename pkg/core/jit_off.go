//go:build !(goexperiment.simd && amd64 && linux)

package core

// Without AVX2 code generation (the portable build, other platforms) the
// interpreter runs every pair level.

var jitOn = false

const jitSupported = false

type jitCache struct{}

type jitState struct{}

func (f *frame[T]) jitTile(rows, j0 int) bool { return false }
