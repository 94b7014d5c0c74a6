package gokeops

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestTablesDescribeEveryReduction(t *testing.T) {
	s, err := Tables()
	if err != nil {
		t.Fatal(err)
	}
	var tab tables
	if err := json.Unmarshal([]byte(s), &tab); err != nil {
		t.Fatal(err)
	}
	rows := map[string]reductionRow{}
	for _, r := range tab.Reductions {
		rows[r.Name] = r
	}
	if len(rows) != 15 || !rows["Sum"].SumType || rows["Min"].SumType || !rows["ArgKMin"].NeedsK ||
		!rows["ArgKMin"].HasIndex || rows["KMin"].HasIndex || rows["SumSoftMaxWeight"].Weight != 2 ||
		rows["LogSumExp"].Weight != 1 || !rows["LogSumExp"].ScalarF {
		t.Errorf("reductions table: %+v", rows)
	}
	if tab.Aliases["SoftMax"] != "SumSoftMaxWeight" || tab.Categories["Pm"] != 2 || len(tab.SumScheme) != 4 {
		t.Errorf("tables: %+v", tab)
	}
}

func TestCheckOptionsAsCompile(t *testing.T) {
	cases := []struct {
		red       string
		axis, k   int
		f2        bool
		acc, sch  string
		wantError string
	}{
		{"Sum", 1, 0, false, "float64", "kahan_scheme", ""},
		{"ArgKMin", 0, 3, false, "auto", "direct_sum", ""},
		{"Sum", 2, 0, false, "auto", "auto", "ValueError: Axis should be 0 or 1"},
		{"KMin", 0, 0, false, "auto", "auto", "ValueError: reduction KMin needs opt_arg = K >= 1"},
		{"Sum", 0, 2, false, "auto", "auto", "TypeError: reduction Sum takes no opt_arg"},
		{"SoftMax", 0, 0, false, "auto", "auto", "ValueError: SoftMax reduction requires a weight formula"},
		{"Min", 0, 0, true, "auto", "auto", "ValueError: reduction Min takes no formula2"},
		{"Min", 0, 0, false, "float64", "auto", `ValueError: dtype_acc="float64" is only allowed`},
		{"Min", 0, 0, false, "auto", "block_sum", `ValueError: sum_scheme="block_sum" is only allowed`},
		{"Sum", 0, 0, false, "auto", "pairwise", "ValueError: invalid value for option sum_scheme"},
		{"MinArgMin", 0, 0, false, "auto", "auto", `ValueError: unknown reduction_op "MinArgMin"`},
	}
	for _, c := range cases {
		_, err := CheckOptions(c.red, c.axis, c.k, c.f2, c.acc, c.sch)
		switch {
		case c.wantError == "" && err != nil:
			t.Errorf("%+v: %v", c, err)
		case c.wantError != "" && (err == nil || !strings.HasPrefix(err.Error(), c.wantError)):
			t.Errorf("%+v: got %v, want %q", c, err, c.wantError)
		}
	}
}

func TestParseAliasFields(t *testing.T) {
	cases := map[string]struct {
		pos  int
		want string
	}{
		"x = Vi(3)":   {-1, "x\t0\t3\t-1"},
		"x = Vi(3) ":  {4, "x\t0\t3\t4"},
		"x=Vj(2,4)":   {-1, "x\t1\t4\t2"},
		"Pm(5)":       {3, "\t2\t5\t3"},
		"Var(1,2,0)":  {-1, "\t0\t2\t1"},
		"Var(1,2,0) ": {7, "\t0\t2\t1"},
	}
	for s, c := range cases {
		got, err := ParseAlias(s, c.pos)
		if err != nil || got != c.want {
			t.Errorf("ParseAlias(%q, %d) = %q, %v; want %q", s, c.pos, got, err, c.want)
		}
	}
	for _, bad := range []string{"x = Vk(3)", "x=Vx(3)", "y = Vy(1)", "x = Vi()", "1x = Vi(2)"} {
		if _, err := ParseAlias(bad, 0); err == nil || !strings.HasPrefix(err.Error(), "ValueError: alias ") {
			t.Errorf("ParseAlias(%q): got %v", bad, err)
		}
	}
}

func TestFormulaDim(t *testing.T) {
	for src, want := range map[string]int{
		"SqDist(Var(0,3,0), Var(1,3,1))":                          1,
		"(Var(0,3,0) + Var(1,1,1))":                               3,
		"MatVecMult(Var(0,6,0), Var(1,3,1))":                      2,
		"Extract(Var(0,5,0), 1, 3)":                               3,
		"TensorDot(Var(0,6,0), Var(1,3,1), [2,3], [3], [1], [0])": 2,
	} {
		got, err := FormulaDim(src)
		if err != nil || got != want {
			t.Errorf("FormulaDim(%q) = %d, %v; want %d", src, got, err, want)
		}
	}
	for _, bad := range []string{"MatVecMult(Var(0,5,0), Var(1,3,1))", "Elem(Var(0,3,0), 3)", "Nope(Var(0,1,0))", "x"} {
		if _, err := FormulaDim(bad); err == nil || !strings.HasPrefix(err.Error(), "ValueError: ") {
			t.Errorf("FormulaDim(%q): got %v", bad, err)
		}
	}
}
