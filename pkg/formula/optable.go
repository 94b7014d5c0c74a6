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

	numOps
)

// OpInfo describes one operation. It is the only place an operation is
// described: the parser, the dimension checker, the differentiator, Lower
// and the code generators read these rows.
type OpInfo struct {
	Name string // spelling in formulas
	Args int    // formula arguments
	Ints int    // integer parameters, after the formula arguments
	// OptArgs is how many trailing formula arguments may be omitted.
	OptArgs int
	Lists   int // integer-list parameters, after the integer ones
	// OptLists is how many trailing list parameters may be omitted.
	OptLists int
	Dim      dimRule // output dimension from the arguments'
	Prim     Prim    // the engine primitive, or PrimNone when Expand is set
	// Expand, for composite ops, is the op written with other ops, over the
	// argument names a, b, c and integer parameters n, m (see lower.go).
	Expand string
}

// Info returns the table row of o.
func (o Op) Info() *OpInfo { return &opTable[o] }

func (o Op) String() string { return opTable[o].Name }

var opTable = [numOps]OpInfo{
	OpInvalid: {Name: "<invalid>"},

	OpAdd:          {Name: "Add", Args: 2, Dim: dimElementwise, Prim: PrimAdd},
	OpSubtract:     {Name: "Subtract", Args: 2, Dim: dimElementwise, Prim: PrimSubtract},
	OpMult:         {Name: "Mult", Args: 2, Dim: dimElementwise, Prim: PrimMult},
	OpDivide:       {Name: "Divide", Args: 2, Dim: dimElementwise, Prim: PrimDivide},
	OpMinus:        {Name: "Minus", Args: 1, Dim: dimElementwise, Prim: PrimMinus},
	OpInv:          {Name: "Inv", Args: 1, Dim: dimElementwise, Prim: PrimInv},
	OpExp:          {Name: "Exp", Args: 1, Dim: dimElementwise, Prim: PrimExp},
	OpLog:          {Name: "Log", Args: 1, Dim: dimElementwise, Prim: PrimLog},
	OpXLogX:        {Name: "XLogX", Args: 1, Dim: dimElementwise, Prim: PrimXLogX},
	OpSin:          {Name: "Sin", Args: 1, Dim: dimElementwise, Prim: PrimSin},
	OpCos:          {Name: "Cos", Args: 1, Dim: dimElementwise, Prim: PrimCos},
	OpSinXDivX:     {Name: "SinXDivX", Args: 1, Dim: dimElementwise, Prim: PrimSinXDivX},
	OpAsin:         {Name: "Asin", Args: 1, Dim: dimElementwise, Prim: PrimAsin},
	OpAcos:         {Name: "Acos", Args: 1, Dim: dimElementwise, Prim: PrimAcos},
	OpAtan:         {Name: "Atan", Args: 1, Dim: dimElementwise, Prim: PrimAtan},
	OpAtan2:        {Name: "Atan2", Args: 2, Dim: dimElementwise, Prim: PrimAtan2},
	OpSqrt:         {Name: "Sqrt", Args: 1, Dim: dimElementwise, Prim: PrimSqrt},
	OpRsqrt:        {Name: "Rsqrt", Args: 1, Dim: dimElementwise, Prim: PrimRsqrt},
	OpSquare:       {Name: "Square", Args: 1, Dim: dimElementwise, Prim: PrimSquare},
	OpPow:          {Name: "Pow", Args: 1, Ints: 1, Dim: dimElementwise, Prim: PrimPow},
	OpPowf:         {Name: "Powf", Args: 2, Dim: dimElementwise, Prim: PrimPowf},
	OpAbs:          {Name: "Abs", Args: 1, Dim: dimElementwise, Prim: PrimAbs},
	OpSign:         {Name: "Sign", Args: 1, Dim: dimElementwise, Prim: PrimSign},
	OpStep:         {Name: "Step", Args: 1, Dim: dimElementwise, Prim: PrimStep},
	OpReLU:         {Name: "ReLU", Args: 1, Dim: dimElementwise, Prim: PrimReLU},
	OpFloor:        {Name: "Floor", Args: 1, Dim: dimElementwise, Prim: PrimFloor},
	OpRound:        {Name: "Round", Args: 1, Ints: 1, Dim: dimElementwise, Prim: PrimRound},
	OpMod:          {Name: "Mod", Args: 3, Dim: dimElementwise, Prim: PrimMod},
	OpClamp:        {Name: "Clamp", Args: 3, Dim: dimElementwise, Prim: PrimClamp},
	OpClampInt:     {Name: "ClampInt", Args: 1, Ints: 2, Dim: dimElementwise, Prim: PrimClampInt},
	OpDiffClampInt: {Name: "DiffClampInt", Args: 1, Ints: 2, Dim: dimElementwise, Prim: PrimDiffClampInt},
	OpIfElse:       {Name: "IfElse", Args: 3, Dim: dimElementwise, Prim: PrimIfElse},
	OpEqual:        {Name: "Equal", Args: 2, Dim: dimElementwise, Prim: PrimEqual},
	OpNotEqual:     {Name: "NotEqual", Args: 2, Dim: dimElementwise, Prim: PrimNotEqual},
	OpLessThan:     {Name: "LessThan", Args: 2, Dim: dimElementwise, Prim: PrimLessThan},
	OpLessOrEqual:  {Name: "LessOrEqual", Args: 2, Dim: dimElementwise, Prim: PrimLessOrEqual},

	OpSum:     {Name: "Sum", Args: 1, Dim: dimScalar, Prim: PrimSum},
	OpSqNorm2: {Name: "SqNorm2", Args: 1, Dim: dimScalar, Prim: PrimSqNorm2},
	OpSqDist:  {Name: "SqDist", Args: 2, Dim: dimSameOr1ToScalar, Prim: PrimSqDist},
}
