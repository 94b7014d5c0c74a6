package core

// SetJIT turns the compiled pair loops on or off (where this build has
// them) and returns the previous setting, so that the engine tests run
// both ways.
func SetJIT(on bool) bool {
	old := jitOn
	jitOn = on && jitSupported
	return old
}
