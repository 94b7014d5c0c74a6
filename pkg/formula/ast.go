package formula

import (
	"math"
	"slices"
)

// Node is any node of a formula tree.
type Node interface {
	Pos() Pos // position of the first character of the node, or NoPos
}

// Expr is a formula expression. The family is closed: only the types of this
// file implement it, so a type switch over them is exhaustive.
type Expr interface {
	Node
	exprNode()
}

// Cat is the category of a variable: which index it is read with.
type Cat int8

const (
	CatI    Cat = 0 // indexed by i (Vi)
	CatJ    Cat = 1 // indexed by j (Vj)
	CatParm Cat = 2 // a parameter, the same for every (i, j) (Pm)
)

func (c Cat) String() string {
	switch c {
	case CatI:
		return "Vi"
	case CatJ:
		return "Vj"
	case CatParm:
		return "Pm"
	}
	return "Cat(" + itoa(int(c)) + ")"
}

type (
	// Ident is an alias name, before [Bind] replaces it by its [Var].
	Ident struct {
		NamePos Pos
		Name    string
	}

	// Var is the leaf Var(Ind, Dim, Cat): input array number Ind, a vector of
	// Dim values read at index i, j, or once (parameter). Two Vars are the same
	// variable iff their (Ind, Dim, Cat) are equal. Negative Ind are internal
	// placeholders (gradient inputs of the linear operators).
	Var struct {
		ValuePos Pos
		Ind, Dim int
		Cat      Cat
	}

	// Const is a scalar constant (dimension 1): the exact rational Num/Den
	// (IntCst when Den == 1, RatCst otherwise), or, when Den == 0, the float
	// literal F.
	Const struct {
		ValuePos Pos
		Num, Den int64
		F        float64
	}

	// Zero is the vector of Dim zeros.
	Zero struct {
		ValuePos Pos
		Dim      int
	}

	// Call applies an operation to formula arguments, integer parameters and
	// integer-list parameters (TensorDot, Kron). Dim is set by [Check].
	Call struct {
		NamePos Pos
		Op      Op
		Args    []Expr
		Ints    []int
		Lists   [][]int
		Dim     int
	}
)

func (e *Ident) Pos() Pos { return e.NamePos }
func (e *Var) Pos() Pos   { return e.ValuePos }
func (e *Const) Pos() Pos { return e.ValuePos }
func (e *Zero) Pos() Pos  { return e.ValuePos }
func (e *Call) Pos() Pos  { return e.NamePos }

func (*Ident) exprNode() {}
func (*Var) exprNode()   {}
func (*Const) exprNode() {}
func (*Zero) exprNode()  {}
func (*Call) exprNode()  {}

// IntConst returns the constant n.
func IntConst(n int64) *Const { return &Const{Num: n, Den: 1} }

// IsInt reports whether c is an integer constant.
func (c *Const) IsInt() bool { return c.Den == 1 }

// IsFloat reports whether c is a float literal.
func (c *Const) IsFloat() bool { return c.Den == 0 }

// Value is the number the engine uses for c. Integer and rational constants
// are rounded to float32 first, as KeOps emits them as C floats: in float64,
// x/3 is computed with a float32-rounded 1/3.
func (c *Const) Value() float64 {
	if c.Den == 0 {
		return c.F
	}
	return float64(float32(float64(c.Num) / float64(c.Den)))
}

// NewCall builds a call of op on args, with optional integer parameters.
func NewCall(op Op, args []Expr, ints ...int) *Call {
	return &Call{Op: op, Args: args, Ints: ints}
}

// DimOf is the dimension of a checked expression (see [Check]); 0 when unknown.
func DimOf(e Expr) int {
	switch e := e.(type) {
	case *Var:
		return e.Dim
	case *Const:
		return 1
	case *Zero:
		return e.Dim
	case *Call:
		return e.Dim
	}
	return 0
}

// Equal reports whether a and b are the same formula (positions ignored).
func Equal(a, b Expr) bool {
	if a == b {
		return true // shared subtrees, common in lowered trees
	}
	switch a := a.(type) {
	case *Ident:
		b, ok := b.(*Ident)
		return ok && a.Name == b.Name
	case *Var:
		b, ok := b.(*Var)
		return ok && a.Ind == b.Ind && a.Dim == b.Dim && a.Cat == b.Cat
	case *Const:
		b, ok := b.(*Const)
		if !ok || a.Den != b.Den {
			return false
		}
		if a.Den == 0 {
			return a.F == b.F || math.IsNaN(a.F) && math.IsNaN(b.F)
		}
		return a.Num == b.Num
	case *Zero:
		b, ok := b.(*Zero)
		return ok && a.Dim == b.Dim
	case *Call:
		b, ok := b.(*Call)
		if !ok || a.Op != b.Op || len(a.Args) != len(b.Args) || !slices.Equal(a.Ints, b.Ints) ||
			!slices.EqualFunc(a.Lists, b.Lists, slices.Equal[[]int]) {
			return false
		}
		for k := range a.Args {
			if !Equal(a.Args[k], b.Args[k]) {
				return false
			}
		}
		return true
	}
	return false
}
