// Command knn is a small Go program on the public API of gokeops: the K
// nearest neighbours of query points, and a Gaussian kernel density at the
// same points, over 100,000 random points in 3-D.
//
//	go run ./examples/go/knn [-n 100000] [-queries 1000] [-k 5] [-threads 0]
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"os/signal"
	"time"

	"github.com/gokeops/gokeops/pkg/keops"
)

func main() {
	n := flag.Int("n", 100_000, "data points")
	nq := flag.Int("queries", 1000, "query points")
	k := flag.Int("k", 5, "neighbours")
	threads := flag.Int("threads", 0, "goroutines (0: one per core)")
	flag.Parse()

	r := rand.New(rand.NewPCG(1, 2))
	points := make([]float32, 3**n) // row-major: point j is points[3j:3j+3]
	for i := range points {
		points[i] = float32(r.NormFloat64())
	}
	queries := make([]float32, 3**nq)
	for i := range queries {
		queries[i] = float32(r.NormFloat64())
	}

	knn, err := keops.Compile(keops.Spec{
		Formula: "SqDist(q, p)", Aliases: []string{"q = Vi(3)", "p = Vj(3)"},
		Reduction: "KMin_ArgKMin", OptArg: *k, Axis: 1,
	})
	if err != nil {
		log.Fatal(err)
	}
	density := keops.MustCompile(keops.Spec{
		Formula: "Exp(-SqDist(q, p) * g)", Aliases: []string{"q = Vi(3)", "p = Vj(3)", "g = Pm(1)"},
		Reduction: "Sum", Axis: 1,
	})

	// Ctrl-C cancels the runs; the context also carries the thread count.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	ctx = keops.WithThreads(ctx, *threads)

	start := time.Now()
	nn, err := keops.Run(ctx, knn, [][]float32{queries, points})
	if err != nil {
		log.Fatal(err)
	}
	dens, err := keops.Run(ctx, density, [][]float32{queries, points, {2}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d queries x %d points, %d threads: %.2f s\n", *nq, *n, keops.Threads(ctx), time.Since(start).Seconds())
	for i := 0; i < min(3, *nq); i++ {
		fmt.Printf("query %d: nearest %v at squared distances %.4f, density %.3f\n",
			i, nn.Indices[i**k:(i+1)**k], nn.Values[i**k:(i+1)**k], dens.Values[i])
	}
}
