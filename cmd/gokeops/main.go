// Command gokeops runs kernel reductions on .npy files.
//
//	gokeops reduce --formula "Exp(-SqDist(x, y)) * b" \
//	    --alias "x = Vi(3)" --alias "y = Vj(3)" --alias "b = Vj(1)" \
//	    --reduction Sum --axis 1 x.npy y.npy b.npy -o out.npy
//
// Each input file is one argument, in the order of the aliases: a Vi(d) or
// Vj(d) variable is an array of shape (rows, d) (or (rows,) when d is 1), a
// Pm(d) parameter has d values. All inputs are float32, or all float64; the
// output has their dtype (indices are int64). Run `gokeops help reduce`
// for every option.
//
// Exit codes: 0 success, 1 failure while running or writing, 2 bad command
// line, 3 bad formula, alias, reduction or option, 4 bad input file
// (unreadable, malformed, wrong dtype or shape), 130 interrupted.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/gokeops/gokeops/pkg/formula"
)

// Exit codes.
const (
	exitOK          = 0
	exitFailure     = 1
	exitUsage       = 2
	exitSpec        = 3
	exitInput       = 4
	exitInterrupted = 130
)

const version = "0.1.0"

const mainUsage = `gokeops: kernel reductions on .npy files, without M x N matrices.

Usage:
  gokeops reduce [options] ARG.npy... -o OUT.npy   run a reduction
  gokeops ops                                       list the formula operations
  gokeops version                                   print the version
  gokeops help [reduce]                             show this help, or the command's

Example (a Gaussian kernel sum a_i = sum_j exp(-|x_i - y_j|^2) b_j):
  gokeops reduce --formula "Exp(-SqDist(x, y)) * b" \
      --alias "x = Vi(3)" --alias "y = Vj(3)" --alias "b = Vj(1)" \
      --reduction Sum --axis 1 x.npy y.npy b.npy -o a.npy

Exit codes: 0 success, 1 failure while running or writing the output,
2 bad command line, 3 bad formula, alias, reduction or option,
4 bad input file (unreadable, malformed, wrong dtype or shape), 130 interrupted.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, isTerminal(os.Stderr))
	stop()
	os.Exit(code)
}

// run is the whole command, for tests: it returns the exit code and never
// panics (an internal error is one line and exit code 1).
func run(ctx context.Context, args []string, stdout, stderr io.Writer, tty bool) (code int) {
	defer func() {
		if p := recover(); p != nil {
			fmt.Fprintf(stderr, "gokeops: internal error: %v\n", p)
			code = exitFailure
		}
	}()
	if len(args) == 0 {
		fmt.Fprint(stderr, mainUsage)
		return exitUsage
	}
	switch args[0] {
	case "reduce":
		return reduceCmd(ctx, args[1:], stdout, stderr, tty)
	case "ops":
		fmt.Fprintln(stdout, strings.Join(formula.OpNames(), "\n"))
		return exitOK
	case "version", "--version":
		fmt.Fprintln(stdout, "gokeops", version)
		return exitOK
	case "help", "-h", "-help", "--help":
		if len(args) > 1 && args[1] == "reduce" {
			fmt.Fprint(stdout, reduceUsage)
		} else {
			fmt.Fprint(stdout, mainUsage)
		}
		return exitOK
	}
	fmt.Fprintf(stderr, "gokeops: unknown command %q (try: gokeops help)\n", args[0])
	return exitUsage
}

// fail prints err as one line, prefixed, and returns its exit code.
func fail(stderr io.Writer, code int, err error) int {
	msg := err.Error()
	for _, p := range []string{"keops: compile: ", "keops: run: "} {
		msg = strings.TrimPrefix(msg, p)
	}
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i] // formula errors add the formula and a caret below
	}
	fmt.Fprintf(stderr, "gokeops: %s\n", msg)
	return code
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

var errUsage = errors.New("usage")
