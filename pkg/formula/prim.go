package formula

// Prim is an engine primitive: an operation every backend (CPU kernels, CUDA
// codegen) implements directly. Ops of the table either name a Prim or expand
// into other ops. The enum is closed; each backend has a coverage test.
//
// The semantics of a Prim is that of the op of the same name in the spec
// (§7), and internal/oracle implements it. After Lower, the arguments of a
// primitive call also satisfy the constraints stated below: elementwise
// primitives get dims {D} or {1, D} (a dim-1 argument is broadcast), complex
// elementwise ones {2L} or {2, 2L}, every other primitive the exact dims its
// comment gives.
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
	PrimErf
	PrimSqrt
	PrimRsqrt
	PrimSquare
	PrimAbs
	PrimSign
	PrimStep
	PrimReLU
	PrimFloor
	PrimRound        // Ints: d; half away from zero, round(x*10^d)/10^d
	PrimPow          // Ints: n (any sign); C pow(x, n)
	PrimClampInt     // Ints: a, b; a if x<a, else b if x>b, else x
	PrimDiffClampInt // Ints: a, b; 0 if x<a or x>b, else 1

	// Elementwise, two arguments (dims {D} or {1, D}).
	PrimAdd
	PrimSubtract
	PrimMult
	PrimDivide
	PrimAtan2 // atan2(F, G): F is the "y" argument
	PrimPowf  // powf: computed in float32 even for float64 data
	PrimEqual
	PrimNotEqual
	PrimLessThan
	PrimLessOrEqual

	// Elementwise, three arguments.
	PrimMod    // Mod(F, N, O) = F - N*floor((F-O)/N)
	PrimClamp  // Clamp(F, A, B): A if F<A, else B if F>B, else F
	PrimIfElse // IfElse(F, A, B): A if F>=0, else B (NaN gives B)

	// Vector to scalar.
	PrimSum
	PrimMax    // scan from component 0 with a strict >: a NaN at 0 sticks
	PrimMin    // same with <
	PrimArgMax // index (as a float) of the first maximum
	PrimArgMin
	PrimSqNorm2
	PrimScalprod // equal dims (Lower writes the dim-1 case Sum(other)*scalar)
	PrimSqDist   // equal dims (Lower expands the broadcast case)

	// Structure.
	PrimSumT     // Ints: n; the dim-1 argument repeated n times
	PrimElem     // Ints: m; 0 <= m < D
	PrimElemT    // Ints: n, m; a dim-1 argument at index m of n zeros
	PrimExtract  // Ints: start, dim; F[start:start+dim]
	PrimExtractT // Ints: start, n; F at [start, start+F.dim) of n zeros
	PrimConcat
	PrimOneHot // Ints: n; 1 at index (int)(x+0.5) (C truncation), 0 elsewhere

	// Linear algebra (row-major).
	PrimMatVecMult // A (n*p), b (p): out_i = sum_k A[i*p+k] b_k
	PrimVecMatMult // b (n), A (n*p): out_i = sum_k b_k A[k*p+i]
	PrimTensorProd // F (p), G (q): out[k*q+l] = F_k G_l
	// Lists: dimsA, dimsB, contractA, contractB, permute (always five after
	// Lower: the identity when the formula gives no permute). numpy's
	// tensordot with kept axis d moved to output position permute[d].
	PrimTensorDot

	// Special functions.
	PrimBSpline           // knots, X (dim 1); Ints: order k; Cox–de Boor, 0/0 terms count 0
	PrimSoftDTWSqDist     // X, Y, gamma (dim 1): the intended soft-DTW of spec §7.5
	PrimSoftDTWSqDistGrad // X, Y, gamma, e (dims 1); Ints: 0 for e*d/dX (dim of X), 1 for e*d/dY

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
	PrimComplexSumT     // Ints: n; the complex scalar repeated n/2 times
	PrimComplexRealScal // real scalar (dim 1) first, then the complex vector

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
