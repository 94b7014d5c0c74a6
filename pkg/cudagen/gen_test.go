package cudagen

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/gokeops/gokeops/pkg/core"
	"github.com/gokeops/gokeops/pkg/formula"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata/")

// TestPrimTableCovers: every primitive of the engine has CUDA code.
func TestPrimTableCovers(t *testing.T) {
	for p := formula.PrimNone + 1; p < formula.NumPrims; p++ {
		pc := primTable[p]
		if (pc.elem == nil) == (pc.stmt == nil) {
			t.Errorf("primitive %d: want exactly one of elem and stmt", p)
		}
		if (pc.elem != nil) != p.Elementwise() {
			t.Errorf("primitive %d: elementwise %v but table entry elem=%v", p, p.Elementwise(), pc.elem != nil)
		}
	}
}

// goldenCase is a representative formula and reduction.
type goldenCase struct {
	name string
	spec core.Spec
	opt  Options
}

var goldenAliases = []string{"x=Vi(3)", "y=Vj(3)", "b=Vj(1)", "p=Pm(1)"}

var goldenCases = []goldenCase{
	{"gauss_sum_f32_1d", core.Spec{Formula: "Exp(-p*SqDist(x,y))*b", Aliases: goldenAliases, Reduction: "Sum", Axis: 1}, Options{}},
	{"gauss_sum_f32_2d", core.Spec{Formula: "Exp(-p*SqDist(x,y))*b", Aliases: goldenAliases, Reduction: "Sum", Axis: 1}, Options{Scheme: Scheme2D}},
	{"gauss_sum_f64_kahan_axis0", core.Spec{Formula: "Exp(-p*SqDist(x,y))*y", Aliases: goldenAliases, Reduction: "Sum", Axis: 0, SumScheme: "kahan_scheme"}, Options{Dtype: Float64}},
	{"argkmin_f32_ranges", core.Spec{Formula: "SqDist(x,y)", Aliases: goldenAliases, Reduction: "ArgKMin", Axis: 1, OptArg: 3}, Options{Ranges: true}},
	{"minargmin_f16_2d", core.Spec{Formula: "SqDist(x,y)-b", Aliases: goldenAliases, Reduction: "Min_ArgMin", Axis: 1}, Options{Dtype: Float16, Scheme: Scheme2D}},
	{"logsumexp_weight_f32_fastmath", core.Spec{Formula: "-SqDist(x,y)", Formula2: "y", Aliases: goldenAliases, Reduction: "LogSumExp", Axis: 1}, Options{UseFastMath: true}},
	{"softmax_f64_2d", core.Spec{Formula: "-SqDist(x,y)", Formula2: "y", Aliases: goldenAliases, Reduction: "SumSoftMaxWeight", Axis: 1}, Options{Dtype: Float64, Scheme: Scheme2D}},
	{"sqdist_dim1600_f32_global", core.Spec{Formula: "SqDist(u,v)", Aliases: []string{"u=Vi(1600)", "v=Vj(1600)"}, Reduction: "KMin", OptArg: 4, Axis: 1}, Options{}},
	{"sqdist_dim200_sum_f32_chunked", core.Spec{Formula: "SqDist(u,v)", Aliases: []string{"u=Vi(200)", "v=Vj(200)"}, Reduction: "Sum", Axis: 1}, Options{}},
	{"argkmin_dim100_f32_chunked", core.Spec{Formula: "SqDist(u,v)", Aliases: []string{"u=Vi(100)", "v=Vj(100)"}, Reduction: "ArgKMin", OptArg: 5, Axis: 1}, Options{Scheme: Scheme2D}},
	{"grad_gauss_direct_f32", core.Spec{Formula: "Grad(Exp(-SqDist(x,y))*b, x, p)", Aliases: goldenAliases, Reduction: "Sum", Axis: 1, SumScheme: "direct_sum", DtypeAcc: "float64"}, Options{}},
}

func TestGolden(t *testing.T) {
	for _, c := range goldenCases {
		t.Run(c.name, func(t *testing.T) {
			k, err := core.Compile(c.spec)
			if err != nil {
				t.Fatal(err)
			}
			src, err := GenerateKernel(k, c.opt)
			if err != nil {
				t.Fatal(err)
			}
			again, _ := GenerateKernel(k, c.opt)
			if again.Code != src.Code {
				t.Fatal("two generations of the same kernel differ")
			}
			path := filepath.Join("testdata", c.name+".cu")
			if *update {
				if err := os.WriteFile(path, []byte(src.Code), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./pkg/cudagen -run TestGolden -update)", err)
			}
			if string(want) != src.Code {
				t.Errorf("%s differs from the generated source (go test ./pkg/cudagen -run TestGolden -update rewrites it)", path)
			}
		})
	}
}

// TestChunkedHasNoLargeArrays: a dimension reduction of more than chunkDim
// components is written in chunks, with no per-thread array of its
// dimension (which the compiler would spill to local memory); at chunkDim
// components or fewer the arrays stay.
func TestChunkedHasNoLargeArrays(t *testing.T) {
	for _, c := range []struct {
		formula string
		dim     int
		chunked bool
	}{
		{"SqDist(u,v)", 200, true},
		{"Exp(-SqNorm2(u-v)) * (u|v) + Sum(Abs(u)*p)", 200, true},
		{"SqDist(u,v)", chunkDim + 1, true},
		{"SqDist(u,v)", chunkDim, false},
		{"Sum(u*v) + Elem(u, 3)", 100, false}, // u is also read outside a reduction
	} {
		al := []string{fmt.Sprintf("u=Vi(%d)", c.dim), fmt.Sprintf("v=Vj(%d)", c.dim), "p=Pm(1)"}
		k, err := core.Compile(core.Spec{Formula: c.formula, Aliases: al, Reduction: "Sum", Axis: 1})
		if err != nil {
			t.Fatal(err)
		}
		for _, opt := range []Options{{}, {Scheme: Scheme2D, Dtype: Float64}, {Ranges: true}} {
			src, err := GenerateKernel(k, opt)
			if err != nil {
				t.Fatal(err)
			}
			large := regexp.MustCompile(fmt.Sprintf(`ct v[0-9]+\[%d\];`, c.dim)).MatchString(src.Code)
			chunks := strings.Contains(src.Code, fmt.Sprintf("in chunks of %d", chunkLen))
			if c.chunked && (large || !chunks) {
				t.Errorf("%s, dim %d, %+v: arrays of the dimension %v, chunks %v", c.formula, c.dim, opt, large, chunks)
			}
			if !c.chunked && !large {
				t.Errorf("%s, dim %d, %+v: expected the unchunked code", c.formula, c.dim, opt)
			}
		}
	}
}
