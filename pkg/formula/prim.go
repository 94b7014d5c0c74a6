package formula

// Prim is an engine primitive: an operation every backend (CPU kernels, CUDA
// codegen) implements directly. Ops of the table either name a Prim or expand
// into other ops. The enum is closed; each backend has a coverage test.
type Prim uint8

// Primitives, by family. The family decides how a backend lowers them:
// elementwise ones apply a scalar function to every component (with the
// dim-1 broadcast of VectorizedScalarOp), the others read whole vectors.
const (
	PrimNone Prim = iota // not a primitive: the op expands or is symbolic

	// Elementwise, one argument.
	PrimMinus
	PrimInv
	PrimExp
	PrimLog
	PrimXLogX
	PrimSin
	PrimCos
	PrimSinXDivX
	PrimAsin
	PrimAcos
	PrimAtan
	PrimSqrt
	PrimRsqrt
	PrimSquare
	PrimAbs
	PrimSign
	PrimStep
	PrimReLU
	PrimFloor
	PrimRound        // Ints: d
	PrimPow          // Ints: n
	PrimClampInt     // Ints: a, b
	PrimDiffClampInt // Ints: a, b

	// Elementwise, two arguments (dims {D} or {1, D}).
	PrimAdd
	PrimSubtract
	PrimMult
	PrimDivide
	PrimAtan2
	PrimPowf
	PrimEqual
	PrimNotEqual
	PrimLessThan
	PrimLessOrEqual

	// Elementwise, three arguments.
	PrimMod
	PrimClamp
	PrimIfElse

	// Vector to scalar.
	PrimSum
	PrimMax
	PrimMin
	PrimArgMax
	PrimArgMin
	PrimSqNorm2
	PrimScalprod
	PrimSqDist

	// Structure.
	PrimSumT     // Ints: n
	PrimElem     // Ints: m
	PrimElemT    // Ints: n, m
	PrimExtract  // Ints: start, dim
	PrimExtractT // Ints: start, n
	PrimConcat
	PrimOneHot // Ints: n

	// Linear algebra (row-major).
	PrimMatVecMult
	PrimVecMatMult
	PrimTensorProd
	PrimTensorDot // Lists: dimsA, dimsB, contractA, contractB[, permute]

	// Special functions.
	PrimBSpline           // Ints: order k
	PrimSoftDTWSqDist     // X, Y, gamma
	PrimSoftDTWSqDistGrad // X, Y, gamma, e; Ints: 0 for dX, 1 for dY

	// Complex numbers (interleaved re, im).
	PrimComplexReal
	PrimComplexImag
	PrimReal2Complex
	PrimImag2Complex
	PrimConj
	PrimComplexAdd
	PrimComplexSubtract
	PrimComplexMult
	PrimComplexSquareAbs
	PrimComplexExp
	PrimComplexExp1j
	PrimComplexSum
	PrimComplexSumT // Ints: n
	PrimComplexRealScal

	NumPrims // number of primitives, for coverage tests
)

// Elementwise reports whether p applies a scalar function per component.
func (p Prim) Elementwise() bool { return PrimMinus <= p && p <= PrimIfElse }

// Arity is the number of formula arguments of an elementwise primitive.
func (p Prim) Arity() int {
	switch {
	case p >= PrimMinus && p <= PrimDiffClampInt:
		return 1
	case p >= PrimAdd && p <= PrimLessOrEqual:
		return 2
	case p >= PrimMod && p <= PrimIfElse:
		return 3
	}
	return 0
}
