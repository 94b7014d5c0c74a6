package x86

import (
	"encoding/binary"
	"fmt"
)

// Reg is a general-purpose register (RAX..R15) or a vector register
// (Y0..Y15), by its encoding number.
type Reg uint8

// General-purpose registers.
const (
	RAX Reg = iota
	RCX
	RDX
	RBX
	RSP
	RBP
	RSI
	RDI
	R8
	R9
	R10
	R11
	R12
	R13
	R14
	R15
)

// NoReg marks an absent index register of a Mem.
const NoReg Reg = 0xff

// Mem is the memory operand [Base + Index*Scale + Disp].
type Mem struct {
	Base, Index Reg
	Scale       uint8 // 1, 2, 4 or 8 (ignored without Index)
	Disp        int32
}

// At is [base + disp].
func At(base Reg, disp int32) Mem { return Mem{Base: base, Index: NoReg, Disp: disp} }

// Indexed is [base + index*scale + disp].
func Indexed(base, index Reg, scale uint8, disp int32) Mem {
	return Mem{Base: base, Index: index, Scale: scale, Disp: disp}
}

// Operand is the last (r/m) operand of an instruction: a register or memory.
type Operand struct {
	IsMem bool
	R     Reg
	M     Mem
}

// R is a register operand; M a memory operand.
func R(r Reg) Operand     { return Operand{R: r} }
func M(m Mem) Operand     { return Operand{IsMem: true, M: m} }
func (m Mem) Op() Operand { return M(m) }

// Label is a position in the code, bound once, referenced by jumps before
// or after.
type Label int

// Asm accumulates machine code.
type Asm struct {
	b      []byte
	labels []int   // bound offsets, -1 while unbound
	fixups []fixup // rel32 fields to patch
}

type fixup struct {
	at    int // offset of the rel32 field
	label Label
}

// Bytes is the code, with every jump resolved. It panics on an unbound label.
func (a *Asm) Bytes() []byte {
	for _, f := range a.fixups {
		to := a.labels[f.label]
		if to < 0 {
			panic(fmt.Sprintf("x86: label %d is never bound", f.label))
		}
		binary.LittleEndian.PutUint32(a.b[f.at:], uint32(int32(to-(f.at+4))))
	}
	return a.b
}

// Len is the code size so far.
func (a *Asm) Len() int { return len(a.b) }

// NewLabel makes an unbound label.
func (a *Asm) NewLabel() Label {
	a.labels = append(a.labels, -1)
	return Label(len(a.labels) - 1)
}

// Bind places l at the current position.
func (a *Asm) Bind(l Label) { a.labels[l] = len(a.b) }

func (a *Asm) emit(b ...byte) { a.b = append(a.b, b...) }

func (a *Asm) emit32(v int32) { a.b = binary.LittleEndian.AppendUint32(a.b, uint32(v)) }

// modrm writes the ModRM byte (and SIB, displacement) of reg and rm.
func (a *Asm) modrm(reg Reg, rm Operand) {
	r := byte(reg&7) << 3
	if !rm.IsMem {
		a.emit(0xc0 | r | byte(rm.R&7))
		return
	}
	m := rm.M
	if m.Base == NoReg {
		panic("x86: a memory operand needs a base register")
	}
	base := byte(m.Base & 7)
	var mod byte
	switch {
	case m.Disp == 0 && base != 5: // [rbp] and [r13] have no disp-less form
		mod = 0
	case m.Disp >= -128 && m.Disp <= 127:
		mod = 1
	default:
		mod = 2
	}
	if m.Index != NoReg || base == 4 {
		a.emit(mod<<6 | r | 4)
		idx := byte(4) // none
		var ss byte
		if m.Index != NoReg {
			if m.Index == RSP {
				panic("x86: rsp cannot be an index")
			}
			idx = byte(m.Index & 7)
			var ok bool
			if ss, ok = map[uint8]byte{1: 0, 2: 1, 4: 2, 8: 3}[m.Scale]; !ok {
				panic("x86: scale must be 1, 2, 4 or 8")
			}
		}
		a.emit(ss<<6 | idx<<3 | base)
	} else {
		a.emit(mod<<6 | r | base)
	}
	switch mod {
	case 1:
		a.emit(byte(int8(m.Disp)))
	case 2:
		a.emit32(m.Disp)
	}
}

// rexBits are the high bits of reg, index and base (REX.R, X, B).
func rexBits(reg Reg, rm Operand) (r, x, b byte) {
	r = byte(reg>>3) & 1
	if rm.IsMem {
		if rm.M.Index != NoReg {
			x = byte(rm.M.Index>>3) & 1
		}
		b = byte(rm.M.Base>>3) & 1
	} else {
		b = byte(rm.R>>3) & 1
	}
	return
}

// Prefixes and opcode maps of VEX.
const (
	ppNone, pp66, ppF3, ppF2 = 0, 1, 2, 3
	map0F, map0F38, map0F3A  = 1, 2, 3
)

// vex writes a VEX instruction: reg in ModRM.reg, vvvv the extra source
// (0 when unused: encoded 1111), rm the last operand; l256 selects the
// 256-bit form. The 2-byte prefix is used when it can express it.
func (a *Asm) vex(pp, mmap, w byte, l256 bool, op byte, reg, vvvv Reg, rm Operand) {
	r, x, b := rexBits(reg, rm)
	var l byte
	if l256 {
		l = 1
	}
	v := ^byte(vvvv) & 15
	if mmap == map0F && w == 0 && x == 0 && b == 0 {
		a.emit(0xc5, (^r&1)<<7|v<<3|l<<2|pp)
	} else {
		a.emit(0xc4, (^r&1)<<7|(^x&1)<<6|(^b&1)<<5|mmap, w<<7|v<<3|l<<2|pp)
	}
	a.emit(op)
	a.modrm(reg, rm)
}

// Width selects the packed element type of a vector instruction.
type Width uint8

const (
	PS Width = iota // 8 float32 lanes
	PD              // 4 float64 lanes
)

func (w Width) pp() byte {
	if w == PD {
		return pp66
	}
	return ppNone
}

func (w Width) w() byte {
	if w == PD {
		return 1
	}
	return 0
}

// Vector arithmetic, dst = src1 op src2 (256-bit).
func (a *Asm) arith(op byte, wd Width, dst, src1 Reg, src2 Operand) {
	a.vex(wd.pp(), map0F, 0, true, op, dst, src1, src2)
}

func (a *Asm) VADD(w Width, dst, s1 Reg, s2 Operand)  { a.arith(0x58, w, dst, s1, s2) }
func (a *Asm) VMUL(w Width, dst, s1 Reg, s2 Operand)  { a.arith(0x59, w, dst, s1, s2) }
func (a *Asm) VSUB(w Width, dst, s1 Reg, s2 Operand)  { a.arith(0x5c, w, dst, s1, s2) }
func (a *Asm) VMIN(w Width, dst, s1 Reg, s2 Operand)  { a.arith(0x5d, w, dst, s1, s2) }
func (a *Asm) VDIV(w Width, dst, s1 Reg, s2 Operand)  { a.arith(0x5e, w, dst, s1, s2) }
func (a *Asm) VMAX(w Width, dst, s1 Reg, s2 Operand)  { a.arith(0x5f, w, dst, s1, s2) }
func (a *Asm) VAND(w Width, dst, s1 Reg, s2 Operand)  { a.arith(0x54, w, dst, s1, s2) }
func (a *Asm) VANDN(w Width, dst, s1 Reg, s2 Operand) { a.arith(0x55, w, dst, s1, s2) }
func (a *Asm) VOR(w Width, dst, s1 Reg, s2 Operand)   { a.arith(0x56, w, dst, s1, s2) }
func (a *Asm) VXOR(w Width, dst, s1 Reg, s2 Operand)  { a.arith(0x57, w, dst, s1, s2) }

// VSQRT is dst = sqrt(src).
func (a *Asm) VSQRT(w Width, dst Reg, src Operand) { a.arith(0x51, w, dst, 0, src) }

// VMOVU loads 32 bytes (movups/movupd).
func (a *Asm) VMOVU(w Width, dst Reg, src Operand) { a.arith(0x10, w, dst, 0, src) }

// VMOVUStore stores 32 bytes.
func (a *Asm) VMOVUStore(w Width, dst Mem, src Reg) { a.arith(0x11, w, src, 0, M(dst)) }

// Comparison predicates of VCMP (the ordered, non-signalling forms and
// the unordered test).
const (
	CmpEQ    = 0x00 // ==, false on NaN
	CmpLT    = 0x11 // <, LT_OQ
	CmpLE    = 0x12 // <=, LE_OQ
	CmpUNORD = 0x03 // either is NaN
	CmpNEQ   = 0x04 // !=, true on NaN (NEQ_UQ)
	CmpGT    = 0x1e // >, GT_OQ
	CmpGE    = 0x1d // >=, GE_OQ
)

// VCMP is dst = mask(src1 pred src2).
func (a *Asm) VCMP(w Width, dst, s1 Reg, s2 Operand, pred byte) {
	a.arith(0xc2, w, dst, s1, s2)
	a.emit(pred)
}

// VMOVMSK is the sign bits of src's lanes into the low bits of GPR dst.
func (a *Asm) VMOVMSK(w Width, dst, src Reg) { a.vex(w.pp(), map0F, 0, true, 0x50, dst, 0, R(src)) }

// Rounding modes of VROUND (with the precision exception suppressed).
const (
	RoundNearest = 0x08
	RoundFloor   = 0x09
	RoundCeil    = 0x0a
	RoundTrunc   = 0x0b
)

// VROUND is dst = round(src) by mode.
func (a *Asm) VROUND(w Width, dst Reg, src Operand, mode byte) {
	op := byte(0x08)
	if w == PD {
		op = 0x09
	}
	a.vex(pp66, map0F3A, 0, true, op, dst, 0, src)
	a.emit(mode)
}

// VBLENDV is dst = mask ? s2 : s1, lane by lane (by the sign bit of mask).
func (a *Asm) VBLENDV(w Width, dst, s1 Reg, s2 Operand, mask Reg) {
	op := byte(0x4a)
	if w == PD {
		op = 0x4b
	}
	a.vex(pp66, map0F3A, 0, true, op, dst, s1, s2)
	a.emit(byte(mask) << 4)
}

// Fused multiply-adds, in the 231 form: dst = ±(s1*s2) ± dst.
func (a *Asm) fma(op byte, w Width, dst, s1 Reg, s2 Operand) {
	a.vex(pp66, map0F38, w.w(), true, op, dst, s1, s2)
}

func (a *Asm) VFMADD231(w Width, dst, s1 Reg, s2 Operand)  { a.fma(0xb8, w, dst, s1, s2) } // dst = s1*s2 + dst
func (a *Asm) VFMSUB231(w Width, dst, s1 Reg, s2 Operand)  { a.fma(0xba, w, dst, s1, s2) } // dst = s1*s2 - dst
func (a *Asm) VFNMADD231(w Width, dst, s1 Reg, s2 Operand) { a.fma(0xbc, w, dst, s1, s2) } // dst = -(s1*s2) + dst
func (a *Asm) VFMADD213(w Width, dst, s1 Reg, s2 Operand)  { a.fma(0xa8, w, dst, s1, s2) } // dst = s1*dst + s2
func (a *Asm) VFMADD132(w Width, dst, s1 Reg, s2 Operand)  { a.fma(0x98, w, dst, s1, s2) } // dst = dst*s2 + s1

// VBROADCAST is every lane of dst = the scalar at src.
func (a *Asm) VBROADCAST(w Width, dst Reg, src Mem) {
	op := byte(0x18)
	if w == PD {
		op = 0x19
	}
	a.vex(pp66, map0F38, 0, true, op, dst, 0, M(src))
}

// Integer lane arithmetic (AVX2): dst = s1 op s2 on 32-bit (D) or 64-bit
// (Q) lanes.
func (a *Asm) VPADDD(dst, s1 Reg, s2 Operand) { a.vex(pp66, map0F, 0, true, 0xfe, dst, s1, s2) }
func (a *Asm) VPADDQ(dst, s1 Reg, s2 Operand) { a.vex(pp66, map0F, 0, true, 0xd4, dst, s1, s2) }
func (a *Asm) VPSUBD(dst, s1 Reg, s2 Operand) { a.vex(pp66, map0F, 0, true, 0xfa, dst, s1, s2) }
func (a *Asm) VPSUBQ(dst, s1 Reg, s2 Operand) { a.vex(pp66, map0F, 0, true, 0xfb, dst, s1, s2) }

// Lane shifts by an immediate count: dst = src << n (or >>, logical).
func (a *Asm) shiftImm(op byte, ext Reg, dst, src Reg, n byte) {
	a.vex(pp66, map0F, 0, true, op, ext, dst, R(src))
	a.emit(n)
}

func (a *Asm) VPSLLD(dst, src Reg, n byte) { a.shiftImm(0x72, 6, dst, src, n) }
func (a *Asm) VPSLLQ(dst, src Reg, n byte) { a.shiftImm(0x73, 6, dst, src, n) }
func (a *Asm) VPSRLD(dst, src Reg, n byte) { a.shiftImm(0x72, 2, dst, src, n) }
func (a *Asm) VPSRLQ(dst, src Reg, n byte) { a.shiftImm(0x73, 2, dst, src, n) }

// VCVTPS2DQ rounds float32 lanes to int32 by the current mode (nearest
// even); VCVTTPS2DQ truncates; VCVTDQ2PS converts back.
func (a *Asm) VCVTPS2DQ(dst Reg, src Operand)  { a.vex(pp66, map0F, 0, true, 0x5b, dst, 0, src) }
func (a *Asm) VCVTTPS2DQ(dst Reg, src Operand) { a.vex(ppF3, map0F, 0, true, 0x5b, dst, 0, src) }
func (a *Asm) VCVTDQ2PS(dst Reg, src Operand)  { a.vex(ppNone, map0F, 0, true, 0x5b, dst, 0, src) }

// VCVTPS2PD widens the 4 float32s of xmm src into 4 float64s of ymm dst.
func (a *Asm) VCVTPS2PD(dst Reg, src Operand) { a.vex(ppNone, map0F, 0, true, 0x5a, dst, 0, src) }

// VCVTPD2PS rounds the 4 float64s of ymm src into the 4 float32s of xmm
// dst (its upper half zeroed).
func (a *Asm) VCVTPD2PS(dst Reg, src Operand) { a.vex(pp66, map0F, 0, true, 0x5a, dst, 0, src) }

// VINSERTF128 is ymm dst = s1 with its upper (imm 1) or lower half
// replaced by xmm s2.
func (a *Asm) VINSERTF128(dst, s1 Reg, s2 Operand, hi byte) {
	a.vex(pp66, map0F3A, 0, true, 0x18, dst, s1, s2)
	a.emit(hi)
}

// VEXTRACTF128 is xmm dst = the upper (imm 1) or lower half of ymm src.
func (a *Asm) VEXTRACTF128(dst, src Reg, hi byte) {
	a.vex(pp66, map0F3A, 0, true, 0x19, src, 0, R(dst))
	a.emit(hi)
}

// VZEROUPPER clears the upper halves of every vector register: due before
// returning to Go's SSE code.
func (a *Asm) VZEROUPPER() { a.emit(0xc5, 0xf8, 0x77) }

// General-purpose instructions, 64-bit.

func (a *Asm) rex(w byte, reg Reg, rm Operand) {
	r, x, b := rexBits(reg, rm)
	if p := 0x40 | w<<3 | r<<2 | x<<1 | b; p != 0x40 {
		a.emit(p)
	}
}

// MOVLoad is dst = [src]; MOVStore is [dst] = src.
func (a *Asm) MOVLoad(dst Reg, src Mem) { a.rex(1, dst, M(src)); a.emit(0x8b); a.modrm(dst, M(src)) }
func (a *Asm) MOVStore(dst Mem, src Reg) {
	a.rex(1, src, M(dst))
	a.emit(0x89)
	a.modrm(src, M(dst))
}

// MOV is dst = src.
func (a *Asm) MOV(dst, src Reg) { a.rex(1, src, R(dst)); a.emit(0x89); a.modrm(src, R(dst)) }

// LEA is dst = the address of m.
func (a *Asm) LEA(dst Reg, m Mem) { a.rex(1, dst, M(m)); a.emit(0x8d); a.modrm(dst, M(m)) }

func (a *Asm) aluImm(ext Reg, dst Reg, imm int32) {
	a.rex(1, 0, R(dst))
	if imm >= -128 && imm <= 127 {
		a.emit(0x83)
		a.modrm(ext, R(dst))
		a.emit(byte(int8(imm)))
		return
	}
	a.emit(0x81)
	a.modrm(ext, R(dst))
	a.emit32(imm)
}

// ADDImm is dst += imm; SUBImm dst -= imm; CMPImm compares dst with imm.
func (a *Asm) ADDImm(dst Reg, imm int32) { a.aluImm(0, dst, imm) }
func (a *Asm) SUBImm(dst Reg, imm int32) { a.aluImm(5, dst, imm) }
func (a *Asm) CMPImm(dst Reg, imm int32) { a.aluImm(7, dst, imm) }

// CMP compares x with y (flags of x - y).
func (a *Asm) CMP(x, y Reg) { a.rex(1, y, R(x)); a.emit(0x39); a.modrm(y, R(x)) }

// TEST32 sets the flags of x & y on 32 bits.
func (a *Asm) TEST32(x, y Reg) { a.rex(0, y, R(x)); a.emit(0x85); a.modrm(y, R(x)) }

// XOR32 is x ^= y on 32 bits (zeroing the whole register when x == y).
func (a *Asm) XOR32(x, y Reg) { a.rex(0, y, R(x)); a.emit(0x31); a.modrm(y, R(x)) }

// Condition codes of Jcc.
type Cond byte

const (
	CondEQ Cond = 0x4
	CondNE Cond = 0x5
	CondL  Cond = 0xc // signed <
	CondGE Cond = 0xd
	CondLE Cond = 0xe
	CondG  Cond = 0xf
)

// J jumps to l when c holds (rel32 form).
func (a *Asm) J(c Cond, l Label) {
	a.emit(0x0f, 0x80|byte(c))
	a.fixups = append(a.fixups, fixup{at: len(a.b), label: l})
	a.emit32(0)
}

// JMP jumps to l.
func (a *Asm) JMP(l Label) {
	a.emit(0xe9)
	a.fixups = append(a.fixups, fixup{at: len(a.b), label: l})
	a.emit32(0)
}

// RET returns.
func (a *Asm) RET() { a.emit(0xc3) }
