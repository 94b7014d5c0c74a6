package kerngen

import . "github.com/dave/jennifer/jen"

const archsimd = "simd/archsimd"

// lanes is what a vector form needs while its kernel is written: the
// element type, and the values hoisted out of the loop (broadcast
// constants and parameters), declared once each.
type lanes struct {
	dt    dtype
	hoist []Code
	named map[string]bool
}

// Fn is a call of the hand-written vector function stem+"F64x4" (or
// "F32x8"), in pkg/core/vmath*_amd64.go or mathsimd_amd64.go.
func (v *lanes) Fn(stem string, a ...Code) Code { return Id(stem + v.dt.vecSuffix()).Call(a...) }

// Pick is m ? a : b per lane.
func (v *lanes) Pick(m, a, b Code) Code { return Id("pick"+v.dt.Bits).Call(m, a, b) }

// Const is a vector of the constant c, hoisted out of the loop as name.
// Zero is the zero vector: broadcasting the float 0 would go through an
// SSE XORPS, which costs a state transition next to AVX code.
func (v *lanes) Const(name string, c float64) Code {
	if c == 0 && !v.named[name] {
		v.named[name] = true
		v.hoist = append(v.hoist, Id(name).Op(":=").Qual(archsimd, v.dt.Vec).Values())
		return Id(name)
	}
	return v.hoisted(name, Lit(c))
}

// Broadcast is a vector of the float64 variable x, hoisted out of the loop
// as name (rounded to float32 for float32 lanes).
func (v *lanes) Broadcast(name string, x Code) Code {
	if v.dt.Go == "float32" {
		x = Float32().Call(x)
	}
	return v.hoisted(name, x)
}

func (v *lanes) hoisted(name string, x Code) Code {
	if !v.named[name] {
		v.named[name] = true
		v.hoist = append(v.hoist, Id(name).Op(":=").Qual(archsimd, "Broadcast"+v.dt.Vec).Call(x))
	}
	return Id(name)
}

// load is the vector of argument k at lane offset t, whole or partial.
func (v *lanes) load(f form, k int, part bool) Code {
	a := Id(argNames[k])
	if f == formTernary {
		fn := "loadCol"
		if part {
			fn = "loadColPart"
		}
		return Id(fn+v.dt.vecSuffix()).Call(a, Id("t"))
	}
	if part {
		return Qual(archsimd, "Load"+v.dt.Vec+"SlicePart").Call(Add(a).Index(Id("t"), Empty()))
	}
	return Qual(archsimd, "Load"+v.dt.Vec+"Slice").Call(v.window(a))
}

// window is s[t:t+lanes]: with its length known, the compiler drops the
// bounds checks and the pointer masking an open s[t:] needs.
func (v *lanes) window(s Code) Code {
	return Add(s).Index(Id("t"), Id("t").Op("+").Lit(v.dt.Lanes))
}

// broadcastArg reports whether argument k is a scalar of the form.
func broadcastArg(f form, k int) bool { return f == formVS && k == 1 || f == formSV && k == 0 }

// vecName is the local holding the vector of argument k.
func vecName(k int) string { return "v" + argNames[k] }

// simdKernels writes the SIMD flavour: the vector loop, the last partial
// vector with masked loads and stores (so every element of a tile goes
// through the same code, whatever its position), and the scalar loop when
// the CPU lacks AVX2 or FMA. Primitives without a vector form run the
// scalar loop.
func simdKernels(f *File, dt dtype) {
	for i := range lowerings {
		l := &lowerings[i]
		for _, fm := range l.forms() {
			f.Add(l.docComment(fm, dt))
			body := append([]Code{}, l.Setup...)
			body = append(body, reslice(fm))
			if l.Vector != nil {
				body = append(body, l.vectorPath(fm, dt))
			}
			body = append(body, l.scalarLoop(fm, dt))
			f.Func().Id(l.kernelName(fm, dt)).Params(l.params(fm, dt)...).Block(body...)
			f.Line()
		}
	}
}

// vectorPath is the `if simdOK { ...; return }` block of a kernel.
func (l *lowering) vectorPath(fm form, dt dtype) Code {
	v := &lanes{dt: dt, named: map[string]bool{}}
	n := l.Prim.Arity()
	args := make([]Code, n)
	for k := range args {
		args[k] = Id(vecName(k))
		if broadcastArg(fm, k) {
			v.hoisted(vecName(k), Id(argNames[k]))
		}
	}
	expr := l.Vector(v, args...) // fills v.hoist
	step := func(part bool) []Code {
		var st []Code
		for k := range n {
			if !broadcastArg(fm, k) {
				st = append(st, Id(vecName(k)).Op(":=").Add(v.load(fm, k, part)))
			}
		}
		if part {
			return append(st, method(expr, "StoreSlicePart", Id("dst").Index(Id("t"), Empty())))
		}
		return append(st, method(expr, "StoreSlice", v.window(Id("dst"))))
	}
	lanes := Lit(dt.Lanes)
	block := append([]Code{}, v.hoist...)
	block = append(block,
		Id("t").Op(":=").Lit(0),
		For(Empty(), Id("t").Op("+").Add(lanes).Op("<=").Len(Id("dst")), Id("t").Op("+=").Add(lanes)).Block(step(false)...),
		If(Id("t").Op("<").Len(Id("dst"))).Block(step(true)...),
		// The caller's scalar code is SSE: dirty upper halves of the
		// vector registers would slow every one of its instructions.
		Comment("VZEROUPPER: the caller's scalar code is SSE"),
		Qual(archsimd, "ClearAVXUpperBits").Call(),
		Return(),
	)
	return If(Id("simdOK")).Block(block...)
}
