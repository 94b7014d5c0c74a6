package formula

import "fmt"

// dimRule gives the output dimension of a call from its arguments' (already
// checked) dimensions, or a message saying why they do not fit.
type dimRule func(c *Call) (int, string)

// Check infers the dimension of every node of e and stores it in each Call.
// src is the formula text, quoted in errors. Unbound names are errors.
func Check(e Expr, src string) error {
	_, err := check(e, src)
	return err
}

func check(e Expr, src string) (int, error) {
	switch e := e.(type) {
	case *Ident:
		return 0, errorf(src, e.NamePos, "undefined name %s (not an alias nor an operation)", e.Name)
	case *Var:
		if e.Dim < 1 {
			return 0, errorf(src, e.ValuePos, "variable Var(%d,%d,%d) must have a dimension >= 1", e.Ind, e.Dim, e.Cat)
		}
		return e.Dim, nil
	case *Const:
		return 1, nil
	case *Zero:
		if e.Dim < 1 {
			return 0, errorf(src, e.ValuePos, "Zero(%d) must have a dimension >= 1", e.Dim)
		}
		return e.Dim, nil
	case *Call:
		for _, a := range e.Args {
			if _, err := check(a, src); err != nil {
				return 0, err
			}
		}
		row := e.Op.Info()
		if row.Dim == nil {
			return 0, errorf(src, e.NamePos, "%s has no dimension rule", row.Name)
		}
		d, msg := row.Dim(e)
		if msg != "" {
			return 0, errorf(src, e.NamePos, "%s: %s", row.Name, msg)
		}
		e.Dim = d
		return d, nil
	}
	return 0, fmt.Errorf("formula: unknown node %T", e)
}

// argDims lists the dimensions of the formula arguments of c.
func argDims(c *Call) []int {
	ds := make([]int, len(c.Args))
	for k, a := range c.Args {
		ds[k] = DimOf(a)
	}
	return ds
}

// broadcastDim is the common dimension of dims {D} or {1, D}: the rule of
// KeOps' vectorized scalar ops.
func broadcastDim(ds []int) (int, string) {
	d := 1
	for _, x := range ds {
		if x != 1 {
			if d != 1 && d != x {
				return 0, fmt.Sprintf("dimensions are not compatible: %v (need all equal, or 1)", ds)
			}
			d = x
		}
	}
	return d, ""
}

func dimElementwise(c *Call) (int, string) { return broadcastDim(argDims(c)) }

func dimScalar(c *Call) (int, string) { return 1, "" }

func dimSameOr1ToScalar(c *Call) (int, string) {
	if _, msg := broadcastDim(argDims(c)); msg != "" {
		return 0, msg
	}
	return 1, ""
}
