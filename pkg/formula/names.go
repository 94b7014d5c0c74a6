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
