package formula

import "testing"

func TestCompileBasic(t *testing.T) {
	al := []Alias{}
	for k, s := range []string{"x=Vi(3)", "y=Vj(3)", "b=Vj(1)", "g=Pm(1)"} {
		a, err := ParseAlias(s, k)
		if err != nil {
			t.Fatal(err)
		}
		al = append(al, a)
	}
	for _, tc := range []struct {
		src string
		dim int
	}{
		{"Exp(-SqDist(x,y))*b", 1},
		{"Exp(-g*SqDist(x,y))*b", 1},
		{"x*y + 2", 3},
		{"-x**2", 3},
		{"x/3 - y", 3},
	} {
		e, err := Compile(tc.src, al)
		if err != nil {
			t.Fatalf("%s: %v", tc.src, err)
		}
		if DimOf(e) != tc.dim {
			t.Errorf("%s: dim %d, want %d", tc.src, DimOf(e), tc.dim)
		}
	}
	if _, err := Compile("x*b2", al); err == nil {
		t.Error("want error for unknown name")
	} else {
		t.Log(err)
	}
}
