// Package cudagen will generate CUDA C++ source for a planned formula and
// reduction (the GPU_1D and GPU_2D schemes of KeOps), compile it at run time
// with NVRTC and launch it through gorgonia.org/cu. Only launch_cuda.go will
// carry the `cuda` build tag; without it, asking for a GPU backend returns
// ErrNoCUDA, so code generation stays testable on machines without a GPU.
package cudagen
