package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/gokeops/gokeops/pkg/keops"
)

const reduceUsage = `Usage: gokeops reduce [options] ARG.npy... -o OUT.npy

Runs one reduction (as pykeops' Genred) on arguments read from .npy files,
one file per argument in the order of the aliases. A Vi(d) or Vj(d) variable
is an array of shape (rows, d), or (rows,) when d is 1; a Pm(d) parameter has
d values. C and Fortran order and either byte order are read. All inputs are
float32, or all float64; the output has their dtype, shape (rows, dim), and
indices (ArgMin, ArgKMin...) are int64.

Options:
  --formula F        the formula, e.g. "Exp(-SqDist(x, y)) * b" (required)
  --alias A          an alias, e.g. "x = Vi(3)", "y = Vj(3)", "s = Pm(1)";
                     repeat it, once per argument, in order
  --reduction R      Sum (default), Min, Max, ArgMin, ArgMax, Min_ArgMin,
                     Max_ArgMax, KMin, ArgKMin, KMin_ArgKMin, LogSumExp,
                     LogSumExpWeight, SumSoftMaxWeight, Max_SumShiftExp...
  --axis N           1: reduce over j, one output row per i (the default
                     here; Genred's default is 0);
                     0: reduce over i, one output row per j
  -k, --opt-arg K    K of KMin, ArgKMin, KMin_ArgKMin
  --formula2 G       the weight formula of LogSumExpWeight, SumSoftMaxWeight
  --dtype-acc T      accumulator of sums: auto (default), float32, float64
  --sum-scheme S     auto (default), direct_sum, block_sum, kahan_scheme
  --ranges FILE.npz  block-sparse ranges: the six int64 arrays of pykeops'
                     ranges, saved by np.savez(FILE, ranges_i=..., slices_i=...,
                     redranges_j=..., ranges_j=..., slices_j=..., redranges_i=...)
                     or by np.savez(FILE, *ranges)
  --threads N        goroutines to use (default: one per core)
  -o, --output FILE  the output .npy file (required)
  --index-output F   where the indices go for Min_ArgMin, Max_ArgMax and
                     KMin_ArgKMin (default: OUT with _indices before .npy)
  --progress WHEN    auto (default: a progress bar on stderr for runs longer
                     than half a second, when stderr is a terminal), always
                     or never
  -q, --quiet        print nothing on success

Examples:
  # Gaussian kernel sum a_i = sum_j exp(-|x_i - y_j|^2 / 2) b_j
  gokeops reduce --formula "Exp(-SqDist(x, y) / 2) * b" \
      --alias "x = Vi(3)" --alias "y = Vj(3)" --alias "b = Vj(1)" \
      --reduction Sum --axis 1 x.npy y.npy b.npy -o a.npy

  # the 10 nearest y_j of each x_i, in float64 accumulation, 2 threads
  gokeops reduce --formula "SqDist(x, y)" --alias "x = Vi(3)" --alias "y = Vj(3)" \
      --reduction ArgKMin -k 10 --threads 2 x.npy y.npy -o knn.npy

  # a log-sum-exp with a parameter, accumulated in float64
  gokeops reduce --formula "-g * SqDist(x, y)" --alias "x = Vi(2)" \
      --alias "y = Vj(2)" --alias "g = Pm(1)" --reduction LogSumExp \
      --dtype-acc float64 x.npy y.npy g.npy -o lse.npy

Exit codes: 0 success, 1 failure while running or writing, 2 bad command
line, 3 bad formula, alias, reduction or option, 4 bad input file, 130
interrupted.
`

type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, "; ") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

type reduceFlags struct {
	spec        keops.Spec
	aliases     stringList
	ranges      string
	threads     int
	output      string
	indexOutput string
	progress    string
	quiet       bool
	inputs      []string
}

// parseReduce parses flags and file names in any order (flags may follow
// the files, as in `x.npy -o out.npy`); "--" ends the flags.
func parseReduce(args []string, stderr io.Writer) (*reduceFlags, error) {
	f := &reduceFlags{}
	fs := flag.NewFlagSet("reduce", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&f.spec.Formula, "formula", "", "")
	fs.Var(&f.aliases, "alias", "")
	fs.StringVar(&f.spec.Reduction, "reduction", "Sum", "")
	fs.IntVar(&f.spec.Axis, "axis", 1, "")
	fs.IntVar(&f.spec.OptArg, "opt-arg", 0, "")
	fs.IntVar(&f.spec.OptArg, "k", 0, "")
	fs.StringVar(&f.spec.Formula2, "formula2", "", "")
	fs.StringVar(&f.spec.DtypeAcc, "dtype-acc", "auto", "")
	fs.StringVar(&f.spec.SumScheme, "sum-scheme", "auto", "")
	fs.StringVar(&f.ranges, "ranges", "", "")
	fs.IntVar(&f.threads, "threads", 0, "")
	fs.StringVar(&f.output, "output", "", "")
	fs.StringVar(&f.output, "o", "", "")
	fs.StringVar(&f.indexOutput, "index-output", "", "")
	fs.StringVar(&f.progress, "progress", "auto", "")
	fs.BoolVar(&f.quiet, "quiet", false, "")
	fs.BoolVar(&f.quiet, "q", false, "")
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, flag.ErrHelp
			}
			return nil, fmt.Errorf("%v (see: gokeops help reduce)", err)
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		if args[0] == "--" {
			f.inputs = append(f.inputs, args[1:]...)
			break
		}
		f.inputs = append(f.inputs, args[0])
		args = args[1:]
	}
	f.spec.Aliases = f.aliases
	switch {
	case f.spec.Formula == "":
		return nil, errors.New("--formula is required (see: gokeops help reduce)")
	case f.output == "":
		return nil, errors.New("-o OUT.npy is required (see: gokeops help reduce)")
	case f.threads < 0:
		return nil, fmt.Errorf("--threads must be >= 0, got %d", f.threads)
	case f.progress != "auto" && f.progress != "always" && f.progress != "never":
		return nil, fmt.Errorf("--progress must be auto, always or never, got %q", f.progress)
	}
	return f, nil
}

func reduceCmd(ctx context.Context, args []string, stdout, stderr io.Writer, tty bool) int {
	f, err := parseReduce(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, reduceUsage)
		return exitOK
	}
	if err != nil {
		return fail(stderr, exitUsage, err)
	}
	k, err := keops.Compile(f.spec)
	if err != nil {
		return fail(stderr, exitSpec, err)
	}
	kargs := k.Args()
	if len(f.inputs) != len(kargs) {
		return fail(stderr, exitUsage, fmt.Errorf("the formula takes %d arguments (%s), got %d input files",
			len(kargs), argNames(kargs), len(f.inputs)))
	}
	arrays := make([]*array, len(f.inputs))
	for i, path := range f.inputs {
		if arrays[i], err = loadNpy(path); err != nil {
			return fail(stderr, exitInput, err)
		}
	}
	m, n, err := checkShapes(kargs, arrays)
	if err != nil {
		return fail(stderr, exitInput, err)
	}
	opts := []keops.Option{keops.WithSizes(m, n)}
	endBar := func() {} // ends the progress bar's line, before any message
	if f.ranges != "" {
		r, err := loadRanges(f.ranges)
		if err != nil {
			return fail(stderr, exitInput, err)
		}
		opts = append(opts, keops.WithRanges(keops.Ranges{RangesI: r[0], SlicesI: r[1], RedRangesJ: r[2],
			RangesJ: r[3], SlicesJ: r[4], RedRangesI: r[5]}))
	}
	if f.progress == "always" || (f.progress == "auto" && tty) {
		delay := time.Duration(0)
		if f.progress == "auto" {
			delay = 500 * time.Millisecond // only long runs get a bar
		}
		bar := newProgressBar(stderr, delay)
		opts = append(opts, keops.WithProgress(bar.update))
		endBar = bar.close
	}
	ctx = keops.WithThreads(ctx, f.threads)
	start := time.Now()
	var rows, dim, idim int
	var write func() error
	idxPath := f.indexOutput
	if idxPath == "" {
		idxPath = strings.TrimSuffix(f.output, ".npy") + "_indices.npy"
	}
	if arrays[0].dtype == "float32" {
		res, err := keops.Run(ctx, k, data32(arrays), opts...)
		endBar()
		if err != nil {
			return runFailed(stderr, err)
		}
		rows, dim, idim = res.Rows, res.Dim, res.IndexDim
		write = func() error { return writeResult(f.output, idxPath, res.Values, res.Indices, rows, dim, idim) }
	} else {
		res, err := keops.Run(ctx, k, data64(arrays), opts...)
		endBar()
		if err != nil {
			return runFailed(stderr, err)
		}
		rows, dim, idim = res.Rows, res.Dim, res.IndexDim
		write = func() error { return writeResult(f.output, idxPath, res.Values, res.Indices, rows, dim, idim) }
	}
	elapsed := time.Since(start)
	if err := write(); err != nil {
		return fail(stderr, exitFailure, err)
	}
	if !f.quiet {
		fmt.Fprintf(stderr, "gokeops: %s on M=%d, N=%d (%s) in %.3g s: wrote %s", k, m, n, arrays[0].dtype,
			elapsed.Seconds(), f.output)
		if dim > 0 && idim > 0 {
			fmt.Fprintf(stderr, " and %s", idxPath)
		}
		fmt.Fprintln(stderr)
	}
	return exitOK
}

func runFailed(stderr io.Writer, err error) int {
	switch {
	case errors.Is(err, keops.ErrCancelled):
		fmt.Fprintln(stderr, "gokeops: interrupted")
		return exitInterrupted
	case errors.Is(err, keops.ErrShape), errors.Is(err, keops.ErrDtype):
		return fail(stderr, exitInput, err)
	}
	return fail(stderr, exitFailure, err)
}

func writeResult[T float32 | float64](out, idxOut string, vals []T, idx []int64, rows, dim, idim int) error {
	switch {
	case dim > 0 && idim > 0:
		if err := writeNpy(out, vals, rows, dim); err != nil {
			return err
		}
		return writeNpy(idxOut, idx, rows, idim)
	case idim > 0:
		return writeNpy(out, idx, rows, idim)
	}
	return writeNpy(out, vals, rows, dim)
}

// checkShapes checks each array against its argument and returns M and N.
func checkShapes(kargs []keops.Arg, arrays []*array) (m, n int, err error) {
	rows := [2]int{-1, -1}
	from := [2]string{}
	for i, a := range arrays {
		arg := kargs[i]
		if a.dtype != "float32" && a.dtype != "float64" {
			return 0, 0, inputErrorf("%s: dtype %s, expected float32 or float64 for %s", a.path, a.dtype, argName(arg))
		}
		if a.dtype != arrays[0].dtype {
			return 0, 0, inputErrorf("%s: dtype %s, but %s is %s: all inputs must have one dtype",
				a.path, a.dtype, arrays[0].path, arrays[0].dtype)
		}
		if arg.Cat == keops.Param {
			if size := prod(a.shape); size != arg.Dim || len(a.shape) > 2 || (len(a.shape) == 2 && a.shape[0] != 1) {
				return 0, 0, inputErrorf("%s: shape %s, expected (%d,) for %s", a.path, shapeString(a.shape), arg.Dim, argName(arg))
			}
			continue
		}
		var r int
		switch {
		case len(a.shape) == 2 && a.shape[1] == arg.Dim:
			r = a.shape[0]
		case len(a.shape) == 1 && arg.Dim == 1:
			r = a.shape[0]
		default:
			return 0, 0, inputErrorf("%s: shape %s, expected (rows, %d) for %s", a.path, shapeString(a.shape), arg.Dim, argName(arg))
		}
		side := int(arg.Cat)
		if rows[side] >= 0 && rows[side] != r {
			return 0, 0, inputErrorf("%s: %d rows, but %s has %d: the %s variables must have one number of rows",
				a.path, r, from[side], rows[side], arg.Cat)
		}
		rows[side], from[side] = r, a.path
	}
	for s := range rows {
		if rows[s] < 0 {
			rows[s] = 1
		}
	}
	return rows[0], rows[1], nil
}

func data32(arrays []*array) [][]float32 {
	out := make([][]float32, len(arrays))
	for i, a := range arrays {
		out[i] = a.f32
	}
	return out
}

func data64(arrays []*array) [][]float64 {
	out := make([][]float64, len(arrays))
	for i, a := range arrays {
		out[i] = a.f64
	}
	return out
}

func argName(a keops.Arg) string {
	if a.Name != "" {
		return fmt.Sprintf("%s = %s(%d)", a.Name, a.Cat, a.Dim)
	}
	return fmt.Sprintf("argument %d, %s(%d)", a.Index, a.Cat, a.Dim)
}

func argNames(args []keops.Arg) string {
	s := make([]string, len(args))
	for i, a := range args {
		s[i] = argName(a)
	}
	return strings.Join(s, ", ")
}

func shapeString(shape []int) string {
	s := make([]string, len(shape))
	for i, d := range shape {
		s[i] = fmt.Sprint(d)
	}
	if len(s) == 1 {
		return "(" + s[0] + ",)"
	}
	return "(" + strings.Join(s, ", ") + ")"
}

func prod(xs []int) int {
	p := 1
	for _, x := range xs {
		p *= x
	}
	return p
}
