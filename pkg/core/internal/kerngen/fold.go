package kerngen

import (
	"fmt"
	"go/format"
	"regexp"
	"slices"
	"strings"
)

// The radial fold kernels (radialfold.go in pkg/core): one loop per
// profile, dimension and fold mode, in which two output rows share every
// load of the inner points, and the squared distance, the profile (the
// vector exp written out inline), the row and column factors and the
// accumulator update stay in vector registers; nothing is stored between
// operations. The dimension is unrolled, which is why the loops are
// generated: Go keeps neither an array of vectors nor a value returned by a
// function call in registers.

// foldDims are the dimensions with a generated loop; others take the
// portable loop.
const foldDims = 4

var foldProfiles = []struct{ Name, Const string }{
	{"Exp", "profileExp"},
	{"ExpSqrt", "profileExpSqrt"},
	{"Cauchy", "profileCauchy"},
	{"Affine", "profileAffine"}, // store mode only: s*d + w
}

// foldModes: dot adds K * w (w a column), diff adds K * wk * (x_c - y_c)
// per component (wk a column), reusing the differences of the distance;
// store writes K of both rows to two tiles for their reducers, every
// column through the vector code (the last vector past n, inside the tile
// arena) so that equal terms stay equal, and keeps each row's largest and
// smallest term (NaNs aside) for LogSumExp's shift; sym (a symmetric
// product, symmetric.go) adds K * w to the rows as dot does, and K_ij times
// the column factor at each row (a.wi) to the column sums a.acc. Every mode
// takes the tile's last partial vector in the same loop code, under a lane
// mask: the dead lanes read columns of the arena past the tile and count
// for nothing.
var foldModes = []string{"Dot", "Diff", "Store", "Sym"}

// hasKernel reports whether the mode has a loop for the profile.
func hasKernel(mode, prof string) bool { return prof != "Affine" || mode == "Store" }

// hasFast reports whether the loop of an exp profile has a fast twin: its
// main loop takes the exponents to be in the range where 2^k is an exponent
// add, keeps no NaN, has no branch inside (a branch in the loop makes the
// register allocator spill the rows' values around it), and only notes
// whether every lane was in range; if not, the exact loop redoes the tile. It takes a scale at most 0 (the kernels that decay, which are the
// ones met), so that only the lower bound needs a clamp; another scale
// takes the exact loop. The row factor leaves the loop too: the lane sums
// are multiplied by it once, after the loop (an infinite row factor, whose
// products with zero terms are NaN, takes the exact loop). Not the
// symmetric mode, which
// updates the column sums in the loop and could not redo a tile.
func hasFast(mode, prof string) bool {
	return (prof == "Exp" || prof == "ExpSqrt") && mode != "Sym"
}

var foldRows = []string{"a", "b"}

// foldConsts lists the constants of the loops of one element type, in the
// order of their slots in its constant table.
var foldConsts []string

var constRe = regexp.MustCompile(`bc\(([^()]*)\)`)

// constLoads rewrites the broadcasts of constants, bc(c), in a line of a
// loop as loads from the constant table.
func constLoads(dt dtype, line string) string {
	return constRe.ReplaceAllStringFunc(line, func(m string) string {
		c := constRe.FindStringSubmatch(m)[1]
		i := slices.Index(foldConsts, c)
		if i < 0 {
			i = len(foldConsts)
			foldConsts = append(foldConsts, c)
		}
		return fmt.Sprintf("archsimd.Load%s(&foldConst%s[%d])", dt.Vec, dt.Suffix, i)
	})
}

// foldFile is the SIMD file of the radial fold kernels, both element types.
func foldFile() Output {
	var b strings.Builder
	b.WriteString(Header + "\n\n//go:build " + tagSIMD + "\n\npackage core\n\nimport (\n\"simd/archsimd\"\n\"unsafe\"\n)\n\n")
	for _, dt := range []dtype{f64, f32} {
		writeFoldTable(&b, dt)
		foldConsts = nil
		for _, mode := range foldModes {
			for _, prof := range foldProfiles {
				for d := 1; d <= foldDims && hasKernel(mode, prof.Name); d++ {
					if hasFast(mode, prof.Name) {
						writeFoldKernel(&b, dt, mode, prof.Name, d, true)
					}
					writeFoldKernel(&b, dt, mode, prof.Name, d, false)
				}
			}
		}
		writeExpShiftSum(&b, dt)
		fmt.Fprintf(&b, "// foldLane%s numbers the lanes of a vector (the tail masks).\n", dt.Suffix)
		fmt.Fprintf(&b, "var foldLane%s = [%d]%s{", dt.Suffix, dt.Lanes, dt.Go)
		for i := 0; i < dt.Lanes; i++ {
			fmt.Fprintf(&b, "%d, ", i)
		}
		b.WriteString("}\n\n")
		fmt.Fprintf(&b, "// foldConst%s holds the constants of the loops, one vector each: a\n", dt.Suffix)
		b.WriteString("// load is one instruction, a broadcast two.\n")
		fmt.Fprintf(&b, "var foldConst%s = [...][%d]%s{\n", dt.Suffix, dt.Lanes, dt.Go)
		for _, c := range foldConsts {
			fmt.Fprintf(&b, "\t{%s},\n", strings.TrimSuffix(strings.Repeat(c+", ", dt.Lanes), ", "))
		}
		b.WriteString("}\n\n")
	}
	src, err := format.Source([]byte(b.String()))
	if err != nil {
		panic(fmt.Sprintf("kerngen: fold kernels: %v\n%s", err, b.String()))
	}
	return Output{Name: "fold_simd_gen_amd64.go", Src: src}
}

// foldName is the loop of the table; the exact loop of a kernel with a
// fast twin is foldName + "Exact".
func foldName(dt dtype, mode, prof string, d int) string {
	return fmt.Sprintf("fold%s%s%d%s", mode, prof, d, dt.Suffix)
}

// writeFoldTable writes the table of kernels by mode, profile and dimension.
func writeFoldTable(b *strings.Builder, dt dtype) {
	fmt.Fprintf(b, "// foldKernels%s[mode][profile][dim-1] is the generated loop of a radial fold.\n", dt.Suffix)
	fmt.Fprintf(b, "var foldKernels%s = [%d][profileAffine + 1][%d]func(*foldArgs[%s], *[2][foldMaxDim][%d]%s) int{\n", dt.Suffix, len(foldModes), foldDims, dt.Go, dt.Lanes, dt.Go)
	for mi, mode := range foldModes {
		fmt.Fprintf(b, "\t%d: {\n", mi)
		for _, prof := range foldProfiles {
			if !hasKernel(mode, prof.Name) {
				continue
			}
			var names []string
			for d := 1; d <= foldDims; d++ {
				names = append(names, foldName(dt, mode, prof.Name, d))
			}
			fmt.Fprintf(b, "\t\t%s: {%s},\n", prof.Const, strings.Join(names, ", "))
		}
		b.WriteString("\t},\n")
	}
	b.WriteString("}\n\n")
}

func writeFoldKernel(b *strings.Builder, dt dtype, mode, prof string, d int, fast bool) {
	v, l := dt.Vec, dt.Lanes
	size := map[string]int{"float64": 8, "float32": 4}[dt.Go]
	w := func(format string, args ...any) { fmt.Fprintf(b, format+"\n", args...) }
	// both writes a line once per row, the rows interleaved step by step:
	// two independent chains for the pipeline, and each constant used
	// twice in a row (the compiler shares its broadcast; were the rows one
	// after the other, it would keep it live in between, and spill it).
	both := func(format string) {
		for _, row := range foldRows {
			w(strings.ReplaceAll(format, "@", row))
		}
	}
	name := foldName(dt, mode, prof, d)
	exactName := name + "Exact"
	if hasFast(mode, prof) && !fast {
		name = exactName
	}
	// hoist: the row factor multiplies the lane sums after the loop.
	hoist := fast && (mode == "Dot" || mode == "Diff")
	// blocks: a float32 sum adds the terms of foldBlock32 columns at most
	// in its float32 lanes, then the block's lanes into float64 ones,
	// a.wide (in memory: no register is held across the blocks).
	blocks := dt.Go == "float32" && (mode == "Dot" || mode == "Diff")
	ncomp := 1
	if mode == "Diff" {
		ncomp = d
	}
	acc := func(row string, c int) string {
		if mode == "Diff" {
			return fmt.Sprintf("s%s%d", row, c)
		}
		return "s" + row
	}
	declAcc := func(row string) {
		for c := 0; c < ncomp; c++ {
			w("var %s archsimd.%s", acc(row, c), v)
		}
	}
	wide := func(r, c, half int) string {
		return fmt.Sprintf("(*[4]float64)(a.wide[%d][%d][%d:%d])", r, c, 4*half, 4*half+4)
	}
	flush := func() {
		for r, row := range foldRows {
			for c := 0; c < ncomp; c++ {
				for half, get := range []string{"GetLo", "GetHi"} {
					w("archsimd.LoadFloat64x4(%s).Add(%s.%s().ConvertToFloat64()).Store(%s)", wide(r, c, half), acc(row, c), get, wide(r, c, half))
				}
			}
		}
	}
	// nanSum: a store loop with no exp keeps the largest term by a plain
	// vector max, which may keep or drop a NaN (the compiler may swap its
	// operands), and sums the terms to see whether one was NaN.
	nanSum := mode == "Store" && !hasFast(mode, prof)
	w("// %s is the %s fold of the %s profile at dimension %d, two rows per", name, strings.ToLower(mode), prof, d)
	switch {
	case mode == "Store":
		w("// pass, over the whole vectors covering the tile (the last one past a.n,")
		w("// in the tile arena), with the largest of each row's terms, NaNs aside, in")
		if nanSum {
			w("// o[r][0]; it returns a.n, or 0 when a term is NaN (the largest is then")
			w("// unknown; the terms are stored all the same).")
		} else {
			w("// o[r][0]; it returns a.n.")
		}
	default:
		w("// pass, over the whole tile (the last vector masked); it returns a.n.")
	}
	if fast {
		w("// The fast loop (see hasFast in kerngen); %s is the exact one.", exactName)
	}
	w("func %s(a *foldArgs[%s], o *[2][foldMaxDim][%d]%s) int {", name, dt.Go, dt.Lanes, dt.Go)
	w("bc := archsimd.Broadcast%s", v)
	// n columns in whole vectors; the slices are checked to nt, which
	// includes the tail vector (within the tile arena: tileSize is a
	// multiple of the lanes).
	w("n, nt, st := a.n/%d*%d, (a.n+%d)/%d*%d, a.stride", l, l, l-1, l, l)
	w("if nt == 0 {")
	w("return 0")
	w("}")
	if hoist {
		w("if a.ou[0]-a.ou[0] != 0 || a.ou[1]-a.ou[1] != 0 { // an infinite or NaN row factor")
		w("return %s(a, o)", exactName)
		w("}")
	}
	if fast {
		w("if !(a.s <= 0) { // exponents of either sign, or NaN")
		w("return %s(a, o)", exactName)
		w("}")
	}
	// The loads go through pointers: the slices are checked once here, to
	// the columns the loop reads, and the loop pays no bounds checks.
	for k := 0; k < d; k++ {
		w("ys%d := unsafe.Pointer(unsafe.SliceData(a.ys[%d*st : %d*st+nt]))", k, k, k)
	}
	if mode != "Store" || prof == "Affine" {
		w("ws := unsafe.Pointer(unsafe.SliceData(a.w[:nt]))")
	}
	if mode == "Store" {
		for r := range foldRows {
			w("out%d := unsafe.Pointer(unsafe.SliceData(a.out[%d][:nt]))", r, r)
		}
	}
	if mode == "Sym" {
		w("cs := unsafe.Pointer(unsafe.SliceData(a.acc[:nt]))")
	}
	for r, row := range foldRows {
		for k := 0; k < d; k++ {
			w("x%s%d := bc(a.x[%d][%d])", row, k, r, k)
		}
		if mode != "Store" && !hoist {
			w("o%s := bc(a.ou[%d])", row, r)
		}
		if mode == "Sym" {
			w("wi%s := bc(a.wi[%d])", row, r)
		}
	}
	w("bs := bc(a.s)")
	if blocks {
		w("a.wide = [2][foldMaxDim][8]float64{}")
	}
	if fast {
		if dt.Go == "float32" {
			w("good := bs.Equal(bs) // every lane; then those whose exponents were all in the fast exp's range")
		} else {
			w("var bad archsimd.Mask%sx%d // lanes out of the fast exp's range, or NaN", dt.Bits, l)
		}
	}
	for _, row := range foldRows {
		if mode == "Store" {
			w("%s", constLoads(dt, fmt.Sprintf("hi%s := bc(%s(-inf))", row, dt.Go)))
			if nanSum {
				w("var chk%s archsimd.%s", row, v)
			}
			continue
		}
		if !blocks {
			declAcc(row)
		}
	}
	// body writes one step of the loop at column offset off; in the tail
	// step (the last, partial vector of a dot or diff fold) the lanes past
	// a.n read columns of the tile arena beyond the tile, whose terms the
	// lane mask keeps out of the sums. The tail step is always exact.
	body := func(tail bool) {
		fastStep := fast && !tail
		for k := 0; k < d; k++ {
			w("y%d := archsimd.Load%s((*[%d]%s)(unsafe.Add(ys%d, off)))", k, v, l, dt.Go, k)
		}
		loadW := func() { w("wv := archsimd.Load%s((*[%d]%s)(unsafe.Add(ws, off)))", v, l, dt.Go) }
		if mode != "Store" || prof == "Affine" {
			loadW()
		}
		for k := 0; k < d; k++ {
			both(fmt.Sprintf("d@%d := x@%d.Sub(y%d)", k, k, k))
			if k == 0 {
				both("q@ := d@0.Mul(d@0)")
			} else {
				both(fmt.Sprintf("q@ = d@%d.MulAdd(d@%d, q@)", k, k))
			}
		}
		inLoop := func(f string) { both(constLoads(dt, f)) }
		if tail {
			// Distances of the dead lanes to 0: far points of other tiles
			// would send the tail down the exp's wide-range branch.
			inLoop("q@ = q@.Merge(bc(0), live)")
		}
		variant := "exact"
		if fastStep {
			variant = "fast"
		}
		writeProfile(inLoop, func(f string, args ...any) { w("%s", constLoads(dt, fmt.Sprintf(f, args...))) }, dt, prof, variant)
		upd := func(acc, val string) {
			if tail {
				both(fmt.Sprintf("%s = %s.Merge(%s, live)", acc, val, acc))
			} else {
				both(fmt.Sprintf("%s = %s", acc, val))
			}
		}
		switch mode {
		case "Store":
			for r, row := range foldRows {
				w("k%s.Store((*[%d]%s)(unsafe.Add(out%d, off)))", row, l, dt.Go, r)
			}
			switch {
			case tail:
				both("skip@ := k@.IsNaN().Or(dead)")
				both("hi@ = hi@.Merge(hi@.Max(k@), skip@)")
			case fastStep:
				both("hi@ = k@.Max(hi@)") // no NaN: the tile would be redone
			case nanSum:
				both("hi@ = k@.Max(hi@)")
				both("chk@ = chk@.Add(k@)")
			default:
				both("skip@ := k@.IsNaN()")
				both("hi@ = hi@.Merge(hi@.Max(k@), skip@)")
			}
		case "Dot":
			if hoist {
				upd("s@", "k@.MulAdd(wv, s@)")
			} else {
				upd("s@", "k@.Mul(o@).MulAdd(wv, s@)")
			}
		case "Sym":
			both("k@ = k@.Mul(o@)")
			upd("s@", "k@.MulAdd(wv, s@)")
			w("cv := archsimd.Load%s((*[%d]%s)(unsafe.Add(cs, off)))", v, l, dt.Go)
			w("cn := kb.MulAdd(wib, ka.MulAdd(wia, cv))")
			if tail {
				w("cn = cn.Merge(cv, live)")
			}
			w("cn.Store((*[%d]%s)(unsafe.Add(cs, off)))", l, dt.Go)
		default:
			if hoist {
				both("k@ = k@.Mul(wv)")
			} else {
				both("k@ = k@.Mul(o@).Mul(wv)")
			}
			for k := 0; k < d; k++ {
				upd(fmt.Sprintf("s@%d", k), fmt.Sprintf("k@.MulAdd(d@%d, s@%d)", k, k))
			}
		}
	}
	if blocks {
		w("for t0 := 0; t0 < n; t0 += foldBlock32 {")
		w("t1 := min(t0+foldBlock32, n)")
		for _, row := range foldRows {
			declAcc(row)
		}
		w("for t := t0; t < t1; t += %d {", l)
	} else {
		w("for t := 0; t < n; t += %d {", l)
	}
	w("off := uintptr(t) * %d", size)
	body(false)
	w("}")
	if blocks {
		flush()
		w("}")
	}
	if fast {
		if dt.Go == "float32" {
			w("if good.ToBits() != %#x {", 1<<l-1)
		} else {
			w("if bad.ToBits() != 0 {")
		}
		w("return %s(a, o)", exactName)
		w("}")
	}
	w("if n < a.n {")
	w("off := uintptr(n) * %d", size)
	w("live := archsimd.Load%s(&foldLane%s).Less(bc(%s(a.n - n)))", v, dt.Suffix, dt.Go)
	if mode == "Store" {
		w("dead := archsimd.Load%s(&foldLane%s).GreaterEqual(bc(%s(a.n - n)))", v, dt.Suffix, dt.Go)
	}
	if blocks {
		for _, row := range foldRows {
			declAcc(row)
		}
	}
	body(true)
	if blocks {
		flush()
	}
	w("}")
	for r, row := range foldRows {
		if blocks {
			if hoist {
				for c := 0; c < ncomp; c++ {
					for half := range 2 {
						w("archsimd.LoadFloat64x4(%s).Mul(archsimd.BroadcastFloat64x4(float64(a.ou[%d]))).Store(%s)", wide(r, c, half), r, wide(r, c, half))
					}
				}
			}
			continue
		}
		if mode == "Store" {
			w("hi%s.Store(&o[%d][0])", row, r)
			continue
		}
		scale := ""
		if hoist {
			scale = fmt.Sprintf(".Mul(bc(a.ou[%d]))", r)
		}
		if mode == "Dot" || mode == "Sym" {
			w("s%s%s.Store(&o[%d][0])", row, scale, r)
		} else {
			for k := 0; k < d; k++ {
				w("s%s%d%s.Store(&o[%d][%d])", row, k, scale, r, k)
			}
		}
	}
	if nanSum {
		w("if chka.Add(chkb).IsNaN().ToBits() != 0 {")
		w("archsimd.ClearAVXUpperBits()")
		w("return 0")
		w("}")
	}
	w("archsimd.ClearAVXUpperBits()")
	w("return a.n")
	w("}\n")
}

// writeProfile writes k@ := profile(s * q@) for both rows: the code of
// profileFloat64x4 / profileFloat32x8 with the exp of expF64x4 / expF32x8
// written out, but for the float64 polynomial, evaluated by Horner's
// scheme (below). variant "exact" is that exp (its rare wide-range branch
// shared by the two rows, NaN kept); "fast" (a scale at most 0) has no
// branch and notes the lanes out of the range where the exponent add is
// exact, or NaN: float32 ands the lanes in range into good, with no clamp
// (the terms of the others are garbage), float64 clamps below and ors the
// lanes the clamp moved into bad; a tile with such a lane is redone by the
// exact loop; "shift"
// (exp(x - m) with every x <= m, in a sum of at least 1) clamps below only,
// the terms below exp(-708) / exp(-87) counting for nothing next to the
// sum, and keeps NaN.
func writeProfile(both func(string), w func(string, ...any), dt dtype, prof, variant string) {
	switch prof {
	case "Cauchy":
		both("k@ := bc(1).Div(q@.MulAdd(bs, bc(1)))")
		return
	case "Affine":
		both("k@ := q@.MulAdd(bs, wv)")
		return
	case "Exp":
		both("e@ := q@.Mul(bs)")
	case "ExpSqrt":
		both("e@ := q@.Sqrt().Mul(bs)")
	case "ExpOf": // e@ is given
	}
	lo, hi, wide := "expMin64", "expMax64", "708"
	if dt.Go == "float32" {
		lo, hi, wide = "expMin32", "expMax32", "87"
	}
	switch variant {
	case "fast":
		// The scale is at most 0 (checked on entry), so e <= 0 or NaN.
		// float32 keeps the lanes in range, float64 those the clamp
		// moved: each is the faster of the two for its type (the float64
		// loop spills more without the clamp).
		if dt.Go == "float32" {
			both("good = good.And(e@.GreaterEqual(bc(-" + wide + ")))")
			both("xc@ := e@")
		} else {
			both("xc@ := e@.Max(bc(-" + wide + "))")
			both("bad = bad.Or(xc@.NotEqual(e@))")
		}
	case "shift":
		both("xc@ := e@.Max(bc(-" + wide + "))")
	default:
		both("xc@ := e@.Max(bc(" + lo + ")).Min(bc(" + hi + "))")
	}
	if dt.Go == "float64" {
		// Horner's scheme: one multiply-add per degree and three live
		// values per row (Estrin's shorter chain, expF64x4's, needs more
		// registers than two interleaved rows leave, and its spills cost
		// more than its overlap gains), to degree 12, whose truncation on
		// |r| <= ln2/2 is below 2.5e-16 relative: the terms are within
		// 2.2 ulps of math.Exp (TestFoldExpTerms asks 1e-15), expF64x4's
		// within 1.5. Every variant uses it, so that a term is the same
		// whichever loop computed it (ties of the store mode).
		both("kk@ := xc@.Mul(bc(log2e)).RoundToEven()")
		both("r@ := kk@.MulAdd(bc(-ln2Hi), xc@)")
		both("r@ = kk@.MulAdd(bc(-ln2Lo), r@)")
		both("pp@ := r@.MulAdd(bc(1.0 / 479001600), bc(1.0 / 39916800))")
		for _, c := range []string{"1.0 / 3628800", "1.0 / 362880", "1.0 / 40320", "1.0 / 5040", "1.0 / 720", "1.0 / 120", "1.0 / 24", "1.0 / 6", "0.5", "1", "1"} {
			both("pp@ = pp@.MulAdd(r@, bc(" + c + "))")
		}
		both("k@ := pp@.AsInt64x4().Add(kk@.Add(bc(magic64)).AsInt64x4().ShiftAllLeft(52)).AsFloat64x4()")
	} else {
		both("kk@ := xc@.Mul(bc(log2e)).RoundToEven()")
		both("r@ := kk@.MulAdd(bc(-ln2Hi32), xc@)")
		both("r@ = kk@.MulAdd(bc(-ln2Lo32), r@)")
		both("pp@ := bc(1.0 / 5040).MulAdd(r@, bc(1.0 / 720))")
		for _, c := range []string{"1.0 / 120", "1.0 / 24", "1.0 / 6", "0.5", "1", "1"} {
			both("pp@ = pp@.MulAdd(r@, bc(" + c + "))")
		}
		both("k@ := pp@.AsInt32x8().Add(kk@.Add(bc(magic32)).AsInt32x8().ShiftAllLeft(23)).AsFloat32x8()")
	}
	if variant == "exact" {
		hiW := wide
		if dt.Go == "float32" {
			hiW = "88"
		}
		w("if ea.Less(bc(-%s)).Or(ea.Greater(bc(%s))).Or(eb.Less(bc(-%s))).Or(eb.Greater(bc(%s))).ToBits() != 0 {", wide, hiW, wide, hiW)
		both("k@ = expWide" + dt.vecSuffix() + "(e@, pp@, kk@, k@)")
		w("}")
	}
	if variant != "fast" {
		both("k@ = e@.Merge(k@, e@.IsNaN())")
	}
}

// writeExpShiftSum writes the loop of expShiftSum (lse_simd_amd64.go):
// sum_t exp(x_t - m) over pairs of vectors, two partial sums, the exp
// written out inline (the "shift" variant of writeProfile: no branch).
func writeExpShiftSum(b *strings.Builder, dt dtype) {
	v, l := dt.Vec, dt.Lanes
	w := func(format string, args ...any) { fmt.Fprintf(b, format+"\n", args...) }
	both := func(format string) {
		for _, row := range foldRows {
			w(constLoads(dt, strings.ReplaceAll(format, "@", row)))
		}
	}
	name := "expShiftSumLoop" + dt.Suffix
	size := map[string]int{"float64": 8, "float32": 4}[dt.Go]
	f32 := dt.Go == "float32"
	w("// %s adds exp(x_t - m) over the first len(x)/%d*%d values of x to two", name, 2*l, 2*l)
	if f32 {
		// float32 lanes add the terms of foldBlock32 columns at most, as
		// in the fold loops; the blocks' sums go to float64 vectors.
		w("// vectors of partial sums, stored to o[0] and o[1], float32 lanes adding")
		w("// the terms of a block of foldBlock32 values, float64 lanes the blocks'")
		w("// sums; it returns how many it took.")
		w("func %s(x []%s, m %s, o *[2][4]float64) int {", name, dt.Go, dt.Go)
	} else {
		w("// vectors of partial sums, stored to o[0][0] and o[1][0]; it returns how many it took.")
		w("func %s(x []%s, m %s, o *[2][foldMaxDim][%d]%s) int {", name, dt.Go, dt.Go, l, dt.Go)
	}
	w("bc := archsimd.Broadcast%s", v)
	w("n := len(x) / %d * %d", 2*l, 2*l)
	w("if n == 0 {")
	w("return 0")
	w("}")
	w("xs := unsafe.Pointer(unsafe.SliceData(x))")
	w("bm := bc(m)")
	if f32 {
		w("var wa, wb archsimd.Float64x4")
		w("for t0 := 0; t0 < n; t0 += foldBlock32 {")
		w("t1 := min(t0+foldBlock32, n)")
		w("var sa, sb archsimd.%s", v)
		w("for t := t0; t < t1; t += %d {", 2*l)
	} else {
		w("var sa, sb archsimd.%s", v)
		w("for t := 0; t < n; t += %d {", 2*l)
	}
	w("offa := uintptr(t) * %d", size)
	w("offb := offa + %d", l*size)
	both("e@ := archsimd.Load" + v + "((*[" + fmt.Sprint(l) + "]" + dt.Go + ")(unsafe.Add(xs, off@))).Sub(bm)")
	writeProfile(both, func(f string, args ...any) { w("%s", constLoads(dt, fmt.Sprintf(f, args...))) }, dt, "ExpOf", "shift")
	both("s@ = s@.Add(k@)")
	w("}")
	if f32 {
		w("s := sa.Add(sb)")
		w("wa = wa.Add(s.GetLo().ConvertToFloat64())")
		w("wb = wb.Add(s.GetHi().ConvertToFloat64())")
		w("}")
		w("wa.Store(&o[0])")
		w("wb.Store(&o[1])")
	} else {
		w("sa.Store(&o[0][0])")
		w("sb.Store(&o[1][0])")
	}
	w("archsimd.ClearAVXUpperBits()")
	w("return n")
	w("}\n")
}
