package formula

// lexer splits a formula into tokens. White space is skipped.
type lexer struct {
	src string
	off int // next byte to read
}

// next returns the next token, its position and its text.
func (l *lexer) next() (tok token, pos Pos, lit string) {
	for l.off < len(l.src) && isSpace(l.src[l.off]) {
		l.off++
	}
	start := l.off
	pos = Pos(start + 1)
	if l.off >= len(l.src) {
		return tEOF, pos, ""
	}
	c := l.src[l.off]
	switch {
	case isLetter(c):
		for l.off < len(l.src) && (isLetter(l.src[l.off]) || isDigit(l.src[l.off])) {
			l.off++
		}
		return tIdent, pos, l.src[start:l.off]
	case isDigit(c) || (c == '.' && l.off+1 < len(l.src) && isDigit(l.src[l.off+1])):
		return l.number(start)
	}
	l.off++
	two := func(second byte, long, short token) token {
		if l.off < len(l.src) && l.src[l.off] == second {
			l.off++
			return long
		}
		return short
	}
	switch c {
	case '(':
		tok = tLparen
	case ')':
		tok = tRparen
	case '[':
		tok = tLbrack
	case ']':
		tok = tRbrack
	case ',':
		tok = tComma
	case '+':
		tok = tAdd
	case '-':
		tok = tSub
	case '/':
		tok = tQuo
	case '|':
		tok = tOr
	case '*':
		tok = two('*', tPow, tMul)
	case '<':
		tok = two('=', tLeq, tLss)
	case '>':
		tok = two('=', tGeq, tGtr)
	case '=':
		tok = two('=', tEql, tAssign)
	case '!':
		tok = two('=', tNeq, tIllegal)
	default:
		tok = tIllegal
	}
	return tok, pos, l.src[start:l.off]
}

// number scans an integer or a float literal (digits, optional fraction,
// optional exponent).
func (l *lexer) number(start int) (token, Pos, string) {
	tok := tInt
	digits := func() {
		for l.off < len(l.src) && (isDigit(l.src[l.off]) || l.src[l.off] == '_') {
			l.off++
		}
	}
	digits()
	if l.off < len(l.src) && l.src[l.off] == '.' {
		tok = tFloat
		l.off++
		digits()
	}
	if l.off < len(l.src) && (l.src[l.off] == 'e' || l.src[l.off] == 'E') {
		save := l.off
		l.off++
		if l.off < len(l.src) && (l.src[l.off] == '+' || l.src[l.off] == '-') {
			l.off++
		}
		if l.off < len(l.src) && isDigit(l.src[l.off]) {
			tok = tFloat
			digits()
		} else {
			l.off = save
		}
	}
	return tok, Pos(start + 1), l.src[start:l.off]
}

func isSpace(c byte) bool  { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
func isLetter(c byte) bool { return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isDigit(c byte) bool  { return '0' <= c && c <= '9' }
