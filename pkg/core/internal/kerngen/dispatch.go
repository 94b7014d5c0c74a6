package kerngen

import (
	"fmt"

	. "github.com/dave/jennifer/jen"
)

const formulaPkg = "github.com/gokeops/gokeops/pkg/formula"

// dispatchers writes, per element type, one function per kernel form that
// runs the kernel of a primitive given at run time: the switch is per tile
// column, the loops are in the kernels.
func dispatchers(f *File, _ dtype) {
	type disp struct {
		name   string
		forms  []form
		doc    string
		params func(dt dtype) []Code
	}
	T := func(dt dtype) *Statement { return Id(dt.Go) }
	ds := []disp{
		{"unary", []form{formUnary}, "runs the kernel of the one-argument primitive p: dst[t] = p(x[t]).",
			func(dt dtype) []Code {
				return []Code{Id("p").Qual(formulaPkg, "Prim"), Id("ints").Index().Int(), List(Id("dst"), Id("x")).Index().Add(T(dt))}
			}},
		{"binaryVV", []form{formVV}, "runs the kernel of the two-argument primitive p: dst[t] = p(x[t], y[t]).",
			func(dt dtype) []Code {
				return []Code{Id("p").Qual(formulaPkg, "Prim"), List(Id("dst"), Id("x"), Id("y")).Index().Add(T(dt))}
			}},
		{"binaryVS", []form{formVS}, "runs the kernel of the two-argument primitive p: dst[t] = p(x[t], y).",
			func(dt dtype) []Code {
				return []Code{Id("p").Qual(formulaPkg, "Prim"), List(Id("dst"), Id("x")).Index().Add(T(dt)), Id("y").Add(T(dt))}
			}},
		{"binarySV", []form{formSV}, "runs the kernel of the two-argument primitive p: dst[t] = p(x, y[t]).",
			func(dt dtype) []Code {
				return []Code{Id("p").Qual(formulaPkg, "Prim"), Id("dst").Index().Add(T(dt)), Id("x").Add(T(dt)), Id("y").Index().Add(T(dt))}
			}},
		{"ternary", []form{formTernary}, "runs the kernel of the three-argument primitive p; an argument of length 1 is broadcast.",
			func(dt dtype) []Code {
				return []Code{Id("p").Qual(formulaPkg, "Prim"), List(Id("dst"), Id("x"), Id("y"), Id("z")).Index().Add(T(dt))}
			}},
	}
	for _, dt := range []dtype{f64, f32} {
		for _, d := range ds {
			name := d.name + dt.Suffix
			var cases []Code
			for i := range lowerings {
				l := &lowerings[i]
				for _, fm := range l.forms() {
					if fm != d.forms[0] {
						continue
					}
					args := []Code{Id("dst")}
					for k := range l.Prim.Arity() {
						args = append(args, Id(argNames[k]))
					}
					for i := range l.Ints {
						args = append(args, Id("ints").Index(Lit(i)))
					}
					cases = append(cases, Case(Qual(formulaPkg, "Prim"+l.Name)).Block(Id(l.kernelName(fm, dt)).Call(args...)))
				}
			}
			cases = append(cases, Default().Block(Panic(Id("errNoKernel"))))
			f.Comment(fmt.Sprintf("%s %s", name, d.doc))
			f.Func().Id(name).Params(d.params(dt)...).Block(Switch(Id("p")).Block(cases...))
			f.Line()
		}
	}
}

// kernelTable writes, per element type, the list of every kernel with its
// primitive and form, so that the tests reach each kernel by name.
func kernelTable(f *File, _ dtype) {
	forms := [...]string{"formUnary", "formVV", "formVS", "formSV", "formTernary"}
	for _, dt := range []dtype{f64, f32} {
		T := func() *Statement { return Id(dt.Go) }
		var rows []Code
		for i := range lowerings {
			l := &lowerings[i]
			for _, fm := range l.forms() {
				// run(dst, args, ints) calls the kernel; broadcast arguments are args[k][0].
				var call []Code
				call = append(call, Id("dst"))
				for k := range l.Prim.Arity() {
					a := Id("a").Index(Lit(k))
					if broadcastArg(fm, k) {
						a = a.Index(Lit(0))
					}
					call = append(call, a)
				}
				for k := range l.Ints {
					call = append(call, Id("ints").Index(Lit(k)))
				}
				run := Func().Params(Id("dst").Index().Add(T()), Id("a").Index().Index().Add(T()), Id("ints").Index().Int()).
					Block(Id(l.kernelName(fm, dt)).Call(call...))
				field := func(k string, v Code) Code { return Id(k).Op(":").Add(v) }
				rows = append(rows, Values(
					field("prim", Qual(formulaPkg, "Prim"+l.Name)),
					field("name", Lit(l.kernelName(fm, dt))),
					field("form", Id(forms[fm])),
					field("ints", Lit(len(l.Ints))),
					field("run", run),
				))
			}
		}
		name := "kernels" + dt.Suffix
		f.Comment(fmt.Sprintf("%s lists every generated %s kernel.", name, dt.Go))
		f.Var().Id(name).Op("=").Index().Id("kernelCase").Types(T()).ValuesFunc(func(g *Group) {
			for _, r := range rows {
				g.Line().Add(r)
			}
			g.Line()
		})
		f.Line()
	}
}
