//go:build goexperiment.simd && amd64 && linux

package core

import (
	"os"
	"runtime"
	"sync"
	"unsafe"

	"github.com/gokeops/gokeops/pkg/core/internal/x86"
)

// jitOn turns the compiled pair loops on: with AVX2 and FMA, unless the
// environment sets GOKEOPS_JIT=0. Tests switch it to run the interpreter.
var jitOn = jitSupported && os.Getenv("GOKEOPS_JIT") != "0"

// jitSupported: the machine runs the generated code (AVX2 and FMA).
var jitSupported = simdOK

// jitCache holds a program's compiled loops, per element type and mode,
// compiled on first use. The code is unmapped when the program is dropped.
type jitCache struct {
	once [2][2]sync.Once
	loop [2][2]*jitLoop
}

func (c *jitCache) get(p *program, f64 bool, mode jitMode) *jitLoop {
	i := 0
	if f64 {
		i = 1
	}
	c.once[i][mode].Do(func() {
		l := compileJit(p, f64, mode)
		if l != nil {
			runtime.AddCleanup(l, func(code *x86.Code) { code.Release() }, l.code)
		}
		c.loop[i][mode] = l
	})
	return c.loop[i][mode]
}

// jitState is a frame's block and scratch areas for the compiled loop.
type jitState struct {
	blk     jitBlock
	scratch []uint64
	store   []uint64 // store mode: the values, as float64s or float32s
}

// jitTile runs the tile's pair level through the compiled loop, with the
// Sum update in registers (the default accumulation) or storing the values
// for the reducer; it reports whether it did.
func (f *frame[T]) jitTile(rows, j0 int) bool {
	if !jitOn {
		return false
	}
	r := f.r
	f64 := isFloat64[T]()
	mode := jitStore
	if sr, ok := r.red.(*sumReducer[T]); ok && sr.scheme != KahanSum && !(sr.scheme == DirectSum && r.round32) && (f64 || r.round32) {
		// Float32 sums keep their accumulation: block sums of float32
		// lanes per tile.
		mode = jitSum
	}
	if r.dotIdentity {
		return false
	}
	l := r.k.prog.jit.get(r.k.prog, f64, mode)
	if l == nil && mode == jitSum {
		// A Sum of too many components for registers: its values stored,
		// the interpreter's reducer adds them.
		mode = jitStore
		l = r.k.prog.jit.get(r.k.prog, f64, mode)
	}
	if l == nil {
		return false
	}
	st := &f.jit
	if len(st.scratch) < l.scratchWords {
		st.scratch = make([]uint64, l.scratchWords)
	}
	blk := &st.blk
	blk.tile = uintptr(unsafe.Pointer(unsafe.SliceData(f.tile)))
	blk.parm = uintptr(unsafe.Pointer(unsafe.SliceData(f.parm)))
	blk.consts = uintptr(unsafe.Pointer(unsafe.SliceData(l.consts)))
	blk.scratch = uintptr(unsafe.Pointer(unsafe.SliceData(st.scratch)))
	rem := f.n % l.lanes
	blk.end = int64(f.n / l.lanes * 32)
	blk.tail = int64(min(rem, 1))
	f.jitMask(rem, f64)
	var stored []T
	if mode == jitStore {
		if len(st.store) < l.rows*l.dim*tileSize {
			st.store = make([]uint64, l.rows*l.dim*tileSize)
		}
		stored = unsafe.Slice((*T)(unsafe.Pointer(&st.store[0])), l.rows*l.dim*tileSize)
		blk.store = uintptr(unsafe.Pointer(&st.store[0]))
	}
	al := r.red.accLen()
	so := r.k.prog.size[levelOuter]
	dimF := 0
	if mode == jitStore {
		dimF = r.k.prog.slots[r.k.prog.f].dim
	}
	for row := 0; row < rows; row += l.rows {
		for q := 0; q < l.rows; q++ {
			blk.rows[q] = 0
			if so > 0 {
				blk.rows[q] = uintptr(unsafe.Pointer(&f.outer[min(row+q, rows-1)*so]))
			}
		}
		l.code.Call(unsafe.Pointer(blk))
		if l.deopt && st.scratch[scratchDeopt/8]|st.scratch[scratchDeopt/8+1]|st.scratch[scratchDeopt/8+2]|st.scratch[scratchDeopt/8+3] != 0 {
			// A lane the loop cannot compute as the interpreter does.
			for q := 0; q < l.rows && row+q < rows; q++ {
				f.pairRow(row+q, j0)
			}
			continue
		}
		for q := 0; q < l.rows && row+q < rows; q++ {
			acc := f.acc[(row+q)*al : (row+q+1)*al]
			if mode == jitStore {
				out := stored[q*l.dim*tileSize:]
				fv := vec[T]{data: out, stride: tileSize, width: f.n}
				var gv vec[T]
				if r.k.prog.g >= 0 {
					gv = vec[T]{data: out[dimF*tileSize:], stride: tileSize, width: f.n}
				}
				r.red.fold(acc, fv, gv, f.n, j0, f.scratch)
				continue
			}
			f.jitAddSums(acc, st.scratch[l.sumsOff/8:], q, l.dim, f64)
		}
	}
	runtime.KeepAlive(l)
	return true
}

// jitMask writes the tail mask: all ones in the first rem lanes.
func (f *frame[T]) jitMask(rem int, f64 bool) {
	s := f.jit.scratch
	if f64 {
		for lane := 0; lane < 4; lane++ {
			s[lane] = 0
			if lane < rem {
				s[lane] = ^uint64(0)
			}
		}
		return
	}
	mask := unsafe.Slice((*uint32)(unsafe.Pointer(&s[0])), 8)
	for lane := range mask {
		mask[lane] = 0
		if lane < rem {
			mask[lane] = ^uint32(0)
		}
	}
}

// jitAddSums adds row q's lane sums to its accumulator: float64 lanes
// pairwise, float32 lanes pairwise in float32 (the tile's block sum), then
// to the float64 running sum.
func (f *frame[T]) jitAddSums(acc []float64, sums []uint64, q, dim int, f64 bool) {
	for c := 0; c < dim; c++ {
		v := sums[(q*dim+c)*4:][:4]
		if f64 {
			s := unsafe.Slice((*float64)(unsafe.Pointer(&v[0])), 4)
			acc[c] += (s[0] + s[1]) + (s[2] + s[3])
		} else {
			s := unsafe.Slice((*float32)(unsafe.Pointer(&v[0])), 8)
			acc[c] += float64(((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7])))
		}
	}
}
