package formula

import (
	"fmt"
	"sort"
	"strings"
)

// Pos is a byte offset into the formula plus one; 0 is NoPos.
type Pos int32

// NoPos is the zero Pos: no position known.
const NoPos Pos = 0

// IsValid reports whether p is a known position.
func (p Pos) IsValid() bool { return p != NoPos }

// Error is one problem found in a formula, at a position.
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

// ErrorList is a list of errors sorted by position.
type ErrorList []*Error

// Add appends an error.
func (l *ErrorList) Add(src string, pos Pos, msg string) {
	*l = append(*l, &Error{Src: src, Pos: pos, Msg: msg})
}

// Error reports the first error and how many more there are.
func (l ErrorList) Error() string {
	switch len(l) {
	case 0:
		return "no errors"
	case 1:
		return l[0].Error()
	}
	return fmt.Sprintf("%s (and %d more errors)", l[0], len(l)-1)
}

// Sort orders the list by position.
func (l ErrorList) Sort() {
	sort.SliceStable(l, func(i, j int) bool { return l[i].Pos < l[j].Pos })
}

// Err returns nil for an empty list (a real nil, never a typed one), else the list.
func (l ErrorList) Err() error {
	if len(l) == 0 {
		return nil
	}
	return l
}

// errorf builds a single positioned error.
func errorf(src string, pos Pos, format string, args ...any) error {
	return &Error{Src: src, Pos: pos, Msg: fmt.Sprintf(format, args...)}
}
