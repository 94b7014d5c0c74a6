#include "textflag.h"

// func call(fn, arg unsafe.Pointer)
//
// Calls the generated code at fn with arg in DI. The code uses no stack
// beyond its return address and clobbers only registers ABI0 lets a callee
// clobber.
TEXT ·call(SB), NOSPLIT, $0-16
	MOVQ fn+0(FP), AX
	MOVQ arg+8(FP), DI
	CALL AX
	RET
