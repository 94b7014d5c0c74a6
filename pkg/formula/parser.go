package formula

import (
	"math"
	"math/big"
	"math/bits"
	"slices"
	"strconv"
	"strings"
)

// Parse parses a formula string into an expression tree with Python's
// operator precedence: comparisons < | < + - < * / < unary - < **. Alias
// names stay [Ident] nodes until [Bind]. Integer arithmetic between literals
// is folded as Python would (x*(2*3) is 6*x).
func Parse(src string) (e Expr, err error) {
	return parse(src, nil)
}

// parse parses src; with a template, integer parameters may be expressions
// over the template's names (Pow(a,n-1)), recorded in the template.
func parse(src string, tmpl *template) (e Expr, err error) {
	p := &parser{src: src, lex: lexer{src: src}, tmpl: tmpl}
	defer func() {
		if r := recover(); r != nil {
			pe, ok := r.(*Error)
			if !ok {
				panic(r)
			}
			e, err = nil, pe
		}
	}()
	p.advance()
	e = p.parseExpr()
	if p.tok != tEOF {
		p.fail(p.pos, "unexpected %s after the end of the formula", p.describe())
	}
	return e, nil
}

// maxDepth bounds nesting so that a hostile input cannot exhaust the stack.
const maxDepth = 1000

type parser struct {
	src   string
	lex   lexer
	tok   token
	pos   Pos
	lit   string
	depth int
	tmpl  *template // non-nil when parsing a template of the op table
}

func (p *parser) advance() { p.tok, p.pos, p.lit = p.lex.next() }

// fail stops parsing with an error; Parse recovers it.
func (p *parser) fail(pos Pos, format string, args ...any) {
	panic(errorf(p.src, pos, format, args...).(*Error))
}

func (p *parser) describe() string {
	if p.tok == tIdent || p.tok == tInt || p.tok == tFloat || p.tok == tIllegal {
		return p.tok.String() + " " + strconv.Quote(p.lit)
	}
	return p.tok.String()
}

func (p *parser) expect(t token, context string) Pos {
	pos := p.pos
	if p.tok != t {
		p.fail(pos, "expected %s %s, found %s", t, context, p.describe())
	}
	p.advance()
	return pos
}

func (p *parser) enter() {
	p.depth++
	if p.depth > maxDepth {
		p.fail(p.pos, "formula nested too deeply")
	}
}

func (p *parser) parseExpr() Expr {
	p.enter()
	defer func() { p.depth-- }()
	x := p.parseOr()
	if !isComparison(p.tok) {
		return x
	}
	tok, pos := p.tok, p.pos
	p.advance()
	y := p.parseOr()
	if isComparison(p.tok) {
		// Python would evaluate a < b < c as a chain and KeOps keeps only
		// b < c; refuse it instead of computing something else silently.
		p.fail(p.pos, "chained comparisons are not supported: add parentheses")
	}
	switch tok {
	case tLss:
		return p.call(pos, OpLessThan, x, y)
	case tGtr:
		return p.call(pos, OpLessThan, y, x)
	case tLeq:
		return p.call(pos, OpLessOrEqual, x, y)
	case tGeq:
		return p.call(pos, OpLessOrEqual, y, x)
	}
	p.fail(pos, "%s compares formulas structurally in KeOps: use Equal(f, g) or NotEqual(f, g)", tok)
	return nil
}

func isComparison(t token) bool { return t >= tLss && t <= tNeq }

func (p *parser) parseOr() Expr {
	x := p.parseArith()
	for p.tok == tOr {
		pos := p.pos
		p.advance()
		x = p.call(pos, OpScalprod, x, p.parseArith())
	}
	return x
}

func (p *parser) parseArith() Expr {
	x := p.parseTerm()
	for p.tok == tAdd || p.tok == tSub {
		tok, pos := p.tok, p.pos
		p.advance()
		y := p.parseTerm()
		if a, b, ok := bothInts(x, y); ok {
			if tok == tSub {
				b = p.checked(pos, -b, b != math.MinInt64)
			}
			x = &Const{ValuePos: x.Pos(), Num: p.checked(pos, a+b, (a >= 0) != (b >= 0) || (a+b >= 0) == (a >= 0)), Den: 1}
			continue
		}
		op := OpAdd
		if tok == tSub {
			op = OpSubtract
		}
		x = p.call(pos, op, x, y)
	}
	return x
}

func (p *parser) parseTerm() Expr {
	x := p.parseUnary()
	for p.tok == tMul || p.tok == tQuo {
		tok, pos := p.tok, p.pos
		p.advance()
		y := p.parseUnary()
		if a, b, ok := bothInts(x, y); ok {
			if tok == tMul {
				hi, lo := bits.Mul64(uint64(abs64(a)), uint64(abs64(b)))
				ok := hi == 0 && lo <= math.MaxInt64 && a != math.MinInt64 && b != math.MinInt64
				x = &Const{ValuePos: x.Pos(), Num: p.checked(pos, a*b, ok), Den: 1}
			} else {
				if b == 0 {
					p.fail(pos, "division by zero")
				}
				// Python's true division of two ints gives a float.
				x = &Const{ValuePos: x.Pos(), F: float64(a) / float64(b)}
			}
			continue
		}
		op := OpMult
		if tok == tQuo {
			op = OpDivide
		}
		x = p.call(pos, op, x, y)
	}
	return x
}

func (p *parser) parseUnary() Expr {
	switch p.tok {
	case tSub:
		pos := p.pos
		p.advance()
		p.enter()
		x := p.parseUnary()
		p.depth--
		if c, ok := x.(*Const); ok && c.Num != math.MinInt64 {
			neg := *c
			neg.ValuePos, neg.Num, neg.F = pos, -c.Num, -c.F
			return &neg
		}
		return p.call(pos, OpMinus, x)
	case tAdd:
		p.fail(p.pos, "unary '+' is not supported")
	}
	return p.parsePower()
}

func (p *parser) parsePower() Expr {
	x := p.parsePrimary()
	if p.tok != tPow {
		return x
	}
	pos := p.pos
	p.advance()
	p.enter()
	y := p.parseUnary()
	p.depth--
	n, ok := intValue(y)
	if !ok {
		p.fail(y.Pos(), "the exponent of ** must be an integer: use Powf(f, g) or Sqrt(f)")
	}
	if base, isConst := x.(*Const); isConst && base.IsInt() && n >= 0 {
		r, ok := ipow(base.Num, n)
		return &Const{ValuePos: base.ValuePos, Num: p.checked(pos, r, ok), Den: 1}
	}
	switch n {
	case 1:
		return x
	case 2:
		return p.call(pos, OpSquare, x)
	}
	c := p.call(pos, OpPow, x)
	c.Ints = []int{int(n)}
	return c
}

func (p *parser) parsePrimary() Expr {
	switch p.tok {
	case tInt:
		pos, lit := p.pos, strings.ReplaceAll(p.lit, "_", "")
		p.advance()
		n, err := strconv.ParseInt(lit, 10, 64)
		if err != nil {
			p.fail(pos, "integer %s out of range", lit)
		}
		return &Const{ValuePos: pos, Num: n, Den: 1}
	case tFloat:
		pos, lit := p.pos, strings.ReplaceAll(p.lit, "_", "")
		p.advance()
		f, err := strconv.ParseFloat(lit, 64)
		if err != nil && !math.IsInf(f, 0) {
			p.fail(pos, "malformed number %s", lit)
		}
		return &Const{ValuePos: pos, F: f}
	case tLparen:
		p.advance()
		x := p.parseExpr()
		p.expect(tRparen, "to close the parenthesis")
		return x
	case tIdent:
		pos, name := p.pos, p.lit
		p.advance()
		if p.tok != tLparen {
			return &Ident{NamePos: pos, Name: name}
		}
		return p.parseCall(pos, name)
	case tLbrack:
		p.fail(p.pos, "a list of integers is only allowed as an operation parameter")
	}
	p.fail(p.pos, "expected an expression, found %s", p.describe())
	return nil
}

// arg is one parsed call argument: a formula or an integer list, possibly
// given by keyword (name=value).
type arg struct {
	pos    Pos
	name   string // keyword, or ""
	expr   Expr
	list   []int
	isList bool
}

func (p *parser) parseCall(pos Pos, name string) Expr {
	p.expect(tLparen, "after the operation name")
	var args []arg
	for p.tok != tRparen {
		a := arg{pos: p.pos}
		if p.tok == tIdent {
			// A keyword argument, as in TensorDot(..., permute=[1,0]).
			save := *p
			kw := p.lit
			p.advance()
			if p.tok == tAssign {
				p.advance()
				a.name = kw
			} else {
				*p = save
			}
		}
		if p.tok == tLbrack {
			a.list, a.isList = p.parseIntList(), true
		} else {
			a.expr = p.parseExpr()
		}
		args = append(args, a)
		if p.tok != tComma {
			break
		}
		p.advance()
	}
	p.expect(tRparen, "after the arguments of "+name)
	if leaf := p.leaf(pos, name, args); leaf != nil {
		return leaf
	}
	op, ok := opByName[name]
	if !ok {
		switch name {
		case "Vi", "Vj", "Pm":
			p.fail(pos, "%s(...) cannot be used inside a formula: declare an alias such as \"x=%s(3)\" and use its name", name, name)
		case "Ind":
			p.fail(pos, "Ind(...) is not an operation: declare an alias and use its name")
		}
		p.fail(pos, "unknown operation %s", name)
	}
	return p.build(pos, op, args)
}

// slotKind is the kind of one parameter of an op.
type slotKind uint8

const (
	slotFormula slotKind = iota
	slotInt
	slotList
)

// slot is one parameter of an op, in the order they are written.
type slot struct {
	kind     slotKind
	optional bool
	name     string // keyword, or ""
}

// makeSlots lays out the parameters of an op: formula arguments (with the
// integers inserted after IntsAt of them, if set), integers, then lists.
func makeSlots(row *OpInfo) []slot {
	var s []slot
	at := row.Args
	if row.IntsAt > 0 {
		at = row.IntsAt
	}
	for k := 0; k < row.Args; k++ {
		if k == at {
			for range row.Ints {
				s = append(s, slot{kind: slotInt})
			}
		}
		s = append(s, slot{kind: slotFormula, optional: k >= row.Args-row.OptArgs})
	}
	if at == row.Args {
		for range row.Ints {
			s = append(s, slot{kind: slotInt})
		}
	}
	for k := 0; k < row.Lists; k++ {
		s = append(s, slot{kind: slotList, optional: k >= row.Lists-row.OptLists})
	}
	for k, name := range row.Keywords {
		s[len(s)-len(row.Keywords)+k].name = name
	}
	return s
}

// build checks the arguments of a call against the slots of its table row.
func (p *parser) build(pos Pos, op Op, args []arg) *Call {
	row := op.Info()
	slots := row.slots
	filled := make([]*arg, len(slots))
	required := 0
	for _, s := range slots {
		if !s.optional {
			required++
		}
	}
	keyword := false
	for k := range args {
		a := &args[k]
		if a.name == "" {
			if keyword {
				p.fail(a.pos, "positional argument after a keyword argument in %s", row.Name)
			}
			if k >= len(slots) {
				p.fail(pos, "%s takes %s arguments, got %d", row.Name, countRange(required, len(slots)), len(args))
			}
			filled[k] = a
			continue
		}
		keyword = true
		at := slices.IndexFunc(slots, func(s slot) bool { return s.name == a.name })
		if at < 0 {
			p.fail(a.pos, "%s has no parameter named %s", row.Name, a.name)
		}
		if filled[at] != nil {
			p.fail(a.pos, "%s: parameter %s given twice", row.Name, a.name)
		}
		filled[at] = a
	}
	last := -1
	for k := range filled {
		if filled[k] != nil {
			last = k
		}
	}
	c := &Call{NamePos: pos, Op: op}
	for k, s := range slots {
		a := filled[k]
		if a == nil {
			switch {
			case !s.optional:
				p.fail(pos, "%s takes %s arguments, got %d", row.Name, countRange(required, len(slots)), len(args))
			case k > last:
				continue
			case s.kind == slotFormula:
				// A weight skipped by a later keyword (SumLinOperator(F,V,wr=w))
				// takes its default, 1.
				c.Args = append(c.Args, &Const{ValuePos: pos, Num: 1, Den: 1})
				continue
			default:
				p.fail(pos, "%s: argument %d cannot be omitted", row.Name, k+1)
			}
		}
		switch s.kind {
		case slotFormula:
			if a.isList {
				p.fail(a.pos, "argument %d of %s must be a formula, not a list", k+1, row.Name)
			}
			c.Args = append(c.Args, a.expr)
		case slotInt:
			n, ok := intValue(a.expr)
			if !ok && !a.isList && p.tmpl != nil {
				p.tmpl.intParam(c, len(c.Ints), a.expr)
				ok = true
			}
			if a.isList || !ok {
				p.fail(a.pos, "argument %d of %s must be an integer", k+1, row.Name)
			}
			c.Ints = append(c.Ints, int(n))
		case slotList:
			if !a.isList {
				p.fail(a.pos, "argument %d of %s must be a list of integers such as [3,3]", k+1, row.Name)
			}
			c.Lists = append(c.Lists, a.list)
		}
	}
	return c
}

func countRange(lo, hi int) string {
	if lo == hi {
		return strconv.Itoa(hi)
	}
	return strconv.Itoa(lo) + " to " + strconv.Itoa(hi)
}

// leaf builds the leaves written as calls: Var, IntCst, RatCst, IntInv, Zero.
func (p *parser) leaf(pos Pos, name string, args []arg) Expr {
	var want int
	switch name {
	case "Var":
		want = 3
	case "IntCst", "IntInv", "Zero":
		want = 1
	case "RatCst":
		want = 2
	default:
		return nil
	}
	if len(args) != want {
		p.fail(pos, "%s takes %d integer arguments, got %d", name, want, len(args))
	}
	ns := make([]int64, want)
	for k, a := range args {
		c, ok := a.expr.(*Const)
		ok = ok && c.IsInt() && a.name == ""
		if a.isList || !ok {
			p.fail(a.pos, "argument %d of %s must be an integer", k+1, name)
		}
		ns[k] = c.Num
	}
	switch name {
	case "Var":
		if ns[2] < 0 || ns[2] > 2 {
			p.fail(args[2].pos, "the category of Var must be 0 (i), 1 (j) or 2 (parameter), got %d", ns[2])
		}
		if ns[0] < 0 || ns[1] < 1 || ns[0] > 1<<20 || ns[1] > 1<<20 {
			p.fail(pos, "Var(%d,%d,%d): index must be >= 0 and dimension >= 1", ns[0], ns[1], ns[2])
		}
		return &Var{ValuePos: pos, Ind: int(ns[0]), Dim: int(ns[1]), Cat: Cat(ns[2])}
	case "IntCst":
		return &Const{ValuePos: pos, Num: ns[0], Den: 1}
	case "Zero":
		if ns[0] < 1 || ns[0] > 1<<20 {
			p.fail(pos, "Zero(%d): dimension must be >= 1", ns[0])
		}
		return &Zero{ValuePos: pos, Dim: int(ns[0])}
	case "IntInv":
		ns = []int64{1, ns[0]}
	}
	if ns[1] == 0 {
		p.fail(pos, "%s: division by zero", name)
	}
	num, den, ok := reduceFraction(ns[0], ns[1])
	if !ok {
		p.fail(pos, "%s: integer overflow", name)
	}
	return &Const{ValuePos: pos, Num: num, Den: den}
}

func (p *parser) parseIntList() []int {
	p.expect(tLbrack, "to open the list")
	list := []int{}
	for p.tok != tRbrack {
		e := p.parseUnary()
		n, ok := intValue(e)
		if !ok {
			p.fail(e.Pos(), "list elements must be integers")
		}
		list = append(list, int(n))
		if p.tok != tComma {
			break
		}
		p.advance()
	}
	p.expect(tRbrack, "to close the list")
	return list
}

// call builds an operator node.
func (p *parser) call(pos Pos, op Op, args ...Expr) *Call {
	return &Call{NamePos: pos, Op: op, Args: args}
}

// intValue returns the value of an integer constant expression.
func intValue(e Expr) (int64, bool) {
	c, ok := e.(*Const)
	if !ok || !c.IsInt() || c.Num < math.MinInt32 || c.Num > math.MaxInt32 {
		return 0, false
	}
	return c.Num, true
}

func bothInts(x, y Expr) (int64, int64, bool) {
	a, ok1 := x.(*Const)
	b, ok2 := y.(*Const)
	if ok1 && ok2 && a.IsInt() && b.IsInt() {
		return a.Num, b.Num, true
	}
	return 0, 0, false
}

// ipow is b**n for n >= 0; ok is false on overflow.
func ipow(b, n int64) (r int64, ok bool) {
	switch {
	case n == 0 || b == 1:
		return 1, true
	case b == 0:
		return 0, true
	case b == -1:
		return 1 - 2*(n&1), true
	}
	r = 1
	for ; n > 0; n-- { // |b| >= 2, so at most 63 rounds before overflow
		hi, lo := bits.Mul64(uint64(abs64(r)), uint64(abs64(b)))
		if hi != 0 || lo > math.MaxInt64 {
			return 0, false
		}
		r *= b
	}
	return r, true
}

func abs64(a int64) int64 {
	if a < 0 {
		return -a
	}
	return a
}

// checked returns r, or stops with an error when the integer arithmetic
// that produced it overflowed (Python has big ints; we do not).
func (p *parser) checked(pos Pos, r int64, ok bool) int64 {
	if !ok {
		p.fail(pos, "integer overflow in constant arithmetic")
	}
	return r
}

// reduceFraction returns p/q in lowest terms with q > 0; ok is false when
// that does not fit in int64 (-(MinInt64)).
func reduceFraction(p, q int64) (num, den int64, ok bool) {
	r := big.NewRat(p, q)
	if !r.Num().IsInt64() || !r.Denom().IsInt64() {
		return 0, 0, false
	}
	return r.Num().Int64(), r.Denom().Int64(), true
}

func itoa(n int) string { return strconv.Itoa(n) }
