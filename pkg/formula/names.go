package formula

// OpNames lists the names of the operations of the table, in table order.
func OpNames() []string {
	var names []string
	for o := Op(1); o < numOps; o++ {
		if name := opTable[o].Name; name != "" {
			names = append(names, name)
		}
	}
	return names
}

// Method is a LazyTensor method that writes an op on self alone: x.exp()
// is Exp(x). About says what it computes, for its documentation.
type Method struct{ Op, Name, About string }

// ElementwiseMethods lists the ops of the table that name a LazyTensor
// method (OpInfo.Method), in table order.
func ElementwiseMethods() []Method {
	var ms []Method
	for o := Op(1); o < numOps; o++ {
		if row := &opTable[o]; row.Method != "" {
			ms = append(ms, Method{Op: row.Name, Name: row.Method, About: row.About})
		}
	}
	return ms
}
