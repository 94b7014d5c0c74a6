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

// jitCache holds a program's compiled loops, one per element type,
// compiled on first use. The code is unmapped when the program is dropped.
type jitCache struct {
	once [2]sync.Once
	loop [2]*jitLoop
}

func (c *jitCache) get(p *program, f64 bool) *jitLoop {
	i := 0
	if f64 {
		i = 1
	}
	c.once[i].Do(func() {
		l := compileJit(p, f64)
		if l != nil {
			runtime.AddCleanup(l, func(code *x86.Code) { code.Release() }, l.code)
		}
		c.loop[i] = l
	})
	return c.loop[i]
}

// jitState is a frame's block and scratch area for the compiled loop.
type jitState struct {
	blk     jitBlock
	scratch []uint64
}

// jitTile runs the tile's pair level and Sum update through the compiled
// loop, when the reduction and the program allow; it reports whether it did.
func (f *frame[T]) jitTile(rows int) bool {
	if !jitOn {
		return false
	}
	r := f.r
	sr, ok := r.red.(*sumReducer[T])
	f64 := isFloat64[T]()
	switch {
	case !ok, sr.scheme == KahanSum, sr.scheme == DirectSum && r.round32, !f64 && !r.round32, r.dotIdentity:
		// Float32 sums keep their accumulation: block sums of float32
		// lanes per tile. Float32 data summed in float64, Kahan and
		// direct float32 sums run in the interpreter.
		return false
	}
	l := r.k.prog.jit.get(r.k.prog, f64)
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
	blk.end = int64(f.n / l.lanes * 32)
	rem := f.n % l.lanes
	blk.tail = int64(min(rem, 1))
	if f64 {
		for lane := 0; lane < 4; lane++ {
			st.scratch[lane] = 0
			if lane < rem {
				st.scratch[lane] = ^uint64(0)
			}
		}
	} else {
		mask := unsafe.Slice((*uint32)(unsafe.Pointer(&st.scratch[0])), 8)
		for lane := range mask {
			mask[lane] = 0
			if lane < rem {
				mask[lane] = ^uint32(0)
			}
		}
	}
	al := r.red.accLen()
	so := r.k.prog.size[levelOuter]
	sums := st.scratch[l.sumsOff/8:]
	for row := 0; row < rows; row += l.rows {
		for q := 0; q < l.rows; q++ {
			blk.rows[q] = 0
			if so > 0 {
				blk.rows[q] = uintptr(unsafe.Pointer(&f.outer[min(row+q, rows-1)*so]))
			}
		}
		l.code.Call(unsafe.Pointer(blk))
		for q := 0; q < l.rows && row+q < rows; q++ {
			acc := f.acc[(row+q)*al:]
			for c := 0; c < l.dim; c++ {
				v := sums[(q*l.dim+c)*4:][:4]
				if f64 {
					s := unsafe.Slice((*float64)(unsafe.Pointer(&v[0])), 4)
					acc[c] += (s[0] + s[1]) + (s[2] + s[3])
				} else {
					s := unsafe.Slice((*float32)(unsafe.Pointer(&v[0])), 8)
					acc[c] += float64(((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7])))
				}
			}
		}
	}
	runtime.KeepAlive(l)
	return true
}
