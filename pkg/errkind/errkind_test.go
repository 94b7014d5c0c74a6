package errkind_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/gokeops/gokeops/pkg/errkind"
)

type positioned struct{ col int }

func (p *positioned) Error() string        { return fmt.Sprintf("col %d: oops", p.col) }
func (p *positioned) Is(target error) bool { return target == errkind.BadValue }

func TestKinds(t *testing.T) {
	inner := &positioned{col: 7}
	err := fmt.Errorf("formula2: %w", errkind.Errorf(errkind.BadType, "argument %d: %w", 3, inner))
	if !errors.Is(err, errkind.BadType) {
		t.Fatalf("errors.Is(%v, BadType) = false", err)
	}
	if got := errkind.Of(err); got != errkind.BadType {
		t.Fatalf("Of = %v, want the outermost kind, bad type", got)
	}
	var p *positioned
	if !errors.As(err, &p) || p.col != 7 {
		t.Fatalf("errors.As did not reach the wrapped error (%v)", err)
	}
	if got, want := err.Error(), "formula2: argument 3: col 7: oops"; got != want {
		t.Fatalf("message %q, want %q", got, want)
	}
	if got := errkind.Of(inner); got != errkind.BadValue {
		t.Fatalf("Of(an error with an Is method) = %v, want bad value", got)
	}
	if got := errkind.Of(errors.New("plain")); got != errkind.Internal {
		t.Fatalf("Of(an unclassified error) = %v, want internal error", got)
	}
	if errkind.Wrap(errkind.BadValue, nil) != nil {
		t.Fatal("Wrap(nil) is not nil")
	}
	if errors.Is(errkind.Errorf(errkind.Cancelled, "stop"), errkind.BadValue) {
		t.Fatal("a cancelled error matches bad value")
	}
}
