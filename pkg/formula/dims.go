package formula

import "fmt"

// dimRule gives the output dimension of a call from its arguments' (already
// checked) dimensions, or a message saying why they do not fit. Messages
// name the dims involved; the caller prefixes the op name and position.
type dimRule func(c *Call) (int, string)

// maxDim bounds every dimension, so that products of dims cannot overflow
// and a formula cannot ask for absurd amounts of memory.
const maxDim = 1 << 28

// Check infers the dimension of every node of e and stores it in each Call.
// src is the formula text, quoted in errors. Unbound names are errors.
func Check(e Expr, src string) error {
	_, err := (&checker{src: src, done: map[*Call]bool{}}).check(e)
	return err
}

// check checks one node, outside of any tree (Lower's leaves).
func check(e Expr, src string) (int, error) {
	return (&checker{src: src, done: map[*Call]bool{}}).check(e)
}

// checker visits each Call once: lowered trees share subtrees, and a
// derivative of a derivative walked as a tree is exponentially large.
type checker struct {
	src  string
	done map[*Call]bool
}

func (k *checker) check(e Expr) (int, error) {
	src := k.src
	switch e := e.(type) {
	case *Ident:
		return 0, errorf(src, e.NamePos, "undefined name %s (not an alias nor an operation)", e.Name)
	case *Var:
		if e.Dim < 1 {
			return 0, errorf(src, e.ValuePos, "variable Var(%d,%d,%d) must have a dimension >= 1", e.Ind, e.Dim, e.Cat)
		}
		return e.Dim, nil
	case *Const:
		return 1, nil
	case *Zero:
		if e.Dim < 1 {
			return 0, errorf(src, e.ValuePos, "Zero(%d) must have a dimension >= 1", e.Dim)
		}
		return e.Dim, nil
	case *Call:
		if k.done[e] {
			return e.Dim, nil
		}
		for _, a := range e.Args {
			if _, err := k.check(a); err != nil {
				return 0, err
			}
		}
		d, msg := callDim(e)
		if msg != "" {
			return 0, errorf(src, e.NamePos, "%s", msg)
		}
		e.Dim = d
		k.done[e] = true
		return d, nil
	}
	return 0, fmt.Errorf("formula: unknown node %T", e)
}

// callDim applies the dim rule of c's op to c, whose arguments are checked.
// The message, if any, starts with the op name.
func callDim(c *Call) (int, string) {
	if c.Op == OpInvalid || c.Op >= numOps {
		return 0, fmt.Sprintf("invalid operation %d", c.Op)
	}
	row := c.Op.Info()
	if row.Dim == nil {
		return 0, row.Name + " has no dimension rule"
	}
	if len(c.Args) < row.Args-row.OptArgs || len(c.Args) > row.Args || len(c.Ints) != row.Ints ||
		len(c.Lists) < row.Lists-row.OptLists || len(c.Lists) > row.Lists {
		return 0, fmt.Sprintf("%s: wrong number of arguments (%d formulas, %d integers, %d lists)",
			row.Name, len(c.Args), len(c.Ints), len(c.Lists))
	}
	d, msg := row.Dim(c)
	if msg != "" {
		return 0, row.Name + ": " + msg
	}
	if d < 1 || d > maxDim {
		return 0, fmt.Sprintf("%s: output dimension %d out of range [1, %d]", row.Name, d, maxDim)
	}
	return d, ""
}

// argDims lists the dimensions of the formula arguments of c.
func argDims(c *Call) []int {
	ds := make([]int, len(c.Args))
	for k, a := range c.Args {
		ds[k] = DimOf(a)
	}
	return ds
}

// broadcastDim is the common dimension of dims {D} or {1, D}: the rule of
// KeOps' vectorized scalar ops.
func broadcastDim(ds []int) (int, string) {
	d := 1
	for _, x := range ds {
		if x != 1 {
			if d != 1 && d != x {
				return 0, fmt.Sprintf("dimensions are not compatible: %v (need all equal, or 1)", ds)
			}
			d = x
		}
	}
	return d, ""
}

func dimElementwise(c *Call) (int, string) { return broadcastDim(argDims(c)) }

// dimComplexElementwise: complex vectors of dim 2L, or a complex scalar
// (dim 2) broadcast over them.
func dimComplexElementwise(c *Call) (int, string) {
	ds := argDims(c)
	d := 2
	for _, x := range ds {
		if x%2 != 0 {
			return 0, fmt.Sprintf("complex arguments need even dimensions, got %v", ds)
		}
		if x != 2 {
			if d != 2 && d != x {
				return 0, fmt.Sprintf("dimensions are not compatible: %v (need all equal, or 2)", ds)
			}
			d = x
		}
	}
	return d, ""
}

func dimScalar(c *Call) (int, string) { return 1, "" }

func dimSame(c *Call) (int, string) { return DimOf(c.Args[0]), "" }

func dimFirst(c *Call) (int, string) { return DimOf(c.Args[0]), "" }

func dimSameOr1ToScalar(c *Call) (int, string) {
	if _, msg := broadcastDim(argDims(c)); msg != "" {
		return 0, msg
	}
	return 1, ""
}

func dimScalprod(c *Call) (int, string) {
	a, b := DimOf(c.Args[0]), DimOf(c.Args[1])
	if a != b && a != 1 && b != 1 {
		return 0, fmt.Sprintf("the operands have dimensions %d and %d (need equal, or one of them 1)", a, b)
	}
	return 1, ""
}

func dimWeightedSqNorm(c *Call) (int, string) {
	s, d := DimOf(c.Args[0]), DimOf(c.Args[1])
	return weightDim(s, d)
}

func weightDim(s, d int) (int, string) {
	if s != 1 && s != d && s != d*d {
		return 0, fmt.Sprintf("the weight has dimension %d; for a vector of dimension %d it needs 1, %d or %d", s, d, d, d*d)
	}
	return 1, ""
}

func dimWeightedSqDist(c *Call) (int, string) {
	d, msg := broadcastDim([]int{DimOf(c.Args[1]), DimOf(c.Args[2])})
	if msg != "" {
		return 0, msg
	}
	return weightDim(DimOf(c.Args[0]), d)
}

// dimSqNormIso: KeOps intends a scalar weight, and a longer one broadcasts.
func dimSqNormIso(c *Call) (int, string) { return DimOf(c.Args[0]), "" }

func dimSqNormDiag(c *Call) (int, string) {
	s, d := DimOf(c.Args[0]), DimOf(c.Args[1])
	if s != 1 && s != d {
		return 0, fmt.Sprintf("the weight has dimension %d; it needs 1 or %d", s, d)
	}
	return 1, ""
}

func dimSymSqNorm(c *Call) (int, string) {
	s, d := DimOf(c.Args[0]), DimOf(c.Args[1])
	if s != d*d {
		return 0, fmt.Sprintf("the matrix has dimension %d; for a vector of dimension %d it needs %d", s, d, d*d)
	}
	return 1, ""
}

func dimSumT(c *Call) (int, string) {
	if d := DimOf(c.Args[0]); d != 1 {
		return 0, fmt.Sprintf("the argument must have dimension 1, got %d", d)
	}
	if n := c.Ints[0]; n < 1 {
		return 0, fmt.Sprintf("the output dimension must be >= 1, got %d", n)
	}
	return c.Ints[0], ""
}

func dimElem(c *Call) (int, string) {
	d, m := DimOf(c.Args[0]), c.Ints[0]
	if m < 0 || m >= d {
		return 0, fmt.Sprintf("Index out of bound in Elem: index %d, dimension %d", m, d)
	}
	return 1, ""
}

func dimElemT(c *Call) (int, string) {
	d, n, m := DimOf(c.Args[0]), c.Ints[0], c.Ints[1]
	if d != 1 {
		return 0, fmt.Sprintf("the argument must have dimension 1, got %d", d)
	}
	if m < 0 || m >= n {
		return 0, fmt.Sprintf("index %d out of bound for dimension %d", m, n)
	}
	return n, ""
}

func dimExtract(c *Call) (int, string) {
	d, s, n := DimOf(c.Args[0]), c.Ints[0], c.Ints[1]
	if s < 0 || n < 1 || s > d-n {
		return 0, fmt.Sprintf("cannot extract [%d, %d+%d) from a vector of dimension %d", s, s, n, d)
	}
	return n, ""
}

func dimExtractT(c *Call) (int, string) {
	d, s, n := DimOf(c.Args[0]), c.Ints[0], c.Ints[1]
	if s < 0 || s > n-d {
		return 0, fmt.Sprintf("cannot put a vector of dimension %d at %d in a vector of dimension %d", d, s, n)
	}
	return n, ""
}

func dimConcat(c *Call) (int, string) { return DimOf(c.Args[0]) + DimOf(c.Args[1]), "" }

func dimOneHot(c *Call) (int, string) {
	if d := DimOf(c.Args[0]); d != 1 {
		return 0, fmt.Sprintf("the argument must have dimension 1, got %d", d)
	}
	if n := c.Ints[0]; n < 1 {
		return 0, fmt.Sprintf("the output dimension must be >= 1, got %d", n)
	}
	return c.Ints[0], ""
}

func dimBSpline(c *Call) (int, string) {
	nk, dx, k := DimOf(c.Args[0]), DimOf(c.Args[1]), c.Ints[0]
	if dx != 1 {
		return 0, fmt.Sprintf("X must have dimension 1, got %d", dx)
	}
	if k < 0 || nk < k+2 {
		return 0, fmt.Sprintf("order %d needs at least %d knots, got %d", k, k+2, nk)
	}
	return nk - k - 1, ""
}

func dimMatVecMult(c *Call) (int, string) {
	a, b := DimOf(c.Args[0]), DimOf(c.Args[1])
	if a%b != 0 {
		return 0, fmt.Sprintf("the matrix dimension %d is not a multiple of the vector dimension %d", a, b)
	}
	return a / b, ""
}

func dimVecMatMult(c *Call) (int, string) {
	b, a := DimOf(c.Args[0]), DimOf(c.Args[1])
	if a%b != 0 {
		return 0, fmt.Sprintf("the matrix dimension %d is not a multiple of the vector dimension %d", a, b)
	}
	return a / b, ""
}

func dimTensorProd(c *Call) (int, string) {
	a, b := DimOf(c.Args[0]), DimOf(c.Args[1])
	if a > maxDim/b {
		return 0, fmt.Sprintf("dimension %d*%d too large", a, b)
	}
	return a * b, ""
}

// prod multiplies dims, or returns -1 for a dim < 1 or a product > maxDim.
func prod(ds []int) int {
	p := 1
	for _, d := range ds {
		if d < 1 || p > maxDim/d {
			return -1
		}
		p *= d
	}
	return p
}

// tensorDotShape checks the lists of TensorDot(A, B, da, db, ca, cb[, permute])
// and returns its kept axes and the output shape (after permutation).
func tensorDotShape(dimA, dimB int, lists [][]int) (keptA, keptB, shape []int, msg string) {
	da, db, ca, cb := lists[0], lists[1], lists[2], lists[3]
	if p := prod(da); p != dimA {
		return nil, nil, nil, fmt.Sprintf("the dims %v of A do not multiply to its dimension %d", da, dimA)
	}
	if p := prod(db); p != dimB {
		return nil, nil, nil, fmt.Sprintf("the dims %v of B do not multiply to its dimension %d", db, dimB)
	}
	if len(ca) != len(cb) {
		return nil, nil, nil, fmt.Sprintf("contracted axes %v and %v differ in number", ca, cb)
	}
	usedA, usedB := make([]bool, len(da)), make([]bool, len(db))
	for k := range ca {
		a, b := ca[k], cb[k]
		if a < 0 || a >= len(da) || b < 0 || b >= len(db) || usedA[a] || usedB[b] {
			return nil, nil, nil, fmt.Sprintf("bad contracted axes %v, %v for dims %v, %v", ca, cb, da, db)
		}
		if da[a] != db[b] {
			return nil, nil, nil, fmt.Sprintf("contracted axes %d of A and %d of B have sizes %d and %d", a, b, da[a], db[b])
		}
		usedA[a], usedB[b] = true, true
	}
	var kept []int
	for a := range da {
		if !usedA[a] {
			keptA = append(keptA, a)
			kept = append(kept, da[a])
		}
	}
	for b := range db {
		if !usedB[b] {
			keptB = append(keptB, b)
			kept = append(kept, db[b])
		}
	}
	shape = kept
	if len(lists) > 4 {
		perm := lists[4]
		if !isPermutation(perm, len(kept)) {
			return nil, nil, nil, fmt.Sprintf("permute %v is not a permutation of the %d kept axes", perm, len(kept))
		}
		shape = make([]int, len(kept))
		for d, p := range perm {
			shape[p] = kept[d]
		}
	}
	return keptA, keptB, shape, ""
}

func isPermutation(p []int, n int) bool {
	if len(p) != n {
		return false
	}
	seen := make([]bool, n)
	for _, x := range p {
		if x < 0 || x >= n || seen[x] {
			return false
		}
		seen[x] = true
	}
	return true
}

func dimTensorDot(c *Call) (int, string) {
	_, _, shape, msg := tensorDotShape(DimOf(c.Args[0]), DimOf(c.Args[1]), c.Lists)
	if msg != "" {
		return 0, msg
	}
	return prod(shape), ""
}

func dimKron(c *Call) (int, string) {
	da, db := c.Lists[0], c.Lists[1]
	if len(da) != len(db) {
		return 0, fmt.Sprintf("the dims %v and %v must have the same number of axes", da, db)
	}
	if prod(da) != DimOf(c.Args[0]) || prod(db) != DimOf(c.Args[1]) {
		return 0, fmt.Sprintf("the dims %v, %v do not multiply to the dimensions %d, %d", da, db, DimOf(c.Args[0]), DimOf(c.Args[1]))
	}
	return dimTensorProd(c)
}

func dimSoftDTW(c *Call) (int, string) {
	if g := DimOf(c.Args[2]); g != 1 {
		return 0, fmt.Sprintf("gamma must have dimension 1, got %d", g)
	}
	return 1, ""
}

func dimSoftDTWGrad(c *Call) (int, string) {
	if g, e := DimOf(c.Args[2]), DimOf(c.Args[3]); g != 1 || e != 1 {
		return 0, fmt.Sprintf("gamma and the gradient input must have dimension 1, got %d and %d", g, e)
	}
	switch c.Ints[0] {
	case 0:
		return DimOf(c.Args[0]), ""
	case 1:
		return DimOf(c.Args[1]), ""
	}
	return 0, fmt.Sprintf("the last argument must be 0 (gradient with respect to X) or 1 (Y), got %d", c.Ints[0])
}

func dimComplexHalf(c *Call) (int, string) {
	d := DimOf(c.Args[0])
	if d%2 != 0 {
		return 0, fmt.Sprintf("a complex argument needs an even dimension, got %d", d)
	}
	return d / 2, ""
}

func dimComplexDouble(c *Call) (int, string) { return 2 * DimOf(c.Args[0]), "" }

func dimComplexSum(c *Call) (int, string) {
	if _, msg := dimComplexHalf(c); msg != "" {
		return 0, msg
	}
	return 2, ""
}

func dimComplexSumT(c *Call) (int, string) {
	if d := DimOf(c.Args[0]); d != 2 {
		return 0, fmt.Sprintf("the argument must be a complex scalar (dimension 2), got %d", d)
	}
	if n := c.Ints[0]; n < 2 || n%2 != 0 {
		return 0, fmt.Sprintf("the output dimension must be even and >= 2, got %d", n)
	}
	return c.Ints[0], ""
}

func dimComplexRealScal(c *Call) (int, string) {
	a, b := DimOf(c.Args[0]), DimOf(c.Args[1])
	switch {
	case a == 1 && b%2 == 0:
		return b, ""
	case b == 1 && a%2 == 0:
		return a, ""
	}
	return 0, fmt.Sprintf("needs a real scalar (dimension 1) and a complex vector (even dimension), got %d and %d", a, b)
}

// variable returns the argument k of a symbolic op, which must be a
// variable (an alias name, or Var(...)).
func variable(c *Call, k int) (*Var, string) {
	v, ok := c.Args[k].(*Var)
	if !ok {
		return nil, fmt.Sprintf("argument %d must be a variable (an alias name or Var(...))", k+1)
	}
	return v, ""
}

func dimGrad(c *Call) (int, string) {
	v, msg := variable(c, 1)
	if msg != "" {
		return 0, msg
	}
	f := DimOf(c.Args[0])
	if len(c.Args) == 2 {
		if v.Cat == CatParm {
			return 0, "Grad(F, V) without a gradient input needs V indexed by i or j, not a parameter"
		}
		return v.Dim, ""
	}
	if e := DimOf(c.Args[2]); e != f && e != 1 {
		return 0, fmt.Sprintf("the gradient input has dimension %d; the formula has dimension %d (need equal, or 1)", e, f)
	}
	return v.Dim, ""
}

func dimDiff(c *Call) (int, string) {
	v, msg := variable(c, 1)
	if msg != "" {
		return 0, msg
	}
	if u := DimOf(c.Args[2]); u != v.Dim && u != 1 {
		return 0, fmt.Sprintf("the direction has dimension %d; the variable has dimension %d (need equal, or 1)", u, v.Dim)
	}
	return DimOf(c.Args[0]), ""
}

func dimGradMatrix(c *Call) (int, string) {
	v, msg := variable(c, 1)
	if msg != "" {
		return 0, msg
	}
	f := DimOf(c.Args[0])
	if f > maxDim/v.Dim {
		return 0, fmt.Sprintf("dimension %d*%d too large", f, v.Dim)
	}
	return f * v.Dim, ""
}

func dimDivergence(c *Call) (int, string) {
	v, msg := variable(c, 1)
	if msg != "" {
		return 0, msg
	}
	if f := DimOf(c.Args[0]); f != v.Dim {
		return 0, fmt.Sprintf("the formula (dimension %d) and the variable (dimension %d) must have the same dimension", f, v.Dim)
	}
	return 1, ""
}

func dimLaplacian(c *Call) (int, string) {
	if _, msg := variable(c, 1); msg != "" {
		return 0, msg
	}
	if f := DimOf(c.Args[0]); f != 1 {
		return 0, fmt.Sprintf("the formula must have dimension 1, got %d", f)
	}
	return 1, ""
}

func dimTraceOperator(c *Call) (int, string) {
	v, msg := variable(c, 1)
	if msg != "" {
		return 0, msg
	}
	if f := DimOf(c.Args[0]); f != 1 && f != v.Dim {
		return 0, fmt.Sprintf("the formula has dimension %d; it needs 1 or %d (the variable's)", f, v.Dim)
	}
	if len(c.Args) > 2 {
		if w := DimOf(c.Args[2]); w != 1 && w != v.Dim {
			return 0, fmt.Sprintf("the weight has dimension %d; it needs 1 or %d (the variable's)", w, v.Dim)
		}
	}
	return 1, ""
}

func dimAdjointOperator(c *Call) (int, string) {
	v, msg := variable(c, 1)
	if msg != "" {
		return 0, msg
	}
	if f, u := DimOf(c.Args[0]), DimOf(c.Args[2]); u != f && u != 1 {
		return 0, fmt.Sprintf("the vector has dimension %d; the formula has dimension %d (need equal, or 1)", u, f)
	}
	return v.Dim, ""
}

func dimSumLinOperator(c *Call) (int, string) {
	v, msg := variable(c, 1)
	if msg != "" {
		return 0, msg
	}
	f := DimOf(c.Args[0])
	if len(c.Args) > 2 {
		if w := DimOf(c.Args[2]); w != 1 && w != f {
			return 0, fmt.Sprintf("the left weight has dimension %d; it needs 1 or %d (the formula's)", w, f)
		}
	}
	if len(c.Args) > 3 {
		if w := DimOf(c.Args[3]); w != 1 && w != v.Dim {
			return 0, fmt.Sprintf("the right weight has dimension %d; it needs 1 or %d (the variable's)", w, v.Dim)
		}
	}
	return 1, ""
}

// posVar finds the variable of index ind in e, for GradFromPos.
func posVar(e Expr, ind int) (*Var, string) {
	var found *Var
	var msg string
	Inspect(e, func(n Expr) bool {
		if v, ok := n.(*Var); ok && v.Ind == ind {
			if found != nil && !Equal(found, v) {
				msg = fmt.Sprintf("index %d names two variables, %s and %s", ind, varString(*found), varString(*v))
			}
			found = v
		}
		return true
	})
	if found == nil && msg == "" {
		msg = fmt.Sprintf("the formula has no variable of index %d", ind)
	}
	return found, msg
}

func dimGradFromPos(c *Call) (int, string) {
	v, msg := posVar(c.Args[0], c.Ints[0])
	if msg != "" {
		return 0, msg
	}
	if f, e := DimOf(c.Args[0]), DimOf(c.Args[1]); e != f && e != 1 {
		return 0, fmt.Sprintf("the gradient input has dimension %d; the formula has dimension %d (need equal, or 1)", e, f)
	}
	return v.Dim, ""
}

func dimReductionOnly(name string) dimRule {
	return func(*Call) (int, string) {
		return 0, name + " differentiates a reduction (it serves the torch backward pass) and cannot appear inside a formula"
	}
}
