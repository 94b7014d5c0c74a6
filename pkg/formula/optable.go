package formula

// Op is an operation of the formula language.
type Op uint8

// The operations of the language, in the order of the reference's table.
const (
	OpInvalid Op = iota

	// Elementwise.
	OpAdd
	OpSubtract
	OpMult
	OpDivide
	OpMinus
	OpInv
	OpExp
	OpLog
	OpXLogX
	OpSin
	OpCos
	OpSinXDivX
	OpAsin
	OpAcos
	OpAtan
	OpAtan2
	OpErf // not in KeOps 2.3
	OpSqrt
	OpRsqrt
	OpSquare
	OpPow
	OpPowf
	OpAbs
	OpSign
	OpStep
	OpReLU
	OpFloor
	OpRound
	OpMod
	OpClamp
	OpClampInt
	OpDiffClampInt
	OpIfElse
	OpEqual
	OpNotEqual
	OpLessThan
	OpLessOrEqual

	// Vector ops, norms, indexing.
	OpSum
	OpSumT
	OpMax
	OpMin
	OpArgMax
	OpArgMin
	OpScalprod
	OpSqNorm2
	OpNorm2
	OpNormalize
	OpSqDist
	OpWeightedSqNorm
	OpWeightedSqDist
	OpSqNormIso
	OpSqNormDiag
	OpSymSqNorm
	OpElem
	OpElemT
	OpExtract
	OpExtractT
	OpConcat
	OpOneHot
	OpBSpline

	// Tensor algebra.
	OpMatVecMult
	OpVecMatMult
	OpTensorProd
	OpTensorDot
	OpKron

	// Other.
	OpSoftDTWSqDist
	OpSoftDTWSqDistGrad // internal: derivative of SoftDTW_SqDist

	// Complex numbers.
	OpComplexReal
	OpComplexImag
	OpReal2Complex
	OpImag2Complex
	OpConj
	OpComplexAdd
	OpComplexSubtract
	OpComplexMult
	OpComplexDivide
	OpComplexSquareAbs
	OpComplexAbs
	OpComplexAngle
	OpComplexExp
	OpComplexExp1j
	OpComplexSum
	OpComplexSumT
	OpComplexRealScal

	// Symbolic operations: Lower replaces them by ordinary formulas.
	OpGrad
	OpDiff
	OpGradMatrix
	OpDivergence
	OpLaplacian
	OpTraceOperator
	OpAdjointOperator
	OpSumLinOperator
	OpFactorize
	OpAutoFactorize
	OpGradFromPos
	OpGradWithSavedForward
	OpDiffWithSavedForward

	numOps
)

// NumOps is the number of operations; valid ops are 1 .. NumOps-1.
const NumOps = int(numOps)

// Family says how an op broadcasts its arguments, which the chain rule of
// diff.go must undo.
type Family uint8

const (
	FamOther       Family = iota // arguments have the exact dims the op needs
	FamElementwise               // VectorizedScalarOp: dims {D} or {1, D}
	FamComplex                   // VectorizedComplexScalarOp: dims {2L} or {2, 2L}
	FamSymbolic                  // rewritten by Lower (Grad, Diff, ...)
)

// Linearity says when an op is linear in a variable v, given its arguments
// (KeOps' linearity_type). The linear operators (TraceOperator, ...) need it,
// and the simplifier uses it to propagate Zero: a linear op of Zero is Zero.
type Linearity uint8

const (
	LinNone     Linearity = iota // never linear
	LinAll                       // linear iff every formula argument is (Add, Sum, Extract, ...)
	LinOne                       // linear iff one argument is and the others do not depend on v (Mult, Scalprod, ...)
	LinFirst                     // linear iff the first argument is and the others do not depend on v (Divide)
	LinBranches                  // IfElse: linear iff both branches are and the condition does not depend on v
)

// OpInfo describes one operation. It is the only place an operation is
// described: the parser, the dimension checker, the differentiator, the
// simplifier, Lower and the code generators read these rows.
//
// Templates (Expand, Deriv, DerivVia) are formulas over the names a, b, c, d
// (the formula arguments), e (the gradient input), f (the call itself), n, m
// (the integer parameters), Da, Db, Dc, Dd (the arguments' dims) and D (the
// call's dim). They are parsed once, when the package is initialised.
type OpInfo struct {
	Name string // spelling in formulas
	Args int    // formula arguments
	// OptArgs is how many trailing formula arguments may be omitted.
	OptArgs int
	Ints    int // integer parameters, after the formula arguments unless IntsAt says otherwise
	// IntsAt, when positive, is the number of formula arguments written
	// before the integer parameters: GradFromPos(F, I, E) has IntsAt 1.
	IntsAt int
	Lists  int // integer-list parameters, after everything else
	// OptLists is how many trailing list parameters may be omitted.
	OptLists int
	// Keywords names the last len(Keywords) parameters, which may be given
	// as name=value (TensorDot's permute, TraceOperator's w).
	Keywords []string

	Family Family
	Dim    dimRule // output dimension from the arguments'
	Prim   Prim    // the engine primitive, or PrimNone for composite and symbolic ops
	// Expand writes a composite op with other ops. It may list alternatives
	// chosen by dimensions, "X if Da==1 else Y", and the last alternative
	// may be "prim": keep the primitive (for ops whose primitive only covers
	// some dimensions, such as SqDist with a dim-1 operand).
	Expand string

	// Deriv gives, per formula argument, the gradient input that argument
	// receives (the vector-Jacobian product of the op for gradient input e):
	// "e*Cos(a)" for Sin. "0" marks a locally constant op; "" means the
	// argument cannot be differentiated (see NoDeriv). For elementwise ops,
	// e may be of dim 1; the chain rule sums the result of a dim-1 argument.
	Deriv []string
	// DerivVia, when set, is a formula with the same value as the op whose
	// derivative is used instead (Clamp, Mod).
	DerivVia string
	// NoDeriv is the error for an argument with an empty Deriv entry.
	NoDeriv string

	// Method, when set, is the LazyTensor method that writes the op on
	// self alone (x.exp() is Exp(x)), and About says what it computes, for
	// the method's documentation: the Python layer builds those methods from
	// these two fields (see ElementwiseMethods).
	Method, About string

	Linear Linearity
	// TestDomain is the interval the tests draw arguments from, when the op
	// is not defined (or not differentiable) on all of [-2, 2].
	TestDomain [2]float64

	// Hooks for what a template cannot say, set in init (they read the
	// table back, which a variable initialiser would reject as a cycle).
	build   func(l *lowering, c *Call) (Expr, error)                // composite op built in Go (Kron)
	lower   func(l *lowering, c *Call) (Expr, error)                // symbolic op
	derivFn func(l *lowering, c *Call, k int, e Expr) (Expr, error) // Deriv in Go (TensorDot)

	// Parsed templates and the argument layout, filled by init.
	expand []alternative
	deriv  []*template
	via    *template
	slots  []slot
}

// Info returns the table row of o.
func (o Op) Info() *OpInfo { return &opTable[o] }

func (o Op) String() string {
	if int(o) >= len(opTable) {
		return "Op(" + itoa(int(o)) + ")"
	}
	return opTable[o].Name
}

// Symbolic reports whether o is rewritten by Lower into other ops.
func (o Op) Symbolic() bool { return opTable[o].Family == FamSymbolic }

// zeroDeriv marks the arguments of a locally constant op.
var zeroDeriv = []string{"0", "0", "0"}

// dom is a TestDomain.
func dom(lo, hi float64) [2]float64 { return [2]float64{lo, hi} }

var (
	opTable  [numOps]OpInfo
	opByName map[string]Op
)

func init() {
	const ew, cx, sym = FamElementwise, FamComplex, FamSymbolic
	opTable = [numOps]OpInfo{
		OpInvalid: {Name: "<invalid>"},

		OpAdd:      {Name: "Add", Args: 2, Family: ew, Dim: dimElementwise, Prim: PrimAdd, Linear: LinAll, Deriv: []string{"e", "e"}},
		OpSubtract: {Name: "Subtract", Args: 2, Family: ew, Dim: dimElementwise, Prim: PrimSubtract, Linear: LinAll, Deriv: []string{"e", "-e"}},
		OpMult:     {Name: "Mult", Args: 2, Family: ew, Dim: dimElementwise, Prim: PrimMult, Linear: LinOne, Deriv: []string{"b*e", "a*e"}},
		OpDivide: {Name: "Divide", Args: 2, Family: ew, Dim: dimElementwise, Prim: PrimDivide, Linear: LinFirst,
			Deriv: []string{"e/b", "-e*a/Square(b)"}, TestDomain: dom(0.5, 2)},
		OpMinus:    {Name: "Minus", Args: 1, Family: ew, Dim: dimElementwise, Prim: PrimMinus, Linear: LinAll, Deriv: []string{"-e"}},
		OpInv:      {Name: "Inv", Args: 1, Family: ew, Dim: dimElementwise, Prim: PrimInv, Deriv: []string{"-e*Square(f)"}, TestDomain: dom(0.5, 2)},
		OpExp:      {Name: "Exp", Args: 1, Family: ew, Dim: dimElementwise, Prim: PrimExp, Method: "exp", About: "exponential", Deriv: []string{"e*f"}},
		OpLog:      {Name: "Log", Args: 1, Family: ew, Dim: dimElementwise, Prim: PrimLog, Method: "log", About: "natural logarithm", Deriv: []string{"e*Inv(a)"}, TestDomain: dom(0.1, 2)},
		OpXLogX:    {Name: "XLogX", Args: 1, Family: ew, Dim: dimElementwise, Prim: PrimXLogX, Method: "xlogx", About: "x log x (0 at x = 0)", Deriv: []string{"e*(Log(a)+1)"}, TestDomain: dom(0.1, 2)},
		OpSin:      {Name: "Sin", Args: 1, Family: ew, Dim: dimElementwise, Prim: PrimSin, Method: "sin", About: "sine", Deriv: []string{"e*Cos(a)"}},
		OpCos:      {Name: "Cos", Args: 1, Family: ew, Dim: dimElementwise, Prim: PrimCos, Method: "cos", About: "cosine", Deriv: []string{"-e*Sin(a)"}},
		OpSinXDivX: {Name: "SinXDivX", Args: 1, Family: ew, Dim: dimElementwise, Prim: PrimSinXDivX, Method: "sinxdivx", About: "sin(x)/x (1 at x = 0)", Deriv: []string{"e*(Cos(a)/a-Sin(a)/Square(a))"}, TestDomain: dom(0.5, 2)},
		OpAsin:     {Name: "Asin", Args: 1, Family: ew, Dim: dimElementwise, Prim: PrimAsin, Method: "asin", About: "arcsine", Deriv: []string{"e*Rsqrt(1-Square(a))"}, TestDomain: dom(-0.9, 0.9)},
		OpAcos:     {Name: "Acos", Args: 1, Family: ew, Dim: dimElementwise, Prim: PrimAcos, Method: "acos", About: "arccosine", Deriv: []string{"-e*Rsqrt(1-Square(a))"}, TestDomain: dom(-0.9, 0.9)},
		OpAtan:     {Name: "Atan", Args: 1, Family: ew, Dim: dimElementwise, Prim: PrimAtan, Method: "atan", About: "arctangent", Deriv: []string{"e*Inv(1+Square(a))"}},
		OpAtan2: {Name: "Atan2", Args: 2, Family: ew, Dim: dimElementwise, Prim: PrimAtan2,
			Deriv: []string{"e*b/(Square(a)+Square(b))", "-e*a/(Square(a)+Square(b))"}, TestDomain: dom(0.5, 2)},
		// 2/sqrt(pi) = 1.1283791670955126.
		OpErf: {Name: "Erf", Args: 1, Family: ew, Dim: dimElementwise, Prim: PrimErf, Method: "erf", About: "error function",
			Deriv: []string{"e*1.1283791670955126*Exp(-Square(a))"}},
		OpSqrt:   {Name: "Sqrt", Args: 1, Family: ew, Dim: dimElementwise, Prim: PrimSqrt, Method: "sqrt", About: "square root", Deriv: []string{"e*Rsqrt(a)/2"}, TestDomain: dom(0.1, 2)},
		OpRsqrt:  {Name: "Rsqrt", Args: 1, Family: ew, Dim: dimElementwise, Prim: PrimRsqrt, Method: "rsqrt", About: "inverse square root (0 at x = 0)", Deriv: []string{"-e*Pow(f,3)/2"}, TestDomain: dom(0.1, 2)},
		OpSquare: {Name: "Square", Args: 1, Family: ew, Dim: dimElementwise, Prim: PrimSquare, Method: "square", About: "square", Deriv: []string{"2*a*e"}},
		OpPow:    {Name: "Pow", Args: 1, Ints: 1, Family: ew, Dim: dimElementwise, Prim: PrimPow, Deriv: []string{"n*Pow(a,n-1)*e"}},
		OpPowf: {Name: "Powf", Args: 2, Family: ew, Dim: dimElementwise, Prim: PrimPowf,
			Deriv: []string{"e*b*Powf(a,b-1)", "e*Log(a)*f"}, TestDomain: dom(0.5, 2)},
		OpAbs:          {Name: "Abs", Args: 1, Family: ew, Dim: dimElementwise, Prim: PrimAbs, Deriv: []string{"e*Sign(a)"}},
		OpSign:         {Name: "Sign", Args: 1, Family: ew, Dim: dimElementwise, Prim: PrimSign, Method: "sign", About: "sign (-1, 0 or 1)", Deriv: zeroDeriv},
		OpStep:         {Name: "Step", Args: 1, Family: ew, Dim: dimElementwise, Prim: PrimStep, Method: "step", About: "Heaviside step (0 if x < 0, else 1)", Deriv: zeroDeriv},
		OpReLU:         {Name: "ReLU", Args: 1, Family: ew, Dim: dimElementwise, Prim: PrimReLU, Method: "relu", About: "rectified linear unit", Deriv: []string{"e*Step(a)"}},
		OpFloor:        {Name: "Floor", Args: 1, Family: ew, Dim: dimElementwise, Prim: PrimFloor, Method: "floor", About: "floor", Deriv: zeroDeriv},
		OpRound:        {Name: "Round", Args: 1, Ints: 1, Family: ew, Dim: dimElementwise, Prim: PrimRound, Deriv: zeroDeriv},
		OpMod:          {Name: "Mod", Args: 3, Family: ew, Dim: dimElementwise, Prim: PrimMod, DerivVia: "a-b*Floor((a-c)/b)", TestDomain: dom(0.5, 3)},
		OpClamp:        {Name: "Clamp", Args: 3, Family: ew, Dim: dimElementwise, Prim: PrimClamp, DerivVia: "ClampInt((a-b)/(c-b),0,1)*(c-b)+b"},
		OpClampInt:     {Name: "ClampInt", Args: 1, Ints: 2, Family: ew, Dim: dimElementwise, Prim: PrimClampInt, Deriv: []string{"e*DiffClampInt(a,n,m)"}},
		OpDiffClampInt: {Name: "DiffClampInt", Args: 1, Ints: 2, Family: ew, Dim: dimElementwise, Prim: PrimDiffClampInt, Deriv: zeroDeriv},
		OpIfElse: {Name: "IfElse", Args: 3, Family: ew, Dim: dimElementwise, Prim: PrimIfElse, Linear: LinBranches,
			Deriv: []string{"0", "IfElse(a,e,0)", "IfElse(a,0,e)"}},
		OpEqual:       {Name: "Equal", Args: 2, Family: ew, Dim: dimElementwise, Prim: PrimEqual, Deriv: zeroDeriv},
		OpNotEqual:    {Name: "NotEqual", Args: 2, Family: ew, Dim: dimElementwise, Prim: PrimNotEqual, Deriv: zeroDeriv},
		OpLessThan:    {Name: "LessThan", Args: 2, Family: ew, Dim: dimElementwise, Prim: PrimLessThan, Deriv: zeroDeriv},
		OpLessOrEqual: {Name: "LessOrEqual", Args: 2, Family: ew, Dim: dimElementwise, Prim: PrimLessOrEqual, Deriv: zeroDeriv},

		OpSum:    {Name: "Sum", Args: 1, Dim: dimScalar, Prim: PrimSum, Linear: LinAll, Deriv: []string{"SumT(e,Da)"}},
		OpSumT:   {Name: "SumT", Args: 1, Ints: 1, Dim: dimSumT, Prim: PrimSumT, Linear: LinAll, Deriv: []string{"Sum(e)"}},
		OpMax:    {Name: "Max", Args: 1, Dim: dimScalar, Prim: PrimMax, Deriv: []string{"OneHot(ArgMax(a),Da)*e"}},
		OpMin:    {Name: "Min", Args: 1, Dim: dimScalar, Prim: PrimMin, Deriv: []string{"OneHot(ArgMin(a),Da)*e"}},
		OpArgMax: {Name: "ArgMax", Args: 1, Dim: dimScalar, Prim: PrimArgMax, Deriv: zeroDeriv},
		OpArgMin: {Name: "ArgMin", Args: 1, Dim: dimScalar, Prim: PrimArgMin, Deriv: zeroDeriv},
		// The primitive needs equal dims; the simplifier rewrites the dim-1
		// case as Sum(other)*scalar, as KeOps does.
		OpScalprod:  {Name: "Scalprod", Args: 2, Dim: dimScalprod, Prim: PrimScalprod, Linear: LinOne, Deriv: []string{"e*b", "e*a"}},
		OpSqNorm2:   {Name: "SqNorm2", Args: 1, Dim: dimScalar, Prim: PrimSqNorm2, Deriv: []string{"2*e*a"}},
		OpNorm2:     {Name: "Norm2", Args: 1, Dim: dimScalar, Expand: "Sqrt(SqNorm2(a))"},
		OpNormalize: {Name: "Normalize", Args: 1, Dim: dimSame, Expand: "Rsqrt(SqNorm2(a))*a"},
		OpSqDist: {Name: "SqDist", Args: 2, Dim: dimSameOr1ToScalar, Prim: PrimSqDist,
			Expand: "Sum(Square(a-b)) if Da!=Db else prim", Deriv: []string{"2*e*(a-b)", "2*e*(b-a)"}},
		OpWeightedSqNorm: {Name: "WeightedSqNorm", Args: 2, Dim: dimWeightedSqNorm,
			Expand: "a*SqNorm2(b) if Da==1 else SqNormDiag(a,b) if Da==Db else SymSqNorm(a,b)"},
		OpWeightedSqDist: {Name: "WeightedSqDist", Args: 3, Dim: dimWeightedSqDist, Expand: "WeightedSqNorm(a,b-c)"},
		OpSqNormIso:      {Name: "SqNormIso", Args: 2, Dim: dimSqNormIso, Expand: "a*SqNorm2(b)"},
		OpSqNormDiag:     {Name: "SqNormDiag", Args: 2, Dim: dimSqNormDiag, Expand: "Sum(a*Square(b))"},
		OpSymSqNorm:      {Name: "SymSqNorm", Args: 2, Dim: dimSymSqNorm, Expand: "(a|TensorProd(b,b))"},
		OpElem:           {Name: "Elem", Args: 1, Ints: 1, Dim: dimElem, Prim: PrimElem, Linear: LinAll, Deriv: []string{"ElemT(e,Da,n)"}},
		OpElemT:          {Name: "ElemT", Args: 1, Ints: 2, Dim: dimElemT, Prim: PrimElemT, Linear: LinAll, Deriv: []string{"Elem(e,m)"}},
		OpExtract:        {Name: "Extract", Args: 1, Ints: 2, Dim: dimExtract, Prim: PrimExtract, Linear: LinAll, Deriv: []string{"ExtractT(e,n,Da)"}},
		OpExtractT:       {Name: "ExtractT", Args: 1, Ints: 2, Dim: dimExtractT, Prim: PrimExtractT, Linear: LinAll, Deriv: []string{"Extract(e,n,Da)"}},
		OpConcat: {Name: "Concat", Args: 2, Dim: dimConcat, Prim: PrimConcat, Linear: LinAll,
			Deriv: []string{"Extract(e,0,Da)", "Extract(e,Da,Db)"}},
		OpOneHot:  {Name: "OneHot", Args: 1, Ints: 1, Dim: dimOneHot, Prim: PrimOneHot, Deriv: zeroDeriv},
		OpBSpline: {Name: "BSpline", Args: 2, Ints: 1, Dim: dimBSpline, Prim: PrimBSpline, NoDeriv: "BSpline is not differentiable"},

		OpMatVecMult: {Name: "MatVecMult", Args: 2, Dim: dimMatVecMult, Prim: PrimMatVecMult, Linear: LinOne,
			Deriv: []string{"TensorProd(e,b)", "VecMatMult(e,a)"}},
		OpVecMatMult: {Name: "VecMatMult", Args: 2, Dim: dimVecMatMult, Prim: PrimVecMatMult, Linear: LinOne,
			Deriv: []string{"MatVecMult(b,e)", "TensorProd(a,e)"}},
		OpTensorProd: {Name: "TensorProd", Args: 2, Dim: dimTensorProd, Prim: PrimTensorProd, Linear: LinOne,
			Deriv: []string{"MatVecMult(e,b)", "VecMatMult(a,e)"}},
		// Lists: dims of A, dims of B, contracted axes of A, of B, permute.
		OpTensorDot: {Name: "TensorDot", Args: 2, Lists: 5, OptLists: 1, Keywords: []string{"permute"},
			Dim: dimTensorDot, Prim: PrimTensorDot, Linear: LinOne},
		OpKron: {Name: "Kron", Args: 2, Lists: 2, Dim: dimKron},

		OpSoftDTWSqDist: {Name: "SoftDTW_SqDist", Args: 3, Dim: dimSoftDTW, Prim: PrimSoftDTWSqDist,
			Deriv:   []string{"GradSoftDTW_SqDist(a,b,c,e,0)", "GradSoftDTW_SqDist(a,b,c,e,1)", ""},
			NoDeriv: "SoftDTW_SqDist cannot be differentiated with respect to gamma", TestDomain: dom(0.2, 2)},
		// Ints: 0 for the gradient with respect to X, 1 for Y. Linear in e.
		OpSoftDTWSqDistGrad: {Name: "GradSoftDTW_SqDist", Args: 4, Ints: 1, Dim: dimSoftDTWGrad, Prim: PrimSoftDTWSqDistGrad,
			Deriv:   []string{"", "", "", "(e|GradSoftDTW_SqDist(a,b,c,1,n))"},
			NoDeriv: "SoftDTW_SqDist has no second derivative", TestDomain: dom(0.2, 2)},

		OpComplexReal:     {Name: "ComplexReal", Args: 1, Dim: dimComplexHalf, Prim: PrimComplexReal, Linear: LinAll, Deriv: []string{"Real2Complex(e)"}},
		OpComplexImag:     {Name: "ComplexImag", Args: 1, Dim: dimComplexHalf, Prim: PrimComplexImag, Linear: LinAll, Deriv: []string{"Imag2Complex(e)"}},
		OpReal2Complex:    {Name: "Real2Complex", Args: 1, Dim: dimComplexDouble, Prim: PrimReal2Complex, Linear: LinAll, Deriv: []string{"ComplexReal(e)"}},
		OpImag2Complex:    {Name: "Imag2Complex", Args: 1, Dim: dimComplexDouble, Prim: PrimImag2Complex, Linear: LinAll, Deriv: []string{"ComplexImag(e)"}},
		OpConj:            {Name: "Conj", Args: 1, Family: cx, Dim: dimComplexElementwise, Prim: PrimConj, Linear: LinAll, Deriv: []string{"Conj(e)"}},
		OpComplexAdd:      {Name: "ComplexAdd", Args: 2, Family: cx, Dim: dimComplexElementwise, Prim: PrimComplexAdd, Linear: LinAll, Deriv: []string{"e", "e"}},
		OpComplexSubtract: {Name: "ComplexSubtract", Args: 2, Family: cx, Dim: dimComplexElementwise, Prim: PrimComplexSubtract, Linear: LinAll, Deriv: []string{"e", "-e"}},
		OpComplexMult: {Name: "ComplexMult", Args: 2, Family: cx, Dim: dimComplexElementwise, Prim: PrimComplexMult, Linear: LinOne,
			Deriv: []string{"ComplexMult(Conj(b),e)", "ComplexMult(Conj(a),e)"}},
		OpComplexDivide: {Name: "ComplexDivide", Args: 2, Family: cx, Dim: dimComplexElementwise,
			Expand: "ComplexMult(Real2Complex(Inv(ComplexSquareAbs(b))),ComplexMult(a,Conj(b)))", TestDomain: dom(0.5, 2)},
		OpComplexSquareAbs: {Name: "ComplexSquareAbs", Args: 1, Dim: dimComplexHalf, Prim: PrimComplexSquareAbs, Deriv: []string{"2*ComplexMult(Real2Complex(e),a)"}},
		OpComplexAbs:       {Name: "ComplexAbs", Args: 1, Dim: dimComplexHalf, Expand: "Sqrt(ComplexSquareAbs(a))", TestDomain: dom(0.5, 2)},
		OpComplexAngle:     {Name: "ComplexAngle", Args: 1, Dim: dimComplexHalf, Expand: "Atan2(ComplexImag(a),ComplexReal(a))", TestDomain: dom(0.5, 2)},
		OpComplexExp:       {Name: "ComplexExp", Args: 1, Family: cx, Dim: dimComplexElementwise, Prim: PrimComplexExp, Deriv: []string{"ComplexMult(Conj(f),e)"}},
		OpComplexExp1j:     {Name: "ComplexExp1j", Args: 1, Dim: dimComplexDouble, Prim: PrimComplexExp1j, Deriv: []string{"ComplexImag(ComplexMult(Conj(f),e))"}},
		OpComplexSum:       {Name: "ComplexSum", Args: 1, Dim: dimComplexSum, Prim: PrimComplexSum, Linear: LinAll, Deriv: []string{"ComplexSumT(e,Da)"}},
		OpComplexSumT:      {Name: "ComplexSumT", Args: 1, Ints: 1, Dim: dimComplexSumT, Prim: PrimComplexSumT, Linear: LinAll, Deriv: []string{"ComplexSum(e)"}},
		// The primitive takes the real scalar first; KeOps swaps the
		// arguments when needed, and so does the expansion.
		OpComplexRealScal: {Name: "ComplexRealScal", Args: 2, Dim: dimComplexRealScal, Prim: PrimComplexRealScal, Linear: LinOne,
			Expand: "ComplexRealScal(b,a) if Db==1 else prim", Deriv: []string{"(b|e)", "ComplexRealScal(a,e)"}},

		OpGrad:            {Name: "Grad", Args: 3, OptArgs: 1, Family: sym, Dim: dimGrad},
		OpDiff:            {Name: "Diff", Args: 3, Family: sym, Dim: dimDiff},
		OpGradMatrix:      {Name: "GradMatrix", Args: 2, Family: sym, Dim: dimGradMatrix},
		OpDivergence:      {Name: "Divergence", Args: 2, Family: sym, Dim: dimDivergence},
		OpLaplacian:       {Name: "Laplacian", Args: 2, Family: sym, Dim: dimLaplacian},
		OpTraceOperator:   {Name: "TraceOperator", Args: 3, OptArgs: 1, Keywords: []string{"w"}, Family: sym, Dim: dimTraceOperator},
		OpAdjointOperator: {Name: "AdjointOperator", Args: 3, Family: sym, Dim: dimAdjointOperator},
		OpSumLinOperator: {Name: "SumLinOperator", Args: 4, OptArgs: 2, Keywords: []string{"wl", "wr"}, Family: sym,
			Dim: dimSumLinOperator},
		OpFactorize:     {Name: "Factorize", Args: 2, Family: sym, Dim: dimFirst},
		OpAutoFactorize: {Name: "AutoFactorize", Args: 1, Family: sym, Dim: dimFirst},
		OpGradFromPos:   {Name: "GradFromPos", Args: 2, Ints: 1, IntsAt: 1, Family: sym, Dim: dimGradFromPos},
		OpGradWithSavedForward: {Name: "Grad_WithSavedForward", Args: 4, Family: sym,
			Dim: dimReductionOnly("Grad_WithSavedForward")},
		OpDiffWithSavedForward: {Name: "Diff_WithSavedForward", Args: 4, Family: sym,
			Dim: dimReductionOnly("Diff_WithSavedForward")},
	}
	hooks := []struct {
		op    Op
		build func(*lowering, *Call) (Expr, error)
		lower func(*lowering, *Call) (Expr, error)
		deriv func(*lowering, *Call, int, Expr) (Expr, error)
	}{
		{op: OpKron, build: buildKron},
		{op: OpTensorDot, build: buildTensorDot, deriv: derivTensorDot},
		{op: OpGrad, lower: lowerGrad},
		{op: OpDiff, lower: lowerDiff},
		{op: OpGradMatrix, lower: lowerGradMatrix},
		{op: OpDivergence, lower: lowerDivergence},
		{op: OpLaplacian, lower: lowerLaplacian},
		{op: OpTraceOperator, lower: lowerTraceOperator},
		{op: OpAdjointOperator, lower: lowerAdjointOperator},
		{op: OpSumLinOperator, lower: lowerSumLinOperator},
		{op: OpFactorize, lower: lowerFactorize},
		{op: OpAutoFactorize, lower: lowerFactorize},
		{op: OpGradFromPos, lower: lowerGradFromPos},
	}
	for _, h := range hooks {
		row := &opTable[h.op]
		row.build, row.lower, row.derivFn = h.build, h.lower, h.deriv
	}
	opByName = make(map[string]Op, numOps)
	for o := Op(1); o < numOps; o++ {
		row := &opTable[o]
		opByName[row.Name] = o
		row.slots = makeSlots(row)
	}
	// Templates are parsed last: the parser needs the name map and the
	// slots of every op they call.
	for o := Op(1); o < numOps; o++ {
		compileTemplates(o)
	}
}
