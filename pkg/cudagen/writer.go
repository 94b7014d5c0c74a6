package cudagen

import (
	"fmt"
	"strings"
)

// writer accumulates indented C++ source.
type writer struct {
	b      strings.Builder
	indent int
}

func (w *writer) line(format string, args ...any) {
	w.b.WriteString(strings.Repeat("  ", w.indent))
	fmt.Fprintf(&w.b, format, args...)
	w.b.WriteByte('\n')
}

// open starts a block: head is the text before the brace ("" for a bare
// block).
func (w *writer) open(head string, args ...any) {
	if head == "" {
		w.line("{")
	} else {
		w.line(head+" {", args...)
	}
	w.indent++
}

func (w *writer) close() {
	w.indent--
	w.line("}")
}

// raw appends text whose lines are already complete, at the current indent.
func (w *writer) raw(text string) {
	for _, l := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		if l == "" {
			w.b.WriteByte('\n')
			continue
		}
		w.b.WriteString(strings.Repeat("  ", w.indent) + l + "\n")
	}
}

func (w *writer) String() string { return w.b.String() }
