package formula

// Compile parses src, binds the aliases, checks dimensions, then lowers
// (expands composite ops, differentiates, simplifies). The result contains
// only Var, Const and Zero leaves and Calls of primitive ops, each with its
// Dim set.
func Compile(src string, aliases []Alias) (Expr, error) {
	e, err := Checked(src, aliases)
	if err != nil {
		return nil, err
	}
	if e, err = Lower(e, src); err != nil {
		return nil, err
	}
	return e, Check(e, src)
}

// Checked parses src, binds the aliases and checks dimensions, without
// lowering: the tree has the ops as written.
func Checked(src string, aliases []Alias) (Expr, error) {
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
	return e, nil
}
