package cudagen

import (
	"slices"
	"testing"

	"github.com/gokeops/gokeops/pkg/formula"
)

func TestGeometry(t *testing.T) {
	g := NewGeometry(Scheme2D, 256, 1000, 1_000_000, 1)
	if g.JChunk%256 != 0 || g.NBY > 256 || g.NBY*g.JChunk < 1_000_000 || (g.NBY-1)*g.JChunk >= 1_000_000 {
		t.Fatalf("2D geometry %+v does not cut 1e6 reduced indices into at most 256 pieces of whole blocks", g)
	}
	if g := NewGeometry(Scheme2D, 256, 10, 100, 1); g.NBY != 1 || g.JChunk != 256 {
		t.Fatalf("small 2D geometry %+v", g)
	}
	if ChooseScheme(100, 1_000_000, 1) != Scheme2D || ChooseScheme(1_000_000, 1_000_000, 1) != Scheme1D {
		t.Fatal("GPU: 2D for few output rows and many reduced indices, else 1D")
	}
}

// TestRangeItems: rows go to their last block, blocks are cut at the
// block size, rows of no block get items without spans.
func TestRangeItems(t *testing.T) {
	ranges := []int64{0, 5, 3, 9}
	slices_ := []int64{1, 3}
	red := []int64{0, 4, 2, 6, 7, 8}
	items, n := RangeItems(12, ranges, slices_, red, 4)
	want := []int64{
		0, 3, 0, 1, // rows 0-2: block 0 (rows 3, 4 belong to block 1, the last)
		3, 7, 1, 3, // rows 3-6: block 1, cut at 4 rows
		7, 9, 1, 3,
		9, 12, 0, 0, // rows 9-11: no block
	}
	if n != 4 || !slices.Equal(items[:4*n], want) || !slices.Equal(items[4*n:], red) {
		t.Fatalf("got %d items %v", n, items)
	}
}

// TestArgOffsets: batched arguments step by their size, broadcast ones stay.
func TestArgOffsets(t *testing.T) {
	sig := formula.Signature{{Ind: 0, Dim: 3, Cat: formula.CatI}, {Ind: 1, Dim: 2, Cat: formula.CatJ}, {Ind: 2, Dim: 1, Cat: formula.CatParm}}
	offs := ArgOffsets(sig, []int{2, 3}, [][]int{{2, 3}, {1, 3}, {2, 1}}, 5, 7)
	want := []int64{}
	for b0 := 0; b0 < 2; b0++ {
		for b1 := 0; b1 < 3; b1++ {
			want = append(want, int64((b0*3+b1)*15), int64(b1*14), int64(b0))
		}
	}
	if !slices.Equal(offs, want) {
		t.Fatalf("got %v, want %v", offs, want)
	}
}
