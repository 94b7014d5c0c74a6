package formula

import (
	"fmt"
	"strings"

	"github.com/gokeops/gokeops/pkg/errkind"
)

// Pos is a byte offset into the formula plus one; 0 is NoPos.
type Pos int32

// NoPos is the zero Pos: no position known.
const NoPos Pos = 0

// IsValid reports whether p is a known position.
func (p Pos) IsValid() bool { return p != NoPos }

// Error is one problem found in a formula, at a position. It is of kind
// errkind.BadValue: errors.Is(err, errkind.BadValue) holds, and errors.As
// gives the column.
type Error struct {
	Src string // the formula text, to quote in messages
	Pos Pos
	Msg string
}

// Error formats the message with its column and, when the formula is known,
// the formula text and a caret under the column.
func (e *Error) Error() string {
	if !e.Pos.IsValid() {
		return "formula: " + e.Msg
	}
	col := int(e.Pos)
	s := fmt.Sprintf("formula: col %d: %s", col, e.Msg)
	if e.Src != "" {
		s += "\n    " + e.Src + "\n    " + strings.Repeat(" ", col-1) + "^"
	}
	return s
}

// Is makes every formula error match errkind.BadValue.
func (e *Error) Is(target error) bool { return target == errkind.BadValue }

// errorf builds a single positioned error.
func errorf(src string, pos Pos, format string, args ...any) error {
	return &Error{Src: src, Pos: pos, Msg: fmt.Sprintf(format, args...)}
}
