package x86

import (
	"encoding/hex"
	"testing"
)

// The expected bytes are GNU as's encodings of the same instructions
// (Intel syntax, assembled and read back with objdump -d).
var encodings = []struct {
	text string
	hex  string
	emit func(a *Asm)
}{
	{"vaddpd ymm1,ymm2,ymm3", "c5ed58cb", func(a *Asm) { a.VADD(PD, 1, 2, R(3)) }},
	{"vaddps ymm9,ymm10,ymm11", "c4412c58cb", func(a *Asm) { a.VADD(PS, 9, 10, R(11)) }},
	{"vmulpd ymm0,ymm1,[rdi+0x20]", "c5f5594720", func(a *Asm) { a.VMUL(PD, 0, 1, M(At(RDI, 0x20))) }},
	{"vsubps ymm15,ymm8,[r12+rax*4+0x400]", "c4413c5cbc8400040000", func(a *Asm) { a.VSUB(PS, 15, 8, M(Indexed(R12, RAX, 4, 0x400))) }},
	{"vdivpd ymm3,ymm4,[rbp]", "c5dd5e5d00", func(a *Asm) { a.VDIV(PD, 3, 4, M(At(RBP, 0))) }},
	{"vminpd ymm1,ymm2,[r13+8]", "c4c16d5d4d08", func(a *Asm) { a.VMIN(PD, 1, 2, M(At(R13, 8))) }},
	{"vmaxps ymm1,ymm2,ymm12", "c4c16c5fcc", func(a *Asm) { a.VMAX(PS, 1, 2, R(12)) }},
	{"vandpd ymm1,ymm2,[rsp+16]", "c5ed544c2410", func(a *Asm) { a.VAND(PD, 1, 2, M(At(RSP, 16))) }},
	{"vandnps ymm1,ymm2,ymm3", "c5ec55cb", func(a *Asm) { a.VANDN(PS, 1, 2, R(3)) }},
	{"vorpd ymm1,ymm2,ymm3", "c5ed56cb", func(a *Asm) { a.VOR(PD, 1, 2, R(3)) }},
	{"vxorps ymm1,ymm2,ymm3", "c5ec57cb", func(a *Asm) { a.VXOR(PS, 1, 2, R(3)) }},
	{"vsqrtpd ymm5,ymm6", "c5fd51ee", func(a *Asm) { a.VSQRT(PD, 5, R(6)) }},
	{"vsqrtps ymm5,[rsi+rcx*8+1024]", "c5fc51acce00040000", func(a *Asm) { a.VSQRT(PS, 5, M(Indexed(RSI, RCX, 8, 1024))) }},
	{"vmovupd ymm7,[rdi+rax*8+0x800]", "c5fd10bcc700080000", func(a *Asm) { a.VMOVU(PD, 7, M(Indexed(RDI, RAX, 8, 0x800))) }},
	{"vmovups ymm7,[r9+r10*4]", "c4817c103c91", func(a *Asm) { a.VMOVU(PS, 7, M(Indexed(R9, R10, 4, 0))) }},
	{"vmovupd [rdi+64],ymm13", "c57d116f40", func(a *Asm) { a.VMOVUStore(PD, At(RDI, 64), 13) }},
	{"vmovups [r11],ymm2", "c4c17c1113", func(a *Asm) { a.VMOVUStore(PS, At(R11, 0), 2) }},
	{"vcmplt_oqpd ymm1,ymm2,ymm3", "c5edc2cb11", func(a *Asm) { a.VCMP(PD, 1, 2, R(3), CmpLT) }},
	{"vcmpgt_oqps ymm1,ymm2,[rdi+0x20]", "c5ecc24f201e", func(a *Asm) { a.VCMP(PS, 1, 2, M(At(RDI, 0x20)), CmpGT) }},
	{"vmovmskpd eax,ymm3", "c5fd50c3", func(a *Asm) { a.VMOVMSK(PD, RAX, 3) }},
	{"vmovmskps r8d,ymm11", "c4417c50c3", func(a *Asm) { a.VMOVMSK(PS, R8, 11) }},
	{"vroundpd ymm1,ymm2,0x8", "c4e37d09ca08", func(a *Asm) { a.VROUND(PD, 1, R(2), RoundNearest) }},
	{"vroundps ymm1,[rdi],0x9", "c4e37d080f09", func(a *Asm) { a.VROUND(PS, 1, M(At(RDI, 0)), RoundFloor) }},
	{"vblendvpd ymm1,ymm2,ymm3,ymm4", "c4e36d4bcb40", func(a *Asm) { a.VBLENDV(PD, 1, 2, R(3), 4) }},
	{"vblendvps ymm9,ymm10,[rdi+8],ymm12", "c4632d4a4f08c0", func(a *Asm) { a.VBLENDV(PS, 9, 10, M(At(RDI, 8)), 12) }},
	{"vfmadd231pd ymm1,ymm2,ymm3", "c4e2edb8cb", func(a *Asm) { a.VFMADD231(PD, 1, 2, R(3)) }},
	{"vfmadd231ps ymm1,ymm2,[rdi+0x100]", "c4e26db88f00010000", func(a *Asm) { a.VFMADD231(PS, 1, 2, M(At(RDI, 0x100))) }},
	{"vfnmadd231pd ymm10,ymm2,ymm13", "c442edbcd5", func(a *Asm) { a.VFNMADD231(PD, 10, 2, R(13)) }},
	{"vfmsub231ps ymm1,ymm2,ymm3", "c4e26dbacb", func(a *Asm) { a.VFMSUB231(PS, 1, 2, R(3)) }},
	{"vfmadd213pd ymm1,ymm2,ymm3", "c4e2eda8cb", func(a *Asm) { a.VFMADD213(PD, 1, 2, R(3)) }},
	{"vfmadd132ps ymm1,ymm2,ymm3", "c4e26d98cb", func(a *Asm) { a.VFMADD132(PS, 1, 2, R(3)) }},
	{"vbroadcastsd ymm3,[rdi+0x18]", "c4e27d195f18", func(a *Asm) { a.VBROADCAST(PD, 3, At(RDI, 0x18)) }},
	{"vbroadcastss ymm12,[r8+4]", "c4427d186004", func(a *Asm) { a.VBROADCAST(PS, 12, At(R8, 4)) }},
	{"vpaddd ymm1,ymm2,ymm3", "c5edfecb", func(a *Asm) { a.VPADDD(1, 2, R(3)) }},
	{"vpaddq ymm1,ymm2,[rdi]", "c5edd40f", func(a *Asm) { a.VPADDQ(1, 2, M(At(RDI, 0))) }},
	{"vpsubd ymm1,ymm2,ymm3", "c5edfacb", func(a *Asm) { a.VPSUBD(1, 2, R(3)) }},
	{"vpsubq ymm9,ymm2,ymm3", "c56dfbcb", func(a *Asm) { a.VPSUBQ(9, 2, R(3)) }},
	{"vpslld ymm1,ymm2,23", "c5f572f217", func(a *Asm) { a.VPSLLD(1, 2, 23) }},
	{"vpsllq ymm10,ymm11,52", "c4c12d73f334", func(a *Asm) { a.VPSLLQ(10, 11, 52) }},
	{"vpsrld ymm1,ymm2,3", "c5f572d203", func(a *Asm) { a.VPSRLD(1, 2, 3) }},
	{"vpsrlq ymm1,ymm9,52", "c4c17573d134", func(a *Asm) { a.VPSRLQ(1, 9, 52) }},
	{"vcvtps2dq ymm1,ymm2", "c5fd5bca", func(a *Asm) { a.VCVTPS2DQ(1, R(2)) }},
	{"vcvttps2dq ymm1,ymm2", "c5fe5bca", func(a *Asm) { a.VCVTTPS2DQ(1, R(2)) }},
	{"vcvtdq2ps ymm1,ymm2", "c5fc5bca", func(a *Asm) { a.VCVTDQ2PS(1, R(2)) }},
	{"vcvtps2pd ymm1,xmm2", "c5fc5aca", func(a *Asm) { a.VCVTPS2PD(1, R(2)) }},
	{"vextractf128 xmm1,ymm2,1", "c4e37d19d101", func(a *Asm) { a.VEXTRACTF128(1, 2, 1) }},
	{"vcvtpd2ps xmm1,ymm2", "c5fd5aca", func(a *Asm) { a.VCVTPD2PS(1, R(2)) }},
	{"vcvtpd2ps xmm9,[rdi+32]", "c57d5a4f20", func(a *Asm) { a.VCVTPD2PS(9, M(At(RDI, 32))) }},
	{"vinsertf128 ymm1,ymm2,xmm3,1", "c4e36d18cb01", func(a *Asm) { a.VINSERTF128(1, 2, R(3), 1) }},
	{"vinsertf128 ymm10,ymm11,xmm12,1", "c4432518d401", func(a *Asm) { a.VINSERTF128(10, 11, R(12), 1) }},
	{"vcvtps2pd ymm3,[rsi+rax+16]", "c5fc5a5c0610", func(a *Asm) { a.VCVTPS2PD(3, M(Indexed(RSI, RAX, 1, 16))) }},
	{"vzeroupper", "c5f877", func(a *Asm) { a.VZEROUPPER() }},
	{"mov rax,[rdi+8]", "488b4708", func(a *Asm) { a.MOVLoad(RAX, At(RDI, 8)) }},
	{"mov r9,[r12+0x100]", "4d8b8c2400010000", func(a *Asm) { a.MOVLoad(R9, At(R12, 0x100)) }},
	{"mov [rdi+16],rcx", "48894f10", func(a *Asm) { a.MOVStore(At(RDI, 16), RCX) }},
	{"mov rax,rdx", "4889d0", func(a *Asm) { a.MOV(RAX, RDX) }},
	{"mov r10,rsi", "4989f2", func(a *Asm) { a.MOV(R10, RSI) }},
	{"lea rcx,[rdi+rax*8+0x40]", "488d4cc740", func(a *Asm) { a.LEA(RCX, Indexed(RDI, RAX, 8, 0x40)) }},
	{"add rax,0x20", "4883c020", func(a *Asm) { a.ADDImm(RAX, 0x20) }},
	{"add r11,1000", "4981c3e8030000", func(a *Asm) { a.ADDImm(R11, 1000) }},
	{"sub rcx,4", "4883e904", func(a *Asm) { a.SUBImm(RCX, 4) }},
	{"cmp rcx,100000", "4881f9a0860100", func(a *Asm) { a.CMPImm(RCX, 100000) }},
	{"cmp rax,rcx", "4839c8", func(a *Asm) { a.CMP(RAX, RCX) }},
	{"cmp r8,r9", "4d39c8", func(a *Asm) { a.CMP(R8, R9) }},
	{"test eax,eax", "85c0", func(a *Asm) { a.TEST32(RAX, RAX) }},
	{"xor ecx,ecx", "31c9", func(a *Asm) { a.XOR32(RCX, RCX) }},
	{"ret", "c3", func(a *Asm) { a.RET() }},
}

func TestEncodings(t *testing.T) {
	for _, e := range encodings {
		var a Asm
		e.emit(&a)
		if got := hex.EncodeToString(a.Bytes()); got != e.hex {
			t.Errorf("%s: got %s, want %s", e.text, got, e.hex)
		}
	}
}

// TestJumps checks rel32 displacements forwards and backwards: jne back
// to the start (rel -6-?) and jmp forward over a ret.
func TestJumps(t *testing.T) {
	var a Asm
	top, end := a.NewLabel(), a.NewLabel()
	a.Bind(top)
	a.RET()          // 0: c3
	a.J(CondNE, top) // 1: 0f 85 rel32 = 0 - 7 = -7
	a.JMP(end)       // 7: e9 rel32 = 13 - 12 = 1
	a.RET()          // 12
	a.Bind(end)      // 13
	want := "c30f85f9ffffffe901000000c3"
	if got := hex.EncodeToString(a.Bytes()); got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}
