package keops_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gokeops/gokeops/pkg/keops"
)

// A Gaussian kernel sum a_i = sum_j exp(-|x_i - y_j|^2) b_j.
func Example() {
	k, err := keops.Compile(keops.Spec{
		Formula:   "Exp(-SqDist(x, y)) * b",
		Aliases:   []string{"x = Vi(2)", "y = Vj(2)", "b = Vj(1)"},
		Reduction: "Sum",
		Axis:      1, // reduce over j: one output row per x_i
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	x := []float64{0, 0, 1, 1, 2, 0} // 3 points x_i, row-major
	y := []float64{0, 0, 1, 0}       // 2 points y_j
	b := []float64{1, 2}             // one weight per y_j
	res, err := keops.Run(context.Background(), k, [][]float64{x, y, b})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Shape())
	for i := 0; i < res.Rows; i++ {
		fmt.Printf("a_%d = %.4f\n", i, res.Values[i])
	}
	// Output:
	// [3 1]
	// a_0 = 1.7358
	// a_1 = 0.8711
	// a_2 = 0.7541
}

// The two nearest neighbours y_j of each x_i (ArgKMin with K = 2), in
// float32.
func ExampleRun_argKMin() {
	k := keops.MustCompile(keops.Spec{
		Formula:   "SqDist(x, y)",
		Aliases:   []string{"x = Vi(1)", "y = Vj(1)"},
		Reduction: "ArgKMin",
		OptArg:    2,
		Axis:      1,
	})
	x := []float32{0.1, 2.9}
	y := []float32{0, 1, 2, 3}
	res, _ := keops.Run(context.Background(), k, [][]float32{x, y})
	fmt.Println(res.IndexShape(), res.Indices)
	// Output: [2 2] [0 1 3 2]
}

// Threads and cancellation come from the context.
func ExampleWithThreads() {
	k := keops.MustCompile(keops.Spec{
		Formula: "Exp(-SqDist(x, y))", Aliases: []string{"x = Vi(3)", "y = Vj(3)"},
		Reduction: "Sum", Axis: 1,
	})
	x := make([]float64, 3*1000)
	ctx := keops.WithThreads(context.Background(), 2)
	fmt.Println(keops.Threads(ctx))

	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	res, err := keops.Run(ctx, k, [][]float64{x, x})
	fmt.Println(res.Values[0], err)

	cancel() // a cancelled context stops the run (here, before it starts)
	_, err = keops.Run(ctx, k, [][]float64{x, x})
	fmt.Println(errors.Is(err, keops.ErrCancelled), errors.Is(err, context.Canceled))
	// Output:
	// 2
	// 1000 <nil>
	// true true
}

// Errors are matched by kind with errors.Is, and read with errors.As.
func ExampleError() {
	_, err := keops.Compile(keops.Spec{
		Formula: "Exp(-SqDist(x, z))", Aliases: []string{"x = Vi(3)", "y = Vj(3)"},
		Reduction: "Sum", Axis: 1,
	})
	var e *keops.Error
	if errors.Is(err, keops.ErrFormula) && errors.As(err, &e) {
		fmt.Println("formula error at column", e.Col)
	}

	k := keops.MustCompile(keops.Spec{
		Formula: "SqDist(x, y)", Aliases: []string{"x = Vi(3)", "y = Vj(3)"},
		Reduction: "Min", Axis: 1,
	})
	_, err = keops.Run(context.Background(), k, [][]float64{make([]float64, 6), make([]float64, 7)})
	fmt.Println(errors.Is(err, keops.ErrShape))
	fmt.Println(err)
	// Output:
	// formula error at column 16
	// true
	// keops: run: shape mismatch: argument 1 (y = Vj(3)) has 7 values, not a multiple of 3 (values per row)
}

// A block-sparse reduction: x_0 interacts with y_0 and y_1 only, x_1 with
// y_2 only.
func ExampleWithRanges() {
	k := keops.MustCompile(keops.Spec{
		Formula: "b", Aliases: []string{"b = Vj(1)"}, Reduction: "Sum", Axis: 1,
	})
	b := []float64{1, 10, 100}
	r := keops.Ranges{
		RangesI:    []int64{0, 1, 1, 2}, // row blocks [0,1) and [1,2)
		SlicesI:    []int64{1, 2},       // block 0: interval 0; block 1: interval 1
		RedRangesJ: []int64{0, 2, 2, 3}, // j intervals [0,2) and [2,3)
	}
	res, _ := keops.Run(context.Background(), k, [][]float64{b}, keops.WithSizes(2, 3), keops.WithRanges(r))
	fmt.Println(res.Values)
	// Output: [11 100]
}

// A batch of two independent reductions; y is shared by both (batch shape
// 1, broadcast).
func ExampleWithBatch() {
	k := keops.MustCompile(keops.Spec{
		Formula: "x * y", Aliases: []string{"x = Vi(1)", "y = Vj(1)"}, Reduction: "Sum", Axis: 1,
	})
	x := []float64{1, 2, 3, 4} // batch 2, M = 2
	y := []float64{1, 1, 1}    // N = 3
	res, _ := keops.Run(context.Background(), k, [][]float64{x, y},
		keops.WithBatch([]int{2}, [][]int{{2}, {1}}))
	fmt.Println(res.Shape(), res.Values)
	// Output: [2 2 1] [3 6 9 12]
}
