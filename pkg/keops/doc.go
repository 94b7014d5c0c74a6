// Package keops is the Go API of gokeops: kernel reductions such as
//
//	a_i = sum_j exp(-|x_i - y_j|^2) b_j
//
// over Go slices, without ever storing an M x N matrix.
//
// A reduction is described by a [Spec] — a formula in the KeOps formula
// language, the aliases that name its arguments ("x = Vi(3)": a variable
// indexed by i, of dimension 3), a reduction ("Sum", "Min", "ArgKMin",
// "LogSumExp", ...) and an axis — and compiled once by [Compile] into a
// [Kernel]. Compiling takes a fraction of a millisecond: there is no code
// generation step. A Kernel is safe for concurrent use.
//
// [Run] executes a kernel on float32 or float64 data. Each argument is one
// flat slice in row-major (C) order: a Vi(d) variable of M rows is M*d
// values, a Vj(d) variable of N rows is N*d values, a Pm(d) parameter is d
// values. M and N are inferred from the arguments. The result holds the
// output rows (M of them when reducing over j, axis 1; N when reducing over
// i, axis 0) and, for the ArgMin family, int64 indices.
//
// Options of a run: block-sparse [Ranges] ([WithRanges]), batch dimensions
// ([WithBatch]), explicit sizes ([WithSizes]) and a progress callback
// ([WithProgress]). The number of goroutines and cancellation come from the
// context: [WithThreads] sets the first, and a cancelled context (or one
// past its deadline) stops a run between tiles of work.
//
// Every error is an [*Error] whose kind is matched with errors.Is against
// [ErrFormula], [ErrAlias], [ErrReduction], [ErrOption], [ErrShape],
// [ErrDtype], [ErrCancelled] or [ErrInternal]; errors.As gives the details
// (the argument, the column in the formula).
//
// The formula language and the reductions are those of KeOps; the
// documentation of the Python API (pykeops.numpy.Genred) applies to the
// strings given here. docs/go.md in the repository has an overview.
package keops
