// Package solve solves symmetric positive definite systems A x = b by the
// (preconditioned) conjugate gradient method, A given only as a product
// routine: in KernelSolve, A = alpha Id + K where every product K v is a
// kernel reduction of the engine.
//
// A product is the whole cost of an iteration (N^2 kernel evaluations), so
// the solver spends freely on everything of lower order: the Nystrom
// preconditioner of nystrom.go (m landmark points, O(N m^2) once and O(N m)
// per iteration) cuts the iteration count of a smooth kernel from hundreds
// to tens, and the iteration keeps its best iterate so that a solve that
// cannot converge (a singular or indefinite system, a tolerance below what
// the arithmetic reaches) stops early and never returns worse than its start.
package solve
