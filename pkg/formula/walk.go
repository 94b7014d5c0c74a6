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
// Shared subtrees are visited once.
func Vars(e Expr) []*Var {
	var vs []*Var
	seen := map[*Call]bool{}
	var walk func(n Expr)
	walk = func(n Expr) {
		switch n := n.(type) {
		case *Var:
			for _, w := range vs {
				if Equal(n, w) {
					return
				}
			}
			vs = append(vs, n)
		case *Call:
			if seen[n] {
				return
			}
			seen[n] = true
			for _, a := range n.Args {
				walk(a)
			}
		}
	}
	walk(e)
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
