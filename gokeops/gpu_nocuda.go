//go:build !cuda

package gokeops

import (
	"encoding/json"

	"github.com/gokeops/gokeops/pkg/core"
	"github.com/gokeops/gokeops/pkg/errkind"
)

// The CPU build: no launcher, so nothing links the CUDA driver.

const cudaBuild = false

func gpuConfigure([]string, string) {}

func gpuStats() string {
	b, _ := json.Marshal(map[string]any{"cuda": false, "devices": []any{}, "nvrtc_runs": 0})
	return string(b)
}

func gpuLaunch(*core.Kernel, *gpuRequest) error {
	return errkind.Errorf(errkind.BadValue, "this build of the gokeops engine has no CUDA support (pykeops_go._ext, built without the cuda tag)")
}
