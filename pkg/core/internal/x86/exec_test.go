//go:build linux && amd64

package x86

import (
	"testing"
	"unsafe"
)

// TestRun runs generated code on a block: out[l] = a[l]*b[l] + c[l] over
// four float64 lanes, for a loop counted in RCX, then VZEROUPPER.
func TestRun(t *testing.T) {
	type block struct {
		a, b, c, out [8]float64
	}
	var asm Asm
	asm.XOR32(RAX, RAX)
	top := asm.NewLabel()
	asm.Bind(top)
	asm.VMOVU(PD, 0, M(Indexed(RDI, RAX, 1, 0)))
	asm.VMOVU(PD, 1, M(Indexed(RDI, RAX, 1, 64)))
	asm.VFMADD213(PD, 0, 1, M(Indexed(RDI, RAX, 1, 128))) // y0 = b*a + c
	asm.VMOVUStore(PD, Indexed(RDI, RAX, 1, 192), 0)
	asm.ADDImm(RAX, 32)
	asm.CMPImm(RAX, 64)
	asm.J(CondL, top)
	asm.VZEROUPPER()
	asm.RET()
	code, err := NewCode(asm.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	defer code.Release()
	var blk block
	for l := range 8 {
		blk.a[l], blk.b[l], blk.c[l] = float64(l), 2, float64(10*l)
	}
	code.Call(unsafe.Pointer(&blk))
	for l := range 8 {
		if want := float64(l)*2 + float64(10*l); blk.out[l] != want {
			t.Errorf("out[%d] = %v, want %v", l, blk.out[l], want)
		}
	}
}
