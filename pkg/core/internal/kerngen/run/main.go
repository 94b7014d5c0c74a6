// Command run writes the generated kernel files of pkg/core. It is started
// by go generate in pkg/core (generate.go), so it works in that directory:
// it deletes every file there that carries kerngen's header, then writes
// kerngen.Files. An argument names another directory (for trying the
// generator out).
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/gokeops/gokeops/pkg/core/internal/kerngen"
)

func main() {
	dir := "."
	if len(os.Args) > 1 {
		dir = os.Args[1]
	}
	if err := run(dir); err != nil {
		fmt.Fprintln(os.Stderr, "kerngen:", err)
		os.Exit(1)
	}
}

func run(dir string) error {
	old, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return err
	}
	for _, name := range old {
		src, err := os.ReadFile(name)
		if err != nil {
			return err
		}
		if kerngen.IsGenerated(src) {
			if err := os.Remove(name); err != nil {
				return err
			}
		}
	}
	for _, f := range kerngen.Files() {
		if err := os.WriteFile(filepath.Join(dir, f.Name), f.Src, 0o644); err != nil {
			return err
		}
	}
	return nil
}
