package kerngen

import (
	"go/ast"
	"go/parser"
	"go/token"
	"strings"
	"testing"

	"github.com/gokeops/gokeops/pkg/formula"
)

// primValues reads the Prim constants of pkg/formula/prim.go: name → value,
// counting iota through the const block.
func primValues(t *testing.T) map[string]formula.Prim {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "../../../formula/prim.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	vals := map[string]formula.Prim{}
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for i, s := range g.Specs {
			for _, n := range s.(*ast.ValueSpec).Names {
				if strings.HasPrefix(n.Name, "Prim") {
					vals[n.Name] = formula.Prim(i)
				}
			}
		}
	}
	if v, ok := vals["PrimNone"]; !ok || v != 0 || len(vals) < int(formula.NumPrims)-1 {
		t.Fatalf("cannot read the Prim constants of prim.go: %v", vals)
	}
	return vals
}

// TestLowerings checks that every elementwise primitive has exactly one
// lowering, under its own name, with the integer parameters of its op.
func TestLowerings(t *testing.T) {
	vals := primValues(t)
	seen := map[formula.Prim]bool{}
	for _, l := range lowerings {
		if seen[l.Prim] {
			t.Errorf("%s lowered twice", l.Name)
		}
		seen[l.Prim] = true
		if v, ok := vals["Prim"+l.Name]; !ok || v != l.Prim {
			t.Errorf("lowering %s: Prim%s is %d in prim.go, the row says %d", l.Name, l.Name, v, l.Prim)
		}
		if !l.Prim.Elementwise() {
			t.Errorf("lowering %s: not an elementwise primitive", l.Name)
		}
		for o := formula.Op(1); int(o) < formula.NumOps; o++ {
			if in := o.Info(); in.Prim == l.Prim && in.Ints != len(l.Ints) {
				t.Errorf("lowering %s: %d integer parameters, op %s has %d", l.Name, len(l.Ints), o, in.Ints)
			}
		}
		if l.Scalar == nil {
			t.Errorf("lowering %s: no scalar form", l.Name)
		}
	}
	for p := formula.Prim(0); p < formula.NumPrims; p++ {
		if p.Elementwise() && !seen[p] {
			t.Errorf("elementwise primitive %d has no lowering", p)
		}
	}
}

// TestEveryKernelInBothFlavours parses the generated files and checks that
// each flavour, for each element type, defines every kernel, under the
// right build constraint.
func TestEveryKernelInBothFlavours(t *testing.T) {
	funcs := map[string]map[string]bool{}
	for _, f := range Files() {
		if !IsGenerated(f.Src) {
			t.Errorf("%s does not start with the header", f.Name)
		}
		file, err := parser.ParseFile(token.NewFileSet(), f.Name, f.Src, parser.ParseComments)
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		funcs[f.Name] = map[string]bool{}
		for _, d := range file.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok {
				funcs[f.Name][fd.Name.Name] = true
				if fd.Doc == nil || !strings.Contains(fd.Doc.Text(), "for t := range dst") && strings.HasPrefix(f.Name, "kernels_f") {
					t.Errorf("%s: %s has no scalar loop as doc comment", f.Name, fd.Name.Name)
				}
			}
		}
		for _, want := range []struct{ suffix, tag string }{{"simd_gen_amd64.go", tagSIMD}, {"scalar_gen.go", tagScalar}} {
			if strings.HasSuffix(f.Name, want.suffix) && !strings.Contains(string(f.Src), "\n//go:build "+want.tag+"\n") {
				t.Errorf("%s lacks //go:build %s", f.Name, want.tag)
			}
		}
	}
	for _, dt := range []dtype{f64, f32} {
		for _, flavour := range []string{"simd_gen_amd64", "scalar_gen"} {
			name := "kernels_" + strings.ToLower(dt.Suffix) + "_" + flavour + ".go"
			if funcs[name] == nil {
				t.Errorf("no file %s", name)
				continue
			}
			for i := range lowerings {
				l := &lowerings[i]
				for _, fm := range l.forms() {
					if !funcs[name][l.kernelName(fm, dt)] {
						t.Errorf("%s: no kernel %s", name, l.kernelName(fm, dt))
					}
				}
			}
		}
	}
}
