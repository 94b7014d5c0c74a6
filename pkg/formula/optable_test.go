package formula

import "testing"

// TestOpTable checks every row of the op table.
func TestOpTable(t *testing.T) {
	names := map[string]Op{}
	prims := map[Prim]Op{}
	for o := Op(1); o < numOps; o++ {
		row := o.Info()
		t.Run(row.Name, func(t *testing.T) {
			if row.Name == "" || !validName(row.Name) {
				t.Fatalf("op %d has a bad name %q", o, row.Name)
			}
			if prev, dup := names[row.Name]; dup {
				t.Errorf("name %s used by ops %d and %d", row.Name, prev, o)
			}
			names[row.Name] = o
			if row.Dim == nil {
				t.Error("no dimension rule")
			}
			if len(row.slots) != row.Args+row.Ints+row.Lists {
				t.Errorf("slots %v", row.slots)
			}
			switch {
			case row.Family == FamSymbolic:
				if row.Prim != PrimNone || row.Expand != "" {
					t.Error("a symbolic op has no primitive nor expansion")
				}
			case row.Prim != PrimNone:
				if prev, dup := prims[row.Prim]; dup {
					t.Errorf("primitive %d used by %s and %s", row.Prim, prev, o)
				}
				prims[row.Prim] = o
				if (row.Family == FamElementwise) != row.Prim.Elementwise() {
					t.Errorf("family %d but primitive elementwise = %v", row.Family, row.Prim.Elementwise())
				}
				if row.Prim.Elementwise() && row.Prim.Arity() != row.Args {
					t.Errorf("primitive arity %d, op arity %d", row.Prim.Arity(), row.Args)
				}
				// Every primitive is differentiable or says why not.
				if row.via == nil && row.derivFn == nil {
					if len(row.deriv) != row.Args && (len(row.deriv) != 0 || row.NoDeriv == "") {
						t.Errorf("%d derivative rules for %d arguments", len(row.deriv), row.Args)
					}
					for k, d := range row.deriv {
						if d == nil && row.NoDeriv == "" {
							t.Errorf("argument %d has no derivative and no NoDeriv message", k)
						}
					}
				}
			default:
				if len(row.expand) == 0 && row.build == nil {
					t.Error("neither a primitive, an expansion nor a builder")
				}
			}
			if row.Family == FamSymbolic && row.lower == nil {
				// Ops without a lowering rule must be rejected by their
				// dim rule (Grad_WithSavedForward).
				if _, msg := row.Dim(&Call{Op: o}); msg == "" {
					t.Error("symbolic op without a lowering rule")
				}
			}
		})
	}
	for p := Prim(1); p < NumPrims; p++ {
		if _, ok := prims[p]; !ok {
			t.Errorf("primitive %d is used by no op", p)
		}
	}
}
