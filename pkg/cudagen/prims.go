package cudagen

import (
	"fmt"
	"math"
	"strings"

	"github.com/gokeops/gokeops/pkg/core"
	"github.com/gokeops/gokeops/pkg/formula"
)

// primCode is how one engine primitive is written in CUDA C++. Elementwise
// primitives give the C expression of one component from the components
// of their arguments (the dim-1 broadcast is the caller's); the others
// write whole statements.
type primCode struct {
	// elem is the expression of one output component; a holds the argument
	// components and ct the compute type.
	elem func(a []string, ints []int, ct string) string
	// stmt writes the statements that fill out (dim c.Dim) from args.
	stmt func(w *writer, out string, c *formula.Call, args []string, dims []int)
}

// primTable has an entry for every formula.Prim (TestPrimTableCovers); the
// semantics, special values included, are those of the CPU engine
// (pkg/core/scalar.go and vector.go).
var primTable = [formula.NumPrims]primCode{
	formula.PrimMinus:    {elem: un("(-%s)")},
	formula.PrimInv:      {elem: func(a []string, _ []int, ct string) string { return fmt.Sprintf("((%s)1 / %s)", ct, a[0]) }},
	formula.PrimExp:      {elem: un("exp(%s)")},
	formula.PrimLog:      {elem: un("log(%s)")},
	formula.PrimXLogX:    {elem: un("gk_xlogx(%s)")},
	formula.PrimSin:      {elem: un("sin(%s)")},
	formula.PrimCos:      {elem: un("cos(%s)")},
	formula.PrimSinXDivX: {elem: un("gk_sinxdivx(%s)")},
	formula.PrimAsin:     {elem: un("asin(%s)")},
	formula.PrimAcos:     {elem: un("acos(%s)")},
	formula.PrimAtan:     {elem: un("atan(%s)")},
	formula.PrimErf:      {elem: un("erf(%s)")},
	formula.PrimSqrt:     {elem: un("sqrt(%s)")},
	formula.PrimRsqrt:    {elem: un("gk_rsqrt(%s)")},
	formula.PrimSquare:   {elem: func(a []string, _ []int, _ string) string { return fmt.Sprintf("(%s * %s)", a[0], a[0]) }},
	formula.PrimAbs:      {elem: un("fabs(%s)")},
	formula.PrimSign:     {elem: un("gk_sign(%s)")},
	formula.PrimStep:     {elem: un("gk_step(%s)")},
	formula.PrimReLU:     {elem: un("gk_relu(%s)")},
	formula.PrimFloor:    {elem: un("floor(%s)")},
	formula.PrimRound:    {elem: elemRound},
	formula.PrimPow:      {elem: func(a []string, n []int, ct string) string { return fmt.Sprintf("pow(%s, (%s)%d)", a[0], ct, n[0]) }},
	formula.PrimClampInt: {elem: func(a []string, n []int, ct string) string {
		return fmt.Sprintf("gk_clamp(%s, (%s)%d, (%s)%d)", a[0], ct, n[0], ct, n[1])
	}},
	formula.PrimDiffClampInt: {elem: func(a []string, n []int, ct string) string {
		return fmt.Sprintf("gk_diffclamp(%s, (%s)%d, (%s)%d)", a[0], ct, n[0], ct, n[1])
	}},

	formula.PrimAdd:         {elem: bin("(%s + %s)")},
	formula.PrimSubtract:    {elem: bin("(%s - %s)")},
	formula.PrimMult:        {elem: bin("(%s * %s)")},
	formula.PrimDivide:      {elem: bin("(%s / %s)")},
	formula.PrimAtan2:       {elem: bin("atan2(%s, %s)")},
	formula.PrimPowf:        {elem: func(a []string, _ []int, ct string) string { return fmt.Sprintf("(%s)gk_powf(%s, %s)", ct, a[0], a[1]) }},
	formula.PrimEqual:       {elem: cmp("==")},
	formula.PrimNotEqual:    {elem: cmp("!=")},
	formula.PrimLessThan:    {elem: cmp("<")},
	formula.PrimLessOrEqual: {elem: cmp("<=")},

	formula.PrimMod:    {elem: tern("gk_mod(%s, %s, %s)")},
	formula.PrimClamp:  {elem: tern("gk_clamp(%s, %s, %s)")},
	formula.PrimIfElse: {elem: tern("gk_ifelse(%s, %s, %s)")},

	formula.PrimSum:      {stmt: stmtSum},
	formula.PrimMax:      {stmt: stmtExtremum(">", false)},
	formula.PrimMin:      {stmt: stmtExtremum("<", false)},
	formula.PrimArgMax:   {stmt: stmtExtremum(">", true)},
	formula.PrimArgMin:   {stmt: stmtExtremum("<", true)},
	formula.PrimSqNorm2:  {stmt: stmtSqNorm2},
	formula.PrimScalprod: {stmt: stmtScalprod},
	formula.PrimSqDist:   {stmt: stmtSqDist},

	formula.PrimSumT:     {stmt: stmtSumT},
	formula.PrimElem:     {stmt: stmtElem},
	formula.PrimElemT:    {stmt: stmtElemT},
	formula.PrimExtract:  {stmt: stmtExtract},
	formula.PrimExtractT: {stmt: stmtExtractT},
	formula.PrimConcat:   {stmt: stmtConcat},
	formula.PrimOneHot:   {stmt: stmtOneHot},

	formula.PrimMatVecMult: {stmt: stmtContract},
	formula.PrimVecMatMult: {stmt: stmtContract},
	formula.PrimTensorProd: {stmt: stmtContract},
	formula.PrimTensorDot:  {stmt: stmtContract},

	formula.PrimBSpline:           {stmt: stmtBSpline},
	formula.PrimSoftDTWSqDist:     {stmt: stmtSoftDTW},
	formula.PrimSoftDTWSqDistGrad: {stmt: stmtSoftDTW},

	formula.PrimComplexReal:      {stmt: stmtComplexPart(0)},
	formula.PrimComplexImag:      {stmt: stmtComplexPart(1)},
	formula.PrimReal2Complex:     {stmt: stmtToComplex(0)},
	formula.PrimImag2Complex:     {stmt: stmtToComplex(1)},
	formula.PrimConj:             {stmt: stmtConj},
	formula.PrimComplexAdd:       {stmt: stmtComplexBin("%[1]s + %[3]s", "%[2]s + %[4]s")},
	formula.PrimComplexSubtract:  {stmt: stmtComplexBin("%[1]s - %[3]s", "%[2]s - %[4]s")},
	formula.PrimComplexMult:      {stmt: stmtComplexBin("%[1]s * %[3]s - %[2]s * %[4]s", "%[1]s * %[4]s + %[2]s * %[3]s")},
	formula.PrimComplexSquareAbs: {stmt: stmtComplexSquareAbs},
	formula.PrimComplexExp:       {stmt: stmtComplexExp},
	formula.PrimComplexExp1j:     {stmt: stmtComplexExp1j},
	formula.PrimComplexSum:       {stmt: stmtComplexSum},
	formula.PrimComplexSumT:      {stmt: stmtSumT},
	formula.PrimComplexRealScal:  {stmt: stmtComplexRealScal},
}

func un(f string) func([]string, []int, string) string {
	return func(a []string, _ []int, _ string) string { return fmt.Sprintf(f, a[0]) }
}

func bin(f string) func([]string, []int, string) string {
	return func(a []string, _ []int, _ string) string { return fmt.Sprintf(f, a[0], a[1]) }
}

func tern(f string) func([]string, []int, string) string {
	return func(a []string, _ []int, _ string) string { return fmt.Sprintf(f, a[0], a[1], a[2]) }
}

func cmp(op string) func([]string, []int, string) string {
	return func(a []string, _ []int, ct string) string {
		return fmt.Sprintf("(%s %s %s ? (%s)1 : (%s)0)", a[0], op, a[1], ct, ct)
	}
}

// elemRound is C round at 10^d: round(x*10^d)/10^d, the scale a literal.
func elemRound(a []string, n []int, ct string) string {
	if n[0] == 0 {
		return fmt.Sprintf("round(%s)", a[0])
	}
	return fmt.Sprintf("gk_round(%s, (%s)%s)", a[0], ct, lit(math.Pow(10, float64(n[0]))))
}

// lit writes a float64 exactly, as a C literal (infinities as GK_INF).
func lit(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "GK_INF"
	case math.IsInf(v, -1):
		return "(-GK_INF)"
	case math.IsNaN(v):
		return "(GK_INF - GK_INF)"
	}
	s := fmt.Sprintf("%.17g", v)
	if !strings.ContainsAny(s, ".e") {
		s += ".0"
	}
	return s
}

// at is component k of array a of dim d, broadcasting a dim-1 array.
func at(a string, d int, k string) string {
	if d == 1 {
		return a + "[0]"
	}
	return a + "[" + k + "]"
}

func stmtSum(w *writer, out string, c *formula.Call, a []string, d []int) {
	w.line("%s[0] = %s[0];", out, a[0])
	w.line("for (int k = 1; k < %d; k++) %s[0] += %s[k];", d[0], out, a[0])
}

func stmtExtremum(op string, arg bool) func(*writer, string, *formula.Call, []string, []int) {
	return func(w *writer, out string, c *formula.Call, a []string, d []int) {
		w.open("")
		if arg {
			w.line("ct best = %s[0]; int arg = 0;", a[0])
			w.line("for (int k = 1; k < %d; k++) if (%s[k] %s best) { best = %s[k]; arg = k; }", d[0], a[0], op, a[0])
			w.line("%s[0] = (ct)arg;", out)
		} else {
			w.line("ct best = %s[0];", a[0])
			w.line("for (int k = 1; k < %d; k++) if (%s[k] %s best) best = %s[k];", d[0], a[0], op, a[0])
			w.line("%s[0] = best;", out)
		}
		w.close()
	}
}

func stmtSqNorm2(w *writer, out string, c *formula.Call, a []string, d []int) {
	w.line("%s[0] = 0;", out)
	w.line("for (int k = 0; k < %d; k++) %s[0] += %s[k] * %s[k];", d[0], out, a[0], a[0])
}

func stmtScalprod(w *writer, out string, c *formula.Call, a []string, d []int) {
	n := max(d[0], d[1])
	w.line("%s[0] = 0;", out)
	w.line("for (int k = 0; k < %d; k++) %s[0] += %s * %s;", n, out, at(a[0], d[0], "k"), at(a[1], d[1], "k"))
}

func stmtSqDist(w *writer, out string, c *formula.Call, a []string, d []int) {
	n := max(d[0], d[1])
	w.line("%s[0] = 0;", out)
	w.line("for (int k = 0; k < %d; k++) { const ct dd = %s - %s; %s[0] += dd * dd; }", n, at(a[0], d[0], "k"), at(a[1], d[1], "k"), out)
}

func stmtSumT(w *writer, out string, c *formula.Call, a []string, d []int) {
	w.line("for (int k = 0; k < %d; k++) %s[k] = %s[k %% %d];", c.Dim, out, a[0], d[0])
}

func stmtElem(w *writer, out string, c *formula.Call, a []string, d []int) {
	w.line("%s[0] = %s[%d];", out, a[0], c.Ints[0])
}

func stmtElemT(w *writer, out string, c *formula.Call, a []string, d []int) {
	w.line("for (int k = 0; k < %d; k++) %s[k] = 0;", c.Dim, out)
	w.line("%s[%d] = %s[0];", out, c.Ints[1], a[0])
}

func stmtExtract(w *writer, out string, c *formula.Call, a []string, d []int) {
	w.line("for (int k = 0; k < %d; k++) %s[k] = %s[%d + k];", c.Dim, out, a[0], c.Ints[0])
}

func stmtExtractT(w *writer, out string, c *formula.Call, a []string, d []int) {
	w.line("for (int k = 0; k < %d; k++) %s[k] = 0;", c.Dim, out)
	w.line("for (int k = 0; k < %d; k++) %s[%d + k] = %s[k];", d[0], out, c.Ints[0], a[0])
}

func stmtConcat(w *writer, out string, c *formula.Call, a []string, d []int) {
	w.line("for (int k = 0; k < %d; k++) %s[k] = %s[k];", d[0], out, a[0])
	w.line("for (int k = 0; k < %d; k++) %s[%d + k] = %s[k];", d[1], out, d[0], a[1])
}

// stmtOneHot truncates x+0.5 as C does (toward zero).
func stmtOneHot(w *writer, out string, c *formula.Call, a []string, d []int) {
	w.open("")
	w.line("const ct h = trunc(%s[0] + (ct)0.5);", a[0])
	w.line("for (int k = 0; k < %d; k++) %s[k] = ((ct)k == h) ? (ct)1 : (ct)0;", c.Dim, out)
	w.close()
}

// stmtContract writes a contraction as the CPU engine's list of products
// (core.ContractionTerms), grouped by output component.
func stmtContract(w *writer, out string, c *formula.Call, a []string, d []int) {
	terms := core.ContractionTerms(c.Op.Info().Prim, d[0], d[1], c.Lists)
	byOut := make([][]string, c.Dim)
	for _, t := range terms {
		byOut[t[0]] = append(byOut[t[0]], fmt.Sprintf("%s * %s", at(a[0], d[0], fmt.Sprint(t[1])), at(a[1], d[1], fmt.Sprint(t[2]))))
	}
	for k, ps := range byOut {
		if len(ps) == 0 {
			w.line("%s[%d] = 0;", out, k)
			continue
		}
		w.line("%s[%d] = %s;", out, k, strings.Join(ps, " + "))
	}
}

// stmtBSpline is Cox–de Boor on the knots a[0] at a[1]; a ratio with a
// zero denominator counts as 0.
func stmtBSpline(w *writer, out string, c *formula.Call, a []string, d []int) {
	nk, order := d[0], c.Ints[0]
	w.open("")
	w.line("const ct x = %s[0]; ct b[%d];", a[1], nk)
	w.line("for (int j = 0; j < %d; j++) b[j] = (%s[j] <= x && x < %s[j + 1]) ? (ct)1 : (ct)0;", nk-1, a[0], a[0])
	w.line("for (int p = 1; p <= %d; p++) {", order)
	w.line("  for (int j = 0; j < %d - p; j++) {", nk-1)
	w.line("    ct v = 0, den = %s[j + p] - %s[j];", a[0], a[0])
	w.line("    if (den != 0) v += (x - %s[j]) / den * b[j];", a[0])
	w.line("    den = %s[j + p + 1] - %s[j + 1];", a[0], a[0])
	w.line("    if (den != 0) v += (%s[j + p + 1] - x) / den * b[j + 1];", a[0])
	w.line("    b[j] = v;")
	w.line("  }")
	w.line("}")
	w.line("for (int j = 0; j < %d; j++) %s[j] = b[j];", c.Dim, out)
	w.close()
}

// stmtSoftDTW is the soft-DTW of a[0] and a[1] with cost (x_i - y_j)^2 and
// smoothing a[2], or its gradient in x (Ints 0) or y (Ints 1) times a[3].
func stmtSoftDTW(w *writer, out string, c *formula.Call, a []string, d []int) {
	n, m := d[0], d[1]
	grad := c.Op.Info().Prim == formula.PrimSoftDTWSqDistGrad
	w.open("")
	w.line("const ct gamma = %s[0]; ct r[%d];", a[2], n*m)
	w.line("for (int i = 0; i < %d; i++) for (int j = 0; j < %d; j++) {", n, m)
	w.line("  const ct t = %s[i] - %s[j], cost = t * t;", a[0], a[1])
	w.line("  if (i == 0 && j == 0) r[0] = cost;")
	w.line("  else if (i == 0) r[j] = cost + r[j - 1];")
	w.line("  else if (j == 0) r[i * %d] = cost + r[(i - 1) * %d];", m, m)
	w.line("  else r[i * %d + j] = cost + gk_softmin(r[(i - 1) * %d + j - 1], r[(i - 1) * %d + j], r[i * %d + j - 1], gamma);", m, m, m, m)
	w.line("}")
	if !grad {
		w.line("%s[0] = r[%d];", out, n*m-1)
		w.close()
		return
	}
	w.line("ct e[%d];", n*m)
	w.line("for (int k = 0; k < %d; k++) e[k] = 0;", n*m)
	w.line("e[%d] = 1;", n*m-1)
	w.line("for (int i = %d; i >= 0; i--) for (int j = %d; j >= 0; j--) {", n-1, m-1)
	w.line("  const ct g = e[i * %d + j];", m)
	w.line("  if (i == 0 && j == 0) continue;")
	w.line("  if (i == 0) { e[j - 1] += g; continue; }")
	w.line("  if (j == 0) { e[(i - 1) * %d] += g; continue; }", m)
	w.line("  ct wa, wb, wc;")
	w.line("  gk_softmin_weights(r[(i - 1) * %d + j - 1], r[(i - 1) * %d + j], r[i * %d + j - 1], gamma, &wa, &wb, &wc);", m, m, m)
	w.line("  e[(i - 1) * %d + j - 1] += g * wa; e[(i - 1) * %d + j] += g * wb; e[i * %d + j - 1] += g * wc;", m, m, m)
	w.line("}")
	if c.Ints[0] == 0 {
		w.line("for (int i = 0; i < %d; i++) { ct s = 0; for (int j = 0; j < %d; j++) s += e[i * %d + j] * 2 * (%s[i] - %s[j]); %s[i] = s * %s[0]; }", n, m, m, a[0], a[1], out, a[3])
	} else {
		w.line("for (int j = 0; j < %d; j++) { ct s = 0; for (int i = 0; i < %d; i++) s -= e[i * %d + j] * 2 * (%s[i] - %s[j]); %s[j] = s * %s[0]; }", m, n, m, a[0], a[1], out, a[3])
	}
	w.close()
}

func stmtComplexPart(off int) func(*writer, string, *formula.Call, []string, []int) {
	return func(w *writer, out string, c *formula.Call, a []string, d []int) {
		w.line("for (int k = 0; k < %d; k++) %s[k] = %s[2 * k + %d];", c.Dim, out, a[0], off)
	}
}

func stmtToComplex(part int) func(*writer, string, *formula.Call, []string, []int) {
	return func(w *writer, out string, c *formula.Call, a []string, d []int) {
		w.line("for (int k = 0; k < %d; k++) { %s[2 * k + %d] = %s[k]; %s[2 * k + %d] = 0; }", d[0], out, part, a[0], out, 1-part)
	}
}

func stmtConj(w *writer, out string, c *formula.Call, a []string, d []int) {
	w.line("for (int k = 0; k < %d; k += 2) { %s[k] = %s[k]; %s[k + 1] = -%s[k + 1]; }", c.Dim, out, a[0], out, a[0])
}

// stmtComplexBin: re and im are formats of (ar, ai, br, bi); a complex
// scalar (dim 2) broadcasts over a complex vector.
func stmtComplexBin(re, im string) func(*writer, string, *formula.Call, []string, []int) {
	return func(w *writer, out string, c *formula.Call, a []string, d []int) {
		w.line("for (int k = 0; k < %d; k += 2) {", c.Dim)
		w.line("  const ct ar = %s[k %% %d], ai = %s[k %% %d + 1], br = %s[k %% %d], bi = %s[k %% %d + 1];", a[0], d[0], a[0], d[0], a[1], d[1], a[1], d[1])
		w.line("  %s[k] = %s; %s[k + 1] = %s;", out, fmt.Sprintf(re, "ar", "ai", "br", "bi"), out, fmt.Sprintf(im, "ar", "ai", "br", "bi"))
		w.line("}")
	}
}

func stmtComplexSquareAbs(w *writer, out string, c *formula.Call, a []string, d []int) {
	w.line("for (int k = 0; k < %d; k++) %s[k] = %s[2 * k] * %s[2 * k] + %s[2 * k + 1] * %s[2 * k + 1];", c.Dim, out, a[0], a[0], a[0], a[0])
}

func stmtComplexExp(w *writer, out string, c *formula.Call, a []string, d []int) {
	w.line("for (int k = 0; k < %d; k += 2) { const ct r = exp(%s[k]); %s[k] = r * cos(%s[k + 1]); %s[k + 1] = r * sin(%s[k + 1]); }", c.Dim, a[0], out, a[0], out, a[0])
}

func stmtComplexExp1j(w *writer, out string, c *formula.Call, a []string, d []int) {
	w.line("for (int k = 0; k < %d; k++) { %s[2 * k] = cos(%s[k]); %s[2 * k + 1] = sin(%s[k]); }", d[0], out, a[0], out, a[0])
}

func stmtComplexSum(w *writer, out string, c *formula.Call, a []string, d []int) {
	w.line("%s[0] = 0; %s[1] = 0;", out, out)
	w.line("for (int k = 0; k < %d; k += 2) { %s[0] += %s[k]; %s[1] += %s[k + 1]; }", d[0], out, a[0], out, a[0])
}

// stmtComplexRealScal: the real scalar is whichever argument has dim 1.
func stmtComplexRealScal(w *writer, out string, c *formula.Call, a []string, d []int) {
	s, z := a[0], a[1]
	if d[0] != 1 {
		s, z = a[1], a[0]
	}
	w.line("for (int k = 0; k < %d; k++) %s[k] = %s[0] * %s[k];", c.Dim, out, s, z)
}
