package cudagen

import (
	"errors"

	"github.com/gokeops/gokeops/pkg/core"
)

// ErrNoCUDA is returned by the launcher of a build without the cuda tag.
var ErrNoCUDA = errors.New("cudagen: this build of gokeops has no CUDA support (build tag cuda)")

// DeviceCall is one reduction on data in device memory: the layout of
// core.Call, with device pointers in place of slices. Vals and Idx receive
// (batch..., rows, ValsDim) values of the data type and (batch..., rows,
// IdxDim) int64 indices.
type DeviceCall struct {
	Args     []uintptr
	ArgBatch [][]int
	Batch    []int
	M, N     int
	Ranges   *core.Ranges
	Vals     uintptr
	Idx      uintptr
	// Stream is the CUstream to run on (torch.cuda.current_stream().cuda_stream);
	// 0 is the default stream.
	Stream uintptr
}

// Geometry is how a call is cut into CUDA blocks.
type Geometry struct {
	Scheme Scheme
	NX, NY int // outer and inner rows
	NBatch int
	JChunk int // 2D: reduced indices per block
	NBY    int // 2D: blocks along the reduced index
}

// ChooseScheme is the scheme of backend "GPU": the 2D one when there are
// too few output rows to fill the device and many reduced indices.
func ChooseScheme(nx, ny, nbatch int) Scheme {
	if nx*nbatch < 8192 && ny >= 4*nx {
		return Scheme2D
	}
	return Scheme1D
}

// NewGeometry cuts a call for a source of the given block size: in the 2D
// scheme at most 256 pieces of the reduced index, each a multiple of the
// block.
func NewGeometry(s Scheme, block, nx, ny, nbatch int) Geometry {
	g := Geometry{Scheme: s, NX: nx, NY: ny, NBatch: nbatch}
	if s == Scheme2D {
		tiles := (ny + block - 1) / block
		g.JChunk = block * max(1, (tiles+255)/256)
		g.NBY = (ny + g.JChunk - 1) / g.JChunk
	}
	return g
}
