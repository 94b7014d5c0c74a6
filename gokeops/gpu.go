package gokeops

import (
	"os"
	"strconv"
	"strings"

	"github.com/gokeops/gokeops/pkg/core"
	"github.com/gokeops/gokeops/pkg/cudagen"
	"github.com/gokeops/gokeops/pkg/errkind"
)

// The GPU entry points. They exist in both builds of the extension with
// the same signatures, so that the Python layer is the same: the CPU build
// (no cuda tag) answers every GPU call with an error, the cuda-tagged build
// (gpu_cuda.go) runs the generated CUDA kernels of pkg/cudagen.

// Float16 is the dtype code of IEEE half data, accepted by GPURun only
// (computed in float32, as the CPU engine computes float16).
const Float16 = 2

// Scheme codes of GPURun: backend "GPU" (chosen per call), "GPU_1D", "GPU_2D".
const (
	SchemeAuto = 0
	Scheme1D   = 1
	Scheme2D   = 2
)

// CUDAEnabled reports whether this build of the extension has the CUDA
// launcher (the cuda build tag).
func CUDAEnabled() (ok bool, err error) {
	defer guard(&err)
	return cudaBuild, nil
}

// GPUConfigure sets the folders searched for NVRTC first (separated by the
// OS path list separator; see nvrtc.Candidates) and the disk cache of
// compiled kernels ("" for none). Open devices move to the new cache.
func GPUConfigure(sitePackages, cacheDir string) (ok bool, err error) {
	defer guard(&err)
	var sites []string
	if sitePackages != "" {
		sites = strings.Split(sitePackages, string(os.PathListSeparator))
	}
	gpuConfigure(sites, cacheDir)
	return true, nil
}

// GPUStats is a JSON object: whether CUDA is built in, the open devices
// (id, name, arch, NVRTC version and path) and the NVRTC compilations run.
func GPUStats() (s string, err error) {
	defer guard(&err)
	return gpuStats(), nil
}

// gpuRequest is one GPURun call once checked.
type gpuRequest struct {
	dtype    cudagen.Dtype
	device   int
	scheme   int
	fastMath bool
	onDevice bool
	stream   uintptr
	l        *layout
	ranges   *core.Ranges
}

// GPURun runs kernel h on GPU device with the call descriptor of Run.
// With onDevice the data addresses are device pointers of that device
// (torch CUDA tensors), used in place, and the kernels run on stream (a
// CUstream; 0 is the default stream); otherwise they are host memory,
// copied to the device and the outputs back. Ranges are host memory
// either way. dtype is Float32, Float64 or Float16; scheme a Scheme code;
// fastMath compiles with --use_fast_math. It returns once the results are
// written.
func GPURun(h int64, dtype, device, scheme int, fastMath, onDevice bool, stream uintptr, desc uintptr, ndesc int) (n int, err error) {
	defer guard(&err)
	k, err := kernels.lookup(h)
	if err != nil {
		return 0, err
	}
	r := &gpuRequest{device: device, scheme: scheme, fastMath: fastMath, onDevice: onDevice, stream: stream}
	switch dtype {
	case Float32:
		r.dtype = cudagen.Float32
	case Float64:
		r.dtype = cudagen.Float64
	case Float16:
		r.dtype = cudagen.Float16
	default:
		return 0, errkind.Errorf(errkind.BadType, "unsupported dtype code %d", dtype)
	}
	if scheme < SchemeAuto || scheme > Scheme2D {
		return 0, errkind.Errorf(errkind.BadValue, "unknown GPU scheme code %d", scheme)
	}
	if device < 0 {
		return 0, errkind.Errorf(errkind.BadValue, "device_id %d: expected a GPU number >= 0", device)
	}
	words, err := view[int64](desc, ndesc)
	if err != nil {
		return 0, err
	}
	if r.l, err = parseLayout(&descriptor{words: words}); err != nil {
		return 0, err
	}
	if r.ranges, err = r.l.viewRanges(); err != nil {
		return 0, err
	}
	// The kernels read exactly the lengths checked here (never the data:
	// device memory is not readable from the host).
	lens := make([]int, len(r.l.args))
	for a, b := range r.l.args {
		lens[a] = b.n
		if err := checkAddress(b, r.dtype.Size(), "argument", a); err != nil {
			return 0, err
		}
	}
	if err := checkAddress(r.l.vals, r.dtype.Size(), "values output", -1); err != nil {
		return 0, err
	}
	if err := checkAddress(r.l.idx, 8, "index output", -1); err != nil {
		return 0, err
	}
	if err := k.CheckLayout(lens, r.l.argBatch, r.l.batch, r.l.m, r.l.n, r.l.vals.n, r.l.idx.n, r.ranges); err != nil {
		return 0, err
	}
	return 0, gpuLaunch(k, r)
}

// checkAddress refuses a null or misaligned buffer of n > 0 values.
func checkAddress(b buf, size int, what string, a int) error {
	if b.n == 0 {
		return nil
	}
	name := what
	if a >= 0 {
		name = what + " " + strconv.Itoa(a)
	}
	if b.addr == 0 || b.n < 0 {
		return errkind.Errorf(errkind.BadValue, "%s: invalid buffer (address %#x, %d values)", name, b.addr, b.n)
	}
	if b.addr%uintptr(size) != 0 {
		return errkind.Errorf(errkind.BadValue, "%s: buffer at %#x is not aligned for its dtype", name, b.addr)
	}
	return nil
}

// hostBytes views the n values of size bytes at b (host memory).
func hostBytes(b buf, size int) ([]byte, error) {
	if b.n == 0 {
		return []byte{}, nil
	}
	return view[byte](b.addr, b.n*size)
}
