package kerngen

import . "github.com/dave/jennifer/jen"

// scalarKernels writes the portable flavour: every kernel is its doc
// comment's loop.
func scalarKernels(f *File, dt dtype) {
	for i := range lowerings {
		l := &lowerings[i]
		for _, fm := range l.forms() {
			f.Add(l.docComment(fm, dt))
			body := append([]Code{}, l.Setup...)
			body = append(body, reslice(fm), l.scalarLoop(fm, dt))
			f.Func().Id(l.kernelName(fm, dt)).Params(l.params(fm, dt)...).Block(body...)
			f.Line()
		}
	}
}
