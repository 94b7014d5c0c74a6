package formula

import (
	"math"
	"strconv"
	"strings"
)

// Print writes e in a canonical form: every call in function syntax with
// its parameters in table order, constants exactly (floats with the
// shortest text that reads back to the same float64, negative numbers in
// parentheses). Parse(Print(e)) is Equal to e, so the text serves as a
// cache key. Internal placeholders (negative Var indices) print but do not
// parse back.
func Print(e Expr) string {
	var b strings.Builder
	printExpr(&b, e)
	return b.String()
}

func (e *Ident) String() string { return Print(e) }
func (e *Var) String() string   { return Print(e) }
func (e *Const) String() string { return Print(e) }
func (e *Zero) String() string  { return Print(e) }
func (e *Call) String() string  { return Print(e) }

func printExpr(b *strings.Builder, e Expr) {
	switch e := e.(type) {
	case nil:
		b.WriteString("<nil>")
	case *Ident:
		b.WriteString(e.Name)
	case *Var:
		b.WriteString("Var(" + itoa(e.Ind) + "," + itoa(e.Dim) + "," + itoa(int(e.Cat)) + ")")
	case *Const:
		printConst(b, e)
	case *Zero:
		b.WriteString("Zero(" + itoa(e.Dim) + ")")
	case *Call:
		printCall(b, e)
	}
}

func printConst(b *strings.Builder, c *Const) {
	var s string
	switch {
	case c.Den == 1:
		s = strconv.FormatInt(c.Num, 10)
	case c.Den != 0:
		b.WriteString("RatCst(" + strconv.FormatInt(c.Num, 10) + "," + strconv.FormatInt(c.Den, 10) + ")")
		return
	case math.IsInf(c.F, 0):
		// The lexer reads an overflowing literal as an infinity.
		s = "1e999"
		if c.F < 0 {
			s = "-1e999"
		}
	default:
		s = strconv.FormatFloat(c.F, 'g', -1, 64)
		if !strings.ContainsAny(s, ".eN") {
			s += ".0" // stays a float literal
		}
	}
	if strings.HasPrefix(s, "-") {
		s = "(" + s + ")"
	}
	b.WriteString(s)
}

func printCall(b *strings.Builder, c *Call) {
	row := c.Op.Info()
	b.WriteString(row.Name)
	b.WriteByte('(')
	var na, ni, nl int
	first := true
	sep := func() {
		if !first {
			b.WriteByte(',')
		}
		first = false
	}
	slots := row.slots
	if c.Op == OpInvalid || c.Op >= numOps {
		slots = nil
	}
	for _, s := range slots {
		switch {
		case s.kind == slotFormula && na < len(c.Args):
			sep()
			printExpr(b, c.Args[na])
			na++
		case s.kind == slotInt && ni < len(c.Ints):
			sep()
			b.WriteString(strconv.Itoa(c.Ints[ni]))
			ni++
		case s.kind == slotList && nl < len(c.Lists):
			sep()
			b.WriteByte('[')
			for k, x := range c.Lists[nl] {
				if k > 0 {
					b.WriteByte(',')
				}
				b.WriteString(strconv.Itoa(x))
			}
			b.WriteByte(']')
			nl++
		}
	}
	b.WriteByte(')')
}
