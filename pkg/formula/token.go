package formula

// token is the kind of a lexical token.
type token uint8

const (
	tEOF     token = iota
	tIllegal       // a byte that starts no token
	tIdent         // Exp, x, Var
	tInt           // 42
	tFloat         // 2.5, 1e-3
	tLparen        // (
	tRparen        // )
	tLbrack        // [
	tRbrack        // ]
	tComma         // ,
	tAssign        // = (keyword arguments)
	tAdd           // +
	tSub           // -
	tMul           // *
	tQuo           // /
	tPow           // **
	tOr            // |
	tLss           // <
	tGtr           // >
	tLeq           // <=
	tGeq           // >=
	tEql           // ==
	tNeq           // !=
)

var tokenText = [...]string{
	tEOF: "end of formula", tIllegal: "illegal character", tIdent: "name", tInt: "integer",
	tFloat: "number", tLparen: "'('", tRparen: "')'", tLbrack: "'['", tRbrack: "']'",
	tComma: "','", tAssign: "'='", tAdd: "'+'", tSub: "'-'", tMul: "'*'", tQuo: "'/'",
	tPow: "'**'", tOr: "'|'", tLss: "'<'", tGtr: "'>'", tLeq: "'<='", tGeq: "'>='",
	tEql: "'=='", tNeq: "'!='",
}

func (t token) String() string { return tokenText[t] }
