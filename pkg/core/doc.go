// Package core runs compiled formulas on the CPU.
//
// A [Kernel] is a formula and a reduction compiled once into a [program]: a
// short list of instructions over tiles. The output index ("outer": i for
// axis=1, j for axis=0) is split into blocks of rows run by goroutines; the
// reduced index ("inner") is walked in tiles of up to tileSize values kept in
// structure-of-arrays form, so that every instruction is one tight loop over
// a tile (a radial fold, which has no per-pair slot, takes longer tiles:
// radialfold.go). Instructions are placed at the lowest level they depend on:
// parameters once per call, outer variables once per row, inner variables
// once per tile, and only what mixes both once per (row, tile) pair. The
// planner reads the canonical form of the formula (formula.Canonical), so
// that the spellings of one kernel meet the same fused paths: radial
// kernels (fuse.go) and their sums, folded in registers (radialfold.go).
//
// Outputs are named dst. Accumulators are float64 arrays; float32
// accumulation (the KeOps default for float32 data) is emulated by rounding
// after every addition, so that sum schemes compare as in KeOps, except
// that block_sum (the default) adds its float32 tile sums to a float64
// running sum: more accurate than KeOps' float32 one at no cost per pair.
//
// Two call shapes have runs of their own: a Sum of a radial kernel times a
// column factor on the same points on both sides evaluates each pair once
// (symmetric.go), and a Sum of a kernel times an identity weight (a one-hot
// selector) takes the kernel values directly (identity.go).
package core
