package formula

// Compile parses src, binds the aliases, expands composite operations and
// symbolic derivatives and checks dimensions. The result contains only
// leaves and Calls of primitive ops, each with its Dim set.
func Compile(src string, aliases []Alias) (Expr, error) {
	e, err := Parse(src)
	if err != nil {
		return nil, err
	}
	if e, err = Bind(e, aliases, src); err != nil {
		return nil, err
	}
	if err = Check(e, src); err != nil {
		return nil, err
	}
	e, err = Lower(e, src)
	if err != nil {
		return nil, err
	}
	return e, Check(e, src)
}

// Lower expands every non-primitive call into primitive ones.
func Lower(e Expr, src string) (Expr, error) {
	var err error
	out := Rewrite(e, func(n Expr) Expr {
		c, ok := n.(*Call)
		if !ok || err != nil {
			return n
		}
		if c.Op.Info().Prim == PrimNone {
			err = errorf(src, c.NamePos, "%s cannot be evaluated yet", c.Op)
		}
		return n
	})
	return out, err
}
