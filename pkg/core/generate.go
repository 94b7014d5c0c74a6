package core

// The elementwise kernels (kernels_*_gen*.go) are written by
// internal/kerngen from the primitives of pkg/formula/prim.go; the files are
// committed, and generate_test.go checks they are up to date.

//go:generate go run ./internal/kerngen/run
