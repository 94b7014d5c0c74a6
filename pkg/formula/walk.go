package formula

// Inspect walks the tree in depth-first order: it calls f(n), and if that
// returns true, visits the children of n, left to right.
func Inspect(n Expr, f func(Expr) bool) {
	if n == nil || !f(n) {
		return
	}
	if c, ok := n.(*Call); ok {
		for _, a := range c.Args {
			Inspect(a, f)
		}
	}
}

// Vars lists the distinct variables of e, in order of first appearance.
func Vars(e Expr) []*Var {
	var vs []*Var
	Inspect(e, func(n Expr) bool {
		if v, ok := n.(*Var); ok {
			for _, w := range vs {
				if Equal(v, w) {
					return false
				}
			}
			vs = append(vs, v)
		}
		return true
	})
	return vs
}

// Rewrite rebuilds e bottom-up: children first, then f is applied to the node
// with its new children. Nodes are copied, never mutated.
func Rewrite(e Expr, f func(Expr) Expr) Expr {
	if c, ok := e.(*Call); ok {
		cp := *c
		cp.Args = make([]Expr, len(c.Args))
		for k, a := range c.Args {
			cp.Args[k] = Rewrite(a, f)
		}
		e = &cp
	}
	return f(e)
}
