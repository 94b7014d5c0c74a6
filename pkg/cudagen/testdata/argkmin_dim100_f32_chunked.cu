// gokeops CUDA reduction (pkg/cudagen).
// F = SqDist(Var(0,100,0),Var(1,100,1))
// reduction ArgKMin K=5, axis 1, float32 data, float32 accumulator, block_sum, scheme 2D, ranges false, block 96
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
  enum { BLOCK = 96, NARGS = 2, SJ = 100, PART = 10, VALS = 0, IDX = 5 };

  extern "C" __global__ void gk_2d(long long nx, long long ny, long long jchunk, const long long* __restrict__ offs, const void* const* __restrict__ argv, double* __restrict__ part) {
    const long long b = blockIdx.z;
    const long long i = (long long)blockIdx.x * BLOCK + threadIdx.x;
    const bool active = i < nx;
    const long long jlo = (long long)blockIdx.y * jchunk;
    const long long jhi = jlo + jchunk < ny ? jlo + jchunk : ny;
    const data_t* __restrict__ a0 = (const data_t*)argv[0] + offs[b * NARGS + 0];
    const data_t* __restrict__ a1 = (const data_t*)argv[1] + offs[b * NARGS + 1];
    __shared__ ct sh[BLOCK * SJ];
    const long long ir = active ? i : 0;
    (void)ir;
    ct kv[5]; long long ki[5];
    for (int k = 0; k < 5; k++) { kv[k] = gk_inf<ct>(); ki[k] = -1; }
    for (long long j0 = jlo; j0 < jhi; j0 += BLOCK) {
      const long long jl = j0 + threadIdx.x;
      if (jl < jhi) {
        for (int k = 0; k < 100; k++) sh[threadIdx.x * SJ + 0 + k] = gk_ld(&a1[jl * 100 + k]);
      }
      __syncthreads();
      if (active) {
        const int jn = (int)(jhi - j0 < BLOCK ? jhi - j0 : BLOCK);
        for (int t = 0; t < jn; t++) {
          const ct* ys = sh + t * SJ;
          const ct* v0 = ys + 0;
          ct v1[1];
          {
            // SqDist(Var(0,100,0),Var(1,100,1)): 100 components in chunks of 32, the variables read in place
            ct s = 0;
            #pragma unroll 1
            for (int c0 = 0; c0 < 100; c0 += 32) {
              #pragma unroll
              for (int kk = 0; kk < 32; kk++) { const int k = c0 + kk; if (k < 100) { const ct dd = gk_ld(&a0[ir * 100 + k]) - v0[k]; s += dd * dd; } }
            }
            v1[0] = s;
          }
          for (int c = 0; c < 1; c++) {
            const ct v = v1[c];
            if (v == v && (v < kv[c * 5 + 4] || ki[c * 5 + 4] < 0)) {
              int l = 4;
              while (l > 0 && (ki[c * 5 + l - 1] < 0 || v < kv[c * 5 + l - 1])) { kv[c * 5 + l] = kv[c * 5 + l - 1]; ki[c * 5 + l] = ki[c * 5 + l - 1]; l--; }
              kv[c * 5 + l] = v; ki[c * 5 + l] = j0 + t;
            }
          }
        }
      }
      __syncthreads();
    }
    if (active) {
      double* prow = part + (((long long)b * gridDim.y + blockIdx.y) * nx + i) * PART;
      for (int c = 0; c < 1; c++) for (int l = 0; l < 5; l++) { prow[c * 10 + l] = (double)kv[c * 5 + l]; prow[c * 10 + 5 + l] = (double)ki[c * 5 + l]; }
    }
  }

  extern "C" __global__ void gk_2d_merge(long long nx, long long nby, const double* __restrict__ part, data_t* __restrict__ vals, long long* __restrict__ idx) {
    const long long b = blockIdx.y;
    const long long i = (long long)blockIdx.x * BLOCK + threadIdx.x;
    if (i >= nx) return;
    ct kv[5]; long long ki[5];
    for (int k = 0; k < 5; k++) { kv[k] = gk_inf<ct>(); ki[k] = -1; }
    for (long long y = 0; y < nby; y++) {
      const double* prow = part + ((b * nby + y) * nx + i) * PART;
      for (int c = 0; c < 1; c++) for (int q = 0; q < 5; q++) {
        const ct v = (ct)prow[c * 10 + q];
        const long long j = (long long)prow[c * 10 + 5 + q];
        if (j < 0 || !(v < kv[c * 5 + 4] || ki[c * 5 + 4] < 0)) break;
        int l = 4;
        while (l > 0 && (ki[c * 5 + l - 1] < 0 || v < kv[c * 5 + l - 1])) { kv[c * 5 + l] = kv[c * 5 + l - 1]; ki[c * 5 + l] = ki[c * 5 + l - 1]; l--; }
        kv[c * 5 + l] = v; ki[c * 5 + l] = j;
      }
    }
    long long* io = idx + (b * nx + i) * IDX;
    for (int c = 0; c < 1; c++) for (int l = 0; l < 5; l++) io[l * 1 + c] = ki[c * 5 + l];
  }
}
