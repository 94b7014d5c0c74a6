package gokeops

import (
	"strings"
	"testing"
)

// TestErrorPrefixes checks that errors leave the package prefixed with the
// Python class of their kind, the message after it unchanged.
func TestErrorPrefixes(t *testing.T) {
	cases := []struct {
		name, formula, reduction string
		optArg                   int
		want                     string
	}{
		{"formula", "Exp(x+)", "Sum", 0, "ValueError: formula: col "},
		{"reduction", "x", "Nope", 0, `ValueError: unknown reduction_op "Nope"`},
		{"opt_arg", "x", "Sum", 3, "TypeError: reduction Sum takes no opt_arg (got 3)"},
	}
	for _, c := range cases {
		_, err := Compile(c.formula, "x=Vi(1)", c.reduction, 0, c.optArg, "", "auto", "auto")
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%s: got %v, want a message starting with %q", c.name, err, c.want)
		}
	}
	if _, err := Describe(-1); err == nil || err.Error() != "ValueError: unknown kernel handle -1" {
		t.Errorf("Describe(-1): got %v", err)
	}
	if _, err := Run(0, 7, 0, 0); err == nil || !strings.HasPrefix(err.Error(), "ValueError: unknown kernel handle") {
		t.Errorf("Run on handle 0: got %v", err)
	}
	s, _ := ErrorClasses()
	if s != "RuntimeError\nValueError\nTypeError\nKeyboardInterrupt" {
		t.Errorf("ErrorClasses = %q", s)
	}
}

func TestGuardPanics(t *testing.T) {
	f := func() (err error) {
		defer guard(&err)
		var m map[string]int
		m["x"]++
		return nil
	}
	if err := f(); err == nil || !strings.HasPrefix(err.Error(), "RuntimeError: gokeops internal error: ") {
		t.Fatalf("a panic gave %v", err)
	}
}
