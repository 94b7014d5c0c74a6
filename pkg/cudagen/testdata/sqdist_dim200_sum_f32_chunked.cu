// gokeops CUDA reduction (pkg/cudagen).
// F = SqDist(Var(0,200,0),Var(1,200,1))
// reduction Sum, axis 1, float32 data, float32 accumulator, block_sum, scheme 1D, ranges false, block 32
#ifndef GK_PRELUDE
#define GK_PRELUDE
#ifndef GK_EMULATION
__device__ __forceinline__ float gk_inf_f() { return __int_as_float(0x7f800000); }
__device__ __forceinline__ double gk_inf_d() { return __longlong_as_double(0x7ff0000000000000LL); }
__device__ __forceinline__ float gk_h2f(unsigned short h) { float f; asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(h)); return f; }
__device__ __forceinline__ unsigned short gk_f2h(float f) { unsigned short h; asm("cvt.rn.f16.f32 %0, %1;" : "=h"(h) : "f"(f)); return h; }
#endif
template <typename T> __device__ __forceinline__ T gk_inf();
template <> __device__ __forceinline__ float gk_inf<float>() { return gk_inf_f(); }
template <> __device__ __forceinline__ double gk_inf<double>() { return gk_inf_d(); }
__device__ __forceinline__ float gk_ld(const float* p) { return *p; }
__device__ __forceinline__ double gk_ld(const double* p) { return *p; }
__device__ __forceinline__ float gk_ld(const unsigned short* p) { return gk_h2f(*p); }
__device__ __forceinline__ void gk_st(float* p, float v) { *p = v; }
__device__ __forceinline__ void gk_st(double* p, double v) { *p = v; }
__device__ __forceinline__ void gk_st(unsigned short* p, float v) { *p = gk_f2h(v); }
__device__ __forceinline__ float gk_hround(float x) { return gk_h2f(gk_f2h(x)); }
// gk_rescaled is a shifted sum a times exp(old max - new max) = scale: an
// underflowed scale drops even an infinite sum (0 * inf would be NaN); NaN stays.
template <typename T> __device__ __forceinline__ T gk_rescaled(T a, T scale) { return scale == 0 && a == a ? (T)0 : a * scale; }
template <typename T> __device__ __forceinline__ T gk_xlogx(T x) { return x == 0 ? (T)0 : x * log(x); }
template <typename T> __device__ __forceinline__ T gk_sinxdivx(T x) { return x == 0 ? (T)1 : sin(x) / x; }
template <typename T> __device__ __forceinline__ T gk_rsqrt(T x) { return x == 0 ? (T)0 : (T)1 / sqrt(x); }
template <typename T> __device__ __forceinline__ T gk_sign(T x) { return x > 0 ? (T)1 : (x < 0 ? (T)-1 : (T)0); }
template <typename T> __device__ __forceinline__ T gk_step(T x) { return x < 0 ? (T)0 : (T)1; }
template <typename T> __device__ __forceinline__ T gk_relu(T x) { return x < 0 ? (T)0 : x; }
template <typename T> __device__ __forceinline__ T gk_round(T x, T scale) { return round(x * scale) / scale; }
template <typename T> __device__ __forceinline__ T gk_clamp(T x, T a, T b) { return x < a ? a : (x > b ? b : x); }
template <typename T> __device__ __forceinline__ T gk_diffclamp(T x, T a, T b) { return (x < a || x > b) ? (T)0 : (T)1; }
template <typename T> __device__ __forceinline__ T gk_mod(T x, T n, T o) { return x - n * floor((x - o) / n); }
template <typename T> __device__ __forceinline__ T gk_ifelse(T c, T a, T b) { return c >= 0 ? a : b; }
template <typename T> __device__ __forceinline__ float gk_powf(T x, T y) { return powf((float)x, (float)y); }
template <typename T> __device__ __forceinline__ T gk_min3(T a, T b, T c) { T m = a < b ? a : b; return m < c ? m : c; }
template <typename T> __device__ __forceinline__ T gk_softmin(T a, T b, T c, T gamma) {
  const T mu = gk_min3(a, b, c);
  return mu - gamma * log(exp((mu - a) / gamma) + exp((mu - b) / gamma) + exp((mu - c) / gamma));
}
template <typename T> __device__ __forceinline__ void gk_softmin_weights(T a, T b, T c, T gamma, T* wa, T* wb, T* wc) {
  const T mu = gk_min3(a, b, c);
  const T ea = exp((mu - a) / gamma), eb = exp((mu - b) / gamma), ec = exp((mu - c) / gamma), s = ea + eb + ec;
  *wa = ea / s; *wb = eb / s; *wc = ec / s;
}
#endif
namespace gk {
  typedef float data_t;
  typedef float ct;
  typedef float acc_t;
  __device__ __forceinline__ acc_t acc_round(acc_t x) { return x; }
  enum { BLOCK = 32, NARGS = 2, SJ = 200, PART = 1, VALS = 1, IDX = 0 };

  extern "C" __global__ void gk_1d(long long nx, long long ny, const long long* __restrict__ offs, const void* const* __restrict__ argv, data_t* __restrict__ vals, long long* __restrict__ idx) {
    const long long b = blockIdx.y;
    const long long i = (long long)blockIdx.x * BLOCK + threadIdx.x;
    const bool active = i < nx;
    const data_t* __restrict__ a0 = (const data_t*)argv[0] + offs[b * NARGS + 0];
    const data_t* __restrict__ a1 = (const data_t*)argv[1] + offs[b * NARGS + 1];
    __shared__ ct sh[BLOCK * SJ];
    const long long ir = active ? i : 0;
    (void)ir;
    acc_t acc[1];
    for (int k = 0; k < 1; k++) acc[k] = 0;
    acc_t tmp[1];
    for (long long j0 = 0; j0 < ny; j0 += BLOCK) {
      const long long jl = j0 + threadIdx.x;
      if (jl < ny) {
        for (int k = 0; k < 200; k++) sh[threadIdx.x * SJ + 0 + k] = gk_ld(&a1[jl * 200 + k]);
      }
      __syncthreads();
      if (active) {
        const int jn = (int)(ny - j0 < BLOCK ? ny - j0 : BLOCK);
        for (int k = 0; k < 1; k++) tmp[k] = 0;
        for (int t = 0; t < jn; t++) {
          const ct* ys = sh + t * SJ;
          const ct* v0 = ys + 0;
          ct v1[1];
          {
            // SqDist(Var(0,200,0),Var(1,200,1)): 200 components in chunks of 32, the variables read in place
            ct s = 0;
            #pragma unroll 1
            for (int c0 = 0; c0 < 200; c0 += 32) {
              #pragma unroll
              for (int kk = 0; kk < 32; kk++) { const int k = c0 + kk; if (k < 200) { const ct dd = gk_ld(&a0[ir * 200 + k]) - v0[k]; s += dd * dd; } }
            }
            v1[0] = s;
          }
          for (int k = 0; k < 1; k++) tmp[k] = acc_round(tmp[k] + (acc_t)v1[k]);
        }
        for (int k = 0; k < 1; k++) acc[k] = acc_round(acc[k] + tmp[k]);
      }
      __syncthreads();
    }
    if (active) {
      data_t* vo = vals + (b * nx + i) * VALS;
      for (int k = 0; k < 1; k++) gk_st(&vo[k], (ct)acc[k]);
    }
  }
}
