// Package oracle is the reference evaluator of the tests: the simplest
// correct float64 code for every operation of the formula language,
// written from the specification and independently of the expansions and
// derivative rules of package formula. It evaluates a formula at one
// (i, j) pair, given the row each variable reads.
//
// It takes both trees as written (every op of the table, each computed
// directly from its definition) and lowered ones (every primitive), so
// that comparing the two checks every expansion. Symbolic ops (Grad, Diff,
// ...) have no direct value and must be lowered first, except Factorize
// and AutoFactorize, whose value is their first argument.
//
// Conventions that follow KeOps rather than plain math are those of the
// engine: integer and rational constants are rounded to float32 first
// (formula.Const.Value), Powf computes in float32, Round rounds half away
// from zero, and the special values of spec §7 (Rsqrt(0)=0, Sign(NaN)=0,
// ...) hold. OneHot with an index out of range, undefined in KeOps, gives
// zeros here.
package oracle
