package core

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// The standard workloads W1 (Gaussian sum), W2 (GMM LogSumExp), W5 (its
// gradient), W3's formula at small dimension and other spellings of them
// (W1g, W9, W9g, W1sp, W2s), dim 3, one thread, both
// dtypes: the side-by-side harness of the engine's speed work (run under
// `perf stat -e cycles:u` or callgrind on a loaded machine).
var workloadSpecs = []struct {
	name string
	spec Spec
	args []int // dimension of each argument, rows from M (i) or N (j) by cat
	cats []int // 0: i, 1: j, 2: parameter
}{
	{"W1", Spec{Formula: "Exp(-SqDist(x,y))*b", Aliases: []string{"x=Vi(3)", "y=Vj(3)", "b=Vj(1)"}, Reduction: "Sum", Axis: 1},
		[]int{3, 3, 1}, []int{0, 1, 1}},
	{"W2", Spec{Formula: "(-(g * SqNorm2(x - y))) + b", Aliases: []string{"g=Pm(1)", "x=Vi(3)", "y=Vj(3)", "b=Vj(1)"}, Reduction: "LogSumExp", Axis: 1},
		[]int{1, 3, 3, 1}, []int{2, 0, 1, 1}},
	{"W5", Spec{Formula: "Grad(Exp(-SqDist(x,y))*b, x, e)", Aliases: []string{"x=Vi(3)", "y=Vj(3)", "b=Vj(1)", "e=Vi(1)"}, Reduction: "Sum", Axis: 1},
		[]int{3, 3, 1, 1}, []int{0, 1, 1, 0}},
	{"W1g", Spec{Formula: "Exp(-g*SqDist(x,y))*b", Aliases: []string{"g=Pm(1)", "x=Vi(3)", "y=Vj(3)", "b=Vj(1)"}, Reduction: "Sum", Axis: 1},
		[]int{1, 3, 3, 1}, []int{2, 0, 1, 1}},
	{"W9", Spec{Formula: "Exp(-Sum(Square(x-y)))*b", Aliases: []string{"x=Vi(3)", "y=Vj(3)", "b=Vj(1)"}, Reduction: "Sum", Axis: 1},
		[]int{3, 3, 1}, []int{0, 1, 1}},
	{"W3", Spec{Formula: "SqDist(x,y)", Aliases: []string{"x=Vi(3)", "y=Vj(3)"}, Reduction: "ArgKMin", Axis: 1, OptArg: 10},
		[]int{3, 3}, []int{0, 1}},
	// Other spellings of W1, W5 and W2, as clients write them: the backward
	// of W9 (torch LazyTensor), W1 as a scalar product, geomloss' online
	// softmin (w - s*d).
	{"W9g", Spec{Formula: "Grad(Exp(-Sum(Square(x-y)))*b, x, e)", Aliases: []string{"x=Vi(3)", "y=Vj(3)", "b=Vj(1)", "e=Vi(1)"}, Reduction: "Sum", Axis: 1},
		[]int{3, 3, 1, 1}, []int{0, 1, 1, 0}},
	{"W1sp", Spec{Formula: "Exp(-((x-y)|(x-y)))*b", Aliases: []string{"x=Vi(3)", "y=Vj(3)", "b=Vj(1)"}, Reduction: "Sum", Axis: 1},
		[]int{3, 3, 1}, []int{0, 1, 1}},
	{"W2s", Spec{Formula: "b - (g*(SqDist(x,y)/IntCst(2)))", Aliases: []string{"g=Pm(1)", "x=Vi(3)", "y=Vj(3)", "b=Vj(1)"}, Reduction: "LogSumExp", Axis: 1},
		[]int{1, 3, 3, 1}, []int{2, 0, 1, 1}},
}

// benchWorkers is the goroutines of the workload benchmarks (0: GOMAXPROCS).
var benchWorkers = 1

func benchWorkload[T float](b *testing.B, i, m, n int) {
	w := workloadSpecs[i]
	k, err := Compile(w.spec)
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	c := &Call[T]{ArgBatch: make([][]int, len(w.args)), M: m, N: n, Workers: benchWorkers}
	for a, d := range w.args {
		rows := []int{m, n, 1}[w.cats[a]]
		v := make([]T, rows*d)
		for t := range v {
			v[t] = T(rng.NormFloat64())
		}
		if a == 0 && (w.name == "W2" || w.name == "W1g" || w.name == "W2s") {
			v[0] = 0.5
		}
		c.Args = append(c.Args, v)
	}
	c.Vals = make([]T, m*k.ValsDim)
	c.Idx = make([]int64, m*k.IdxDim)
	b.ResetTimer()
	for it := 0; it < b.N; it++ {
		if err := Run(k, c); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(m)*float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Mpairs/s")
}

func BenchmarkWorkload(b *testing.B) {
	for i, w := range workloadSpecs {
		for _, size := range []int{2000} {
			b.Run(fmt.Sprintf("%s/f64/%d", w.name, size), func(b *testing.B) { benchWorkload[float64](b, i, size, size) })
			b.Run(fmt.Sprintf("%s/f32/%d", w.name, size), func(b *testing.B) { benchWorkload[float32](b, i, size, size) })
		}
	}
}

// w8Call is W8's call at n points a side: clustered points (blobs of 1000
// points, standard deviation 1, centres uniform in a box of the density of
// BENCHMARKS.md's), sorted by voxel of side 2, and the ranges of the voxel
// pairs whose centroids are within 3 sigma plus a voxel diagonal.
func w8Call[T float](n int) (*Kernel, *Call[T]) {
	k, err := Compile(workloadSpecs[0].spec)
	if err != nil {
		panic(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	blobs := max(1, n/1000)
	box := 40 * math.Cbrt(float64(blobs)/100)
	centres := make([]float64, 3*blobs)
	for t := range centres {
		centres[t] = rng.Float64() * box
	}
	const voxel = 2.0
	cluster := func() ([]T, [][3]float64, []int64) {
		type pt struct {
			key [3]int
			p   [3]float64
		}
		pts := make([]pt, n)
		for t := range pts {
			c := rng.IntN(blobs)
			for d := 0; d < 3; d++ {
				pts[t].p[d] = centres[3*c+d] + rng.NormFloat64()
				pts[t].key[d] = int(math.Floor(pts[t].p[d] / voxel))
			}
		}
		slices.SortFunc(pts, func(a, b pt) int { return slices.Compare(a.key[:], b.key[:]) })
		xs := make([]T, 3*n)
		var cents [][3]float64
		var ranges []int64
		for t := 0; t < n; {
			u := t
			var c [3]float64
			for ; u < n && pts[u].key == pts[t].key; u++ {
				for d := 0; d < 3; d++ {
					xs[3*u+d] = T(pts[u].p[d])
					c[d] += pts[u].p[d]
				}
			}
			for d := range c {
				c[d] /= float64(u - t)
			}
			cents = append(cents, c)
			ranges = append(ranges, int64(t), int64(u))
			t = u
		}
		return xs, cents, ranges
	}
	x, cx, rx := cluster()
	y, cy, ry := cluster()
	cut := 3*math.Sqrt(0.5) + voxel*math.Sqrt(3)
	rg := &Ranges{RangesI: rx}
	for a := range cx {
		for b := range cy {
			d2 := 0.0
			for d := 0; d < 3; d++ {
				d2 += (cx[a][d] - cy[b][d]) * (cx[a][d] - cy[b][d])
			}
			if d2 < cut*cut {
				rg.RedRangesJ = append(rg.RedRangesJ, ry[2*b], ry[2*b+1])
			}
		}
		rg.SlicesI = append(rg.SlicesI, int64(len(rg.RedRangesJ)/2))
	}
	w := make([]T, n)
	for t := range w {
		w[t] = T(rng.Float64())
	}
	c := &Call[T]{Args: [][]T{x, y, w}, ArgBatch: make([][]int, 3), M: n, N: n, Ranges: rg, Workers: 1,
		Vals: make([]T, n)}
	return k, c
}

// BenchmarkW8 is W1 over W8's block-sparse ranges at 5e3 and 2e4 points,
// one thread: spans of a few dozen columns, row blocks of a few dozen rows.
func BenchmarkW8(b *testing.B) {
	run := func(b *testing.B, k *Kernel, c any) {
		for it := 0; it < b.N; it++ {
			var err error
			switch c := c.(type) {
			case *Call[float32]:
				err = Run(k, c)
			case *Call[float64]:
				err = Run(k, c)
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	for _, n := range []int{5000, 20000} {
		b.Run(fmt.Sprintf("f32/%d", n), func(b *testing.B) { k, c := w8Call[float32](n); b.ResetTimer(); run(b, k, c) })
		b.Run(fmt.Sprintf("f64/%d", n), func(b *testing.B) { k, c := w8Call[float64](n); b.ResetTimer(); run(b, k, c) })
	}
}
