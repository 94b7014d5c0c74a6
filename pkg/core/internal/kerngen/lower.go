package kerngen

import (
	. "github.com/dave/jennifer/jen"

	"github.com/gokeops/gokeops/pkg/formula"
)

// A lowering is how one elementwise primitive becomes kernel code. The
// scalar form is the contract: it is the doc comment of every kernel of the
// primitive, the portable flavour runs it, and the SIMD flavour runs it on
// the lanes no vector covers (and everywhere without AVX2+FMA). The helpers
// it names (xlogx, rsqrt, clamp, ...) are the hand-written per-value
// definitions of pkg/core/scalar.go, where the special values live.
type lowering struct {
	Prim formula.Prim
	// Name is the primitive's identifier in pkg/formula without "Prim"
	// ("Exp"); the tests check it against prim.go.
	Name string
	// Stem names the kernels: "exp" gives expF64, "add" gives addVVF64...
	Stem string
	// Ints names the integer parameters, in the order of the call's Ints.
	Ints []string
	// Setup declares the float64 values the kernel makes from its Ints, once
	// per call, before the loop.
	Setup []Code
	// Scalar is the value of one element in float64 arithmetic, given the
	// argument expressions.
	Scalar func(a ...Code) Code
	// Native marks a Scalar form that float32 arithmetic computes exactly
	// (one correctly rounded operation), so float32 kernels need not widen.
	Native bool
	// Vector is the archsimd form on one vector of lanes; nil when there
	// is none (the SIMD flavour then runs the scalar loop).
	Vector func(v *lanes, a ...Code) Code
}

// call is a call of a package-level function of pkg/core.
func call(fn string, a ...Code) Code { return Id(fn).Call(a...) }

// mathCall is a call of a function of the math package.
func mathCall(fn string) func(a ...Code) Code {
	return func(a ...Code) Code { return Qual("math", fn).Call(a...) }
}

// helper is a call of a scalar helper of pkg/core.
func helper(fn string, extra ...string) func(a ...Code) Code {
	return func(a ...Code) Code {
		for _, e := range extra {
			a = append(a, Id(e))
		}
		return call(fn, a...)
	}
}

// op is the infix arithmetic x op y.
func op(o string) func(a ...Code) Code {
	return func(a ...Code) Code { return Add(a[0]).Op(o).Add(a[1]) }
}

// vfn is a call of a hand-written vector function of pkg/core (expF64x4,
// expF32x8...), with extra scalar arguments.
func vfn(stem string, extra ...string) func(v *lanes, a ...Code) Code {
	return func(v *lanes, a ...Code) Code {
		for _, e := range extra {
			a = append(a, Id(e))
		}
		return v.Fn(stem, a...)
	}
}

// vmethod is the method x.m(y) of the archsimd vector type.
func vmethod(m string) func(v *lanes, a ...Code) Code {
	return func(v *lanes, a ...Code) Code { return method(a[0], m, a[1:]...) }
}

// b2fVec turns a comparison mask into 1 or 0.
func b2fVec(m string) func(v *lanes, a ...Code) Code {
	return func(v *lanes, a ...Code) Code {
		return v.Pick(method(a[0], m, a[1]), v.Const("one", 1), v.Const("zero", 0))
	}
}

// b2fScalar is b2f(x op y).
func b2fScalar(o string) func(a ...Code) Code {
	return func(a ...Code) Code { return call("b2f", Add(a[0]).Op(o).Add(a[1])) }
}

// clampVec is x<lo ? lo : (x>hi ? hi : x): the lower bound is tested first.
func clampVec(v *lanes, x, lo, hi Code) Code {
	return v.Pick(method(x, "Less", lo), lo, v.Pick(method(x, "Greater", hi), hi, x))
}

// ints2 declares lo, hi := float64(a), float64(b).
var ints2 = []Code{List(Id("lo"), Id("hi")).Op(":=").List(Float64().Call(Id("a")), Float64().Call(Id("b")))}

// lowerings maps every elementwise primitive to code, in the order of prim.go.
var lowerings = []lowering{
	{Prim: formula.PrimMinus, Name: "Minus", Stem: "minus", Native: true,
		Scalar: func(a ...Code) Code { return Op("-").Add(a[0]) },
		Vector: vfn("neg")},
	{Prim: formula.PrimInv, Name: "Inv", Stem: "inv", Native: true,
		Scalar: func(a ...Code) Code { return Lit(1).Op("/").Add(a[0]) },
		Vector: func(v *lanes, a ...Code) Code { return method(v.Const("one", 1), "Div", a[0]) }},
	{Prim: formula.PrimExp, Name: "Exp", Stem: "exp", Scalar: helper("expAccurate"), Vector: vfn("exp")},
	{Prim: formula.PrimLog, Name: "Log", Stem: "log", Scalar: helper("logAccurate"), Vector: vfn("log")},
	{Prim: formula.PrimXLogX, Name: "XLogX", Stem: "xlogx", Scalar: helper("xlogx"),
		Vector: func(v *lanes, a ...Code) Code {
			zero := v.Const("zero", 0)
			return v.Pick(method(a[0], "Equal", zero), zero, method(a[0], "Mul", v.Fn("log", a[0])))
		}},
	{Prim: formula.PrimSin, Name: "Sin", Stem: "sin", Scalar: mathCall("Sin"), Vector: vfn("sin")},
	{Prim: formula.PrimCos, Name: "Cos", Stem: "cos", Scalar: mathCall("Cos"), Vector: vfn("cos")},
	{Prim: formula.PrimSinXDivX, Name: "SinXDivX", Stem: "sinXDivX", Scalar: helper("sinXDivX"),
		Vector: func(v *lanes, a ...Code) Code {
			return v.Pick(method(a[0], "Equal", v.Const("zero", 0)), v.Const("one", 1), method(v.Fn("sin", a[0]), "Div", a[0]))
		}},
	{Prim: formula.PrimAsin, Name: "Asin", Stem: "asin", Scalar: mathCall("Asin"), Vector: vfn("asin")},
	{Prim: formula.PrimAcos, Name: "Acos", Stem: "acos", Scalar: helper("acosAccurate"), Vector: vfn("acos")},
	{Prim: formula.PrimAtan, Name: "Atan", Stem: "atan", Scalar: mathCall("Atan"), Vector: vfn("atan")},
	{Prim: formula.PrimErf, Name: "Erf", Stem: "erf", Scalar: mathCall("Erf")},
	{Prim: formula.PrimSqrt, Name: "Sqrt", Stem: "sqrt", Scalar: mathCall("Sqrt"),
		Vector: func(v *lanes, a ...Code) Code { return method(a[0], "Sqrt") }},
	{Prim: formula.PrimRsqrt, Name: "Rsqrt", Stem: "rsqrt", Scalar: helper("rsqrt"),
		Vector: func(v *lanes, a ...Code) Code {
			zero := v.Const("zero", 0)
			return v.Pick(method(a[0], "Equal", zero), zero, method(v.Const("one", 1), "Div", method(a[0], "Sqrt")))
		}},
	{Prim: formula.PrimSquare, Name: "Square", Stem: "square", Native: true,
		Scalar: func(a ...Code) Code { return Add(a[0]).Op("*").Add(a[0]) },
		Vector: func(v *lanes, a ...Code) Code { return method(a[0], "Mul", a[0]) }},
	{Prim: formula.PrimAbs, Name: "Abs", Stem: "abs", Scalar: mathCall("Abs"), Vector: vfn("abs")},
	{Prim: formula.PrimSign, Name: "Sign", Stem: "sign", Scalar: helper("sign"),
		Vector: func(v *lanes, a ...Code) Code {
			zero := v.Const("zero", 0)
			return v.Pick(method(a[0], "Greater", zero), v.Const("one", 1),
				v.Pick(method(a[0], "Less", zero), v.Const("minusOne", -1), zero))
		}},
	{Prim: formula.PrimStep, Name: "Step", Stem: "step", Scalar: helper("step"),
		Vector: func(v *lanes, a ...Code) Code {
			zero := v.Const("zero", 0)
			return v.Pick(method(a[0], "Less", zero), zero, v.Const("one", 1))
		}},
	{Prim: formula.PrimReLU, Name: "ReLU", Stem: "relu", Scalar: helper("relu"),
		Vector: func(v *lanes, a ...Code) Code {
			zero := v.Const("zero", 0)
			return v.Pick(method(a[0], "Less", zero), zero, a[0])
		}},
	{Prim: formula.PrimFloor, Name: "Floor", Stem: "floor", Scalar: mathCall("Floor"),
		Vector: func(v *lanes, a ...Code) Code { return method(a[0], "Floor") }},
	{Prim: formula.PrimRound, Name: "Round", Stem: "round", Ints: []string{"d"},
		Setup:  []Code{Id("scale").Op(":=").Qual("math", "Pow").Call(Lit(10), Float64().Call(Id("d")))},
		Scalar: helper("roundScaled", "scale"), Vector: vfn("roundScaled", "scale")},
	{Prim: formula.PrimPow, Name: "Pow", Stem: "pow", Ints: []string{"n"},
		Setup:  []Code{Id("fn").Op(":=").Float64().Call(Id("n"))},
		Scalar: func(a ...Code) Code { return Qual("math", "Pow").Call(a[0], Id("fn")) },
		Vector: vfn("powInt", "n")},
	{Prim: formula.PrimClampInt, Name: "ClampInt", Stem: "clampInt", Ints: []string{"a", "b"}, Setup: ints2,
		Scalar: helper("clamp", "lo", "hi"),
		Vector: func(v *lanes, a ...Code) Code {
			return clampVec(v, a[0], v.Broadcast("vlo", Id("lo")), v.Broadcast("vhi", Id("hi")))
		}},
	{Prim: formula.PrimDiffClampInt, Name: "DiffClampInt", Stem: "diffClampInt", Ints: []string{"a", "b"}, Setup: ints2,
		Scalar: helper("diffClamp", "lo", "hi"),
		Vector: func(v *lanes, a ...Code) Code {
			out := method(method(a[0], "Less", v.Broadcast("vlo", Id("lo"))), "Or", method(a[0], "Greater", v.Broadcast("vhi", Id("hi"))))
			return v.Pick(out, v.Const("zero", 0), v.Const("one", 1))
		}},

	{Prim: formula.PrimAdd, Name: "Add", Stem: "add", Native: true, Scalar: op("+"), Vector: vmethod("Add")},
	{Prim: formula.PrimSubtract, Name: "Subtract", Stem: "sub", Native: true, Scalar: op("-"), Vector: vmethod("Sub")},
	{Prim: formula.PrimMult, Name: "Mult", Stem: "mul", Native: true, Scalar: op("*"), Vector: vmethod("Mul")},
	{Prim: formula.PrimDivide, Name: "Divide", Stem: "div", Native: true, Scalar: op("/"), Vector: vmethod("Div")},
	{Prim: formula.PrimAtan2, Name: "Atan2", Stem: "atan2", Scalar: mathCall("Atan2"), Vector: vfn("atan2")},
	// Powf has no vector form: C powf on float32 arguments, which a float64
	// exp(y*log(x)) would round differently now and then.
	{Prim: formula.PrimPowf, Name: "Powf", Stem: "powf", Scalar: helper("powf")},
	{Prim: formula.PrimEqual, Name: "Equal", Stem: "equal", Scalar: b2fScalar("=="), Vector: b2fVec("Equal")},
	{Prim: formula.PrimNotEqual, Name: "NotEqual", Stem: "notEqual", Scalar: b2fScalar("!="), Vector: b2fVec("NotEqual")},
	{Prim: formula.PrimLessThan, Name: "LessThan", Stem: "lessThan", Scalar: b2fScalar("<"), Vector: b2fVec("Less")},
	{Prim: formula.PrimLessOrEqual, Name: "LessOrEqual", Stem: "lessOrEqual", Scalar: b2fScalar("<="), Vector: b2fVec("LessEqual")},

	{Prim: formula.PrimMod, Name: "Mod", Stem: "mod", Scalar: helper("mod"), Vector: vfn("mod")},
	{Prim: formula.PrimClamp, Name: "Clamp", Stem: "clamp", Scalar: helper("clamp"),
		Vector: func(v *lanes, a ...Code) Code { return clampVec(v, a[0], a[1], a[2]) }},
	{Prim: formula.PrimIfElse, Name: "IfElse", Stem: "ifElse", Scalar: helper("ifElse"),
		Vector: func(v *lanes, a ...Code) Code {
			return v.Pick(method(a[0], "GreaterEqual", v.Const("zero", 0)), a[1], a[2])
		}},
}
