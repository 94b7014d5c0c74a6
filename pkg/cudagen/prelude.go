package cudagen

// prelude is the start of every generated source: the helpers the
// primitive table and the reductions name, with the special values of the
// CPU engine (pkg/core/scalar.go). It needs no header: NVRTC provides the
// math functions, and the half conversions are one PTX instruction each.
// The CPU emulation of the tests defines GK_EMULATION and its own forms of
// the few device intrinsics.
const prelude = `#ifndef GK_PRELUDE
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
`
