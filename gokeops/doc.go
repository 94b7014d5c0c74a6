// Package gokeops is the surface exported to CPython with gopy.
package gokeops

// Version is the engine version.
func Version() (string, error) { return "0.1.0", nil }

// Add is a test.
func Add(a uintptr, n int) (float64, error) { return float64(n), nil }
