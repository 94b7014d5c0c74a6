/* The machine-limit reference of `make bench` (the "C" rows): W1 (Gaussian kernel sum)
 * and W2 (GMM LogSumExp) at dimension 3, written the way a hand-tuned CPU kernel is:
 * AVX2 + FMA intrinsics, y transposed to structure-of-arrays once, two x_i rows per pass
 * over y (each y_j load serves both), the squared distance, an inline polynomial exp
 * and the reduction update in registers, one OpenMP thread per core.
 *
 * Built by benchmarks/run.py when gcc is present:
 *   gcc -O3 -mavx2 -mfma -fopenmp -shared -fPIC cref.c -o cref.so
 * and called through ctypes by runone.py (lib "cref"). Not part of the engine.
 */
#include <immintrin.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define TILE 256

/* ---- exp: x = k ln2 + r, |r| <= ln2/2; Taylor polynomial; 2^k in the exponent ---- */

static inline __m256d exp_pd(__m256d x) {
    x = _mm256_max_pd(x, _mm256_set1_pd(-708.0));
    x = _mm256_min_pd(x, _mm256_set1_pd(708.0));
    __m256d k = _mm256_round_pd(_mm256_mul_pd(x, _mm256_set1_pd(1.4426950408889634)),
                                _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256d r = _mm256_fmadd_pd(k, _mm256_set1_pd(-0.6931471805599453), x);
    r = _mm256_fmadd_pd(k, _mm256_set1_pd(-2.3190468138462996e-17), r);
    __m256d r2 = _mm256_mul_pd(r, r), r4 = _mm256_mul_pd(r2, r2), r8 = _mm256_mul_pd(r4, r4);
    __m256d q0 = _mm256_add_pd(r, _mm256_set1_pd(1.0));
    __m256d q1 = _mm256_fmadd_pd(r, _mm256_set1_pd(1.0 / 6), _mm256_set1_pd(0.5));
    __m256d q2 = _mm256_fmadd_pd(r, _mm256_set1_pd(1.0 / 120), _mm256_set1_pd(1.0 / 24));
    __m256d q3 = _mm256_fmadd_pd(r, _mm256_set1_pd(1.0 / 5040), _mm256_set1_pd(1.0 / 720));
    __m256d q4 = _mm256_fmadd_pd(r, _mm256_set1_pd(1.0 / 362880), _mm256_set1_pd(1.0 / 40320));
    __m256d q5 = _mm256_fmadd_pd(r, _mm256_set1_pd(1.0 / 39916800), _mm256_set1_pd(1.0 / 3628800));
    __m256d s0 = _mm256_fmadd_pd(q1, r2, q0), s1 = _mm256_fmadd_pd(q3, r2, q2);
    __m256d u0 = _mm256_fmadd_pd(s1, r4, s0), u1 = _mm256_fmadd_pd(q5, r2, q4);
    __m256d p = _mm256_fmadd_pd(u1, r8, u0);
    __m256i e = _mm256_slli_epi64(_mm256_castpd_si256(_mm256_add_pd(k, _mm256_set1_pd(6755399441055744.0))), 52);
    return _mm256_castsi256_pd(_mm256_add_epi64(_mm256_castpd_si256(p), e));
}

static inline __m256 exp_ps(__m256 x) {
    x = _mm256_max_ps(x, _mm256_set1_ps(-87.0f));
    x = _mm256_min_ps(x, _mm256_set1_ps(88.0f));
    __m256 k = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504f)),
                               _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fmadd_ps(k, _mm256_set1_ps(-0.693359375f), x);
    r = _mm256_fmadd_ps(k, _mm256_set1_ps(2.12194440e-4f), r);
    __m256 p = _mm256_set1_ps(1.0f / 5040);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 720));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    __m256i e = _mm256_slli_epi32(_mm256_cvtps_epi32(k), 23);
    return _mm256_castsi256_ps(_mm256_add_epi32(_mm256_castps_si256(p), e));
}

static inline double hsum_pd(__m256d v) {
    double l[4];
    _mm256_storeu_pd(l, v);
    return (l[0] + l[1]) + (l[2] + l[3]);
}

static inline float hsum_ps(__m256 v) {
    float l[8];
    _mm256_storeu_ps(l, v);
    return ((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7]));
}

static inline double hmax_pd(__m256d v) {
    double l[4];
    _mm256_storeu_pd(l, v);
    return fmax(fmax(l[0], l[1]), fmax(l[2], l[3]));
}

static inline float hmax_ps(__m256 v) {
    float l[8], m;
    _mm256_storeu_ps(l, v);
    m = l[0];
    for (int t = 1; t < 8; t++) m = fmaxf(m, l[t]);
    return m;
}

/* y (n, 3) and b (n) to structure of arrays, padded to a whole number of vectors:
 * padded columns get y = 1e150 (f64) / 1e18 (f32) far away and b = 0. */
static double *soa_d(const double *y, const double *b, long n, long np) {
    double *s = aligned_alloc(32, sizeof(double) * 4 * np);
    for (long j = 0; j < np; j++) {
        for (int k = 0; k < 3; k++) s[k * np + j] = j < n ? y[3 * j + k] : 1e150;
        s[3 * np + j] = j < n ? b[j] : 0;
    }
    return s;
}

static float *soa_f(const float *y, const float *b, long n, long np) {
    float *s = aligned_alloc(32, sizeof(float) * 4 * np);
    for (long j = 0; j < np; j++) {
        for (int k = 0; k < 3; k++) s[k * np + j] = j < n ? y[3 * j + k] : 1e18f;
        s[3 * np + j] = j < n ? b[j] : 0;
    }
    return s;
}

/* W1: out_i = sum_j exp(-|x_i - y_j|^2) b_j. */
void w1_f64(const double *x, const double *y, const double *b, double *out, long m, long n) {
    long np = (n + 3) / 4 * 4;
    double *s = soa_d(y, b, n, np);
    const double *y0 = s, *y1 = s + np, *y2 = s + 2 * np, *bb = s + 3 * np;
#pragma omp parallel for schedule(dynamic, 16)
    for (long i = 0; i < m; i += 2) {
        long i1 = i + 1 < m ? i + 1 : i;
        __m256d a0 = _mm256_set1_pd(x[3 * i]), a1 = _mm256_set1_pd(x[3 * i + 1]), a2 = _mm256_set1_pd(x[3 * i + 2]);
        __m256d c0 = _mm256_set1_pd(x[3 * i1]), c1 = _mm256_set1_pd(x[3 * i1 + 1]), c2 = _mm256_set1_pd(x[3 * i1 + 2]);
        __m256d sa = _mm256_setzero_pd(), sc = _mm256_setzero_pd();
        for (long j = 0; j < np; j += 4) {
            __m256d v0 = _mm256_load_pd(y0 + j), v1 = _mm256_load_pd(y1 + j), v2 = _mm256_load_pd(y2 + j);
            __m256d w = _mm256_load_pd(bb + j);
            __m256d d, da, dc;
            d = _mm256_sub_pd(a0, v0); da = _mm256_mul_pd(d, d);
            d = _mm256_sub_pd(a1, v1); da = _mm256_fmadd_pd(d, d, da);
            d = _mm256_sub_pd(a2, v2); da = _mm256_fmadd_pd(d, d, da);
            d = _mm256_sub_pd(c0, v0); dc = _mm256_mul_pd(d, d);
            d = _mm256_sub_pd(c1, v1); dc = _mm256_fmadd_pd(d, d, dc);
            d = _mm256_sub_pd(c2, v2); dc = _mm256_fmadd_pd(d, d, dc);
            sa = _mm256_fmadd_pd(exp_pd(_mm256_sub_pd(_mm256_setzero_pd(), da)), w, sa);
            sc = _mm256_fmadd_pd(exp_pd(_mm256_sub_pd(_mm256_setzero_pd(), dc)), w, sc);
        }
        out[i] = hsum_pd(sa);
        if (i1 != i) out[i1] = hsum_pd(sc);
    }
    free(s);
}

void w1_f32(const float *x, const float *y, const float *b, float *out, long m, long n) {
    long np = (n + 7) / 8 * 8;
    float *s = soa_f(y, b, n, np);
    const float *y0 = s, *y1 = s + np, *y2 = s + 2 * np, *bb = s + 3 * np;
#pragma omp parallel for schedule(dynamic, 16)
    for (long i = 0; i < m; i += 2) {
        long i1 = i + 1 < m ? i + 1 : i;
        __m256 a0 = _mm256_set1_ps(x[3 * i]), a1 = _mm256_set1_ps(x[3 * i + 1]), a2 = _mm256_set1_ps(x[3 * i + 2]);
        __m256 c0 = _mm256_set1_ps(x[3 * i1]), c1 = _mm256_set1_ps(x[3 * i1 + 1]), c2 = _mm256_set1_ps(x[3 * i1 + 2]);
        __m256 sa = _mm256_setzero_ps(), sc = _mm256_setzero_ps();
        for (long j = 0; j < np; j += 8) {
            __m256 v0 = _mm256_load_ps(y0 + j), v1 = _mm256_load_ps(y1 + j), v2 = _mm256_load_ps(y2 + j);
            __m256 w = _mm256_load_ps(bb + j);
            __m256 d, da, dc;
            d = _mm256_sub_ps(a0, v0); da = _mm256_mul_ps(d, d);
            d = _mm256_sub_ps(a1, v1); da = _mm256_fmadd_ps(d, d, da);
            d = _mm256_sub_ps(a2, v2); da = _mm256_fmadd_ps(d, d, da);
            d = _mm256_sub_ps(c0, v0); dc = _mm256_mul_ps(d, d);
            d = _mm256_sub_ps(c1, v1); dc = _mm256_fmadd_ps(d, d, dc);
            d = _mm256_sub_ps(c2, v2); dc = _mm256_fmadd_ps(d, d, dc);
            sa = _mm256_fmadd_ps(exp_ps(_mm256_sub_ps(_mm256_setzero_ps(), da)), w, sa);
            sc = _mm256_fmadd_ps(exp_ps(_mm256_sub_ps(_mm256_setzero_ps(), dc)), w, sc);
        }
        out[i] = hsum_ps(sa);
        if (i1 != i) out[i1] = hsum_ps(sc);
    }
    free(s);
}

/* W2: out_i = log sum_j exp(-g |x_i - y_j|^2 + b_j), by tiles of TILE columns: the
 * exponents of two rows go to an L1 buffer, then one pass takes the tile maximum and
 * one the shifted exp sum (the running maximum rescales the running sum). Padded
 * columns get b = -inf. */
void w2_f64(double g, const double *x, const double *y, const double *b, double *out, long m, long n) {
    long np = (n + 3) / 4 * 4;
    double *s = soa_d(y, b, n, np);
    for (long j = n; j < np; j++) s[3 * np + j] = -INFINITY;
    const double *y0 = s, *y1 = s + np, *y2 = s + 2 * np, *bb = s + 3 * np;
    __m256d ng = _mm256_set1_pd(-g);
#pragma omp parallel for schedule(dynamic, 16)
    for (long i = 0; i < m; i += 2) {
        long i1 = i + 1 < m ? i + 1 : i;
        double fa[TILE] __attribute__((aligned(32))), fc[TILE] __attribute__((aligned(32)));
        __m256d a0 = _mm256_set1_pd(x[3 * i]), a1 = _mm256_set1_pd(x[3 * i + 1]), a2 = _mm256_set1_pd(x[3 * i + 2]);
        __m256d c0 = _mm256_set1_pd(x[3 * i1]), c1 = _mm256_set1_pd(x[3 * i1 + 1]), c2 = _mm256_set1_pd(x[3 * i1 + 2]);
        double ma = -INFINITY, mc = -INFINITY, sa = 0, sc = 0;
        for (long j0 = 0; j0 < np; j0 += TILE) {
            long nt = np - j0 < TILE ? np - j0 : TILE;
            __m256d xa = _mm256_set1_pd(-INFINITY), xc = xa;
            for (long t = 0; t < nt; t += 4) {
                long j = j0 + t;
                __m256d v0 = _mm256_load_pd(y0 + j), v1 = _mm256_load_pd(y1 + j), v2 = _mm256_load_pd(y2 + j);
                __m256d w = _mm256_load_pd(bb + j);
                __m256d d, da, dc;
                d = _mm256_sub_pd(a0, v0); da = _mm256_mul_pd(d, d);
                d = _mm256_sub_pd(a1, v1); da = _mm256_fmadd_pd(d, d, da);
                d = _mm256_sub_pd(a2, v2); da = _mm256_fmadd_pd(d, d, da);
                d = _mm256_sub_pd(c0, v0); dc = _mm256_mul_pd(d, d);
                d = _mm256_sub_pd(c1, v1); dc = _mm256_fmadd_pd(d, d, dc);
                d = _mm256_sub_pd(c2, v2); dc = _mm256_fmadd_pd(d, d, dc);
                da = _mm256_fmadd_pd(ng, da, w);
                dc = _mm256_fmadd_pd(ng, dc, w);
                _mm256_store_pd(fa + t, da);
                _mm256_store_pd(fc + t, dc);
                xa = _mm256_max_pd(xa, da);
                xc = _mm256_max_pd(xc, dc);
            }
            double ta = hmax_pd(xa), tc = hmax_pd(xc);
            if (ta > ma) { sa *= exp(ma - ta); ma = ta; }
            if (tc > mc) { sc *= exp(mc - tc); mc = tc; }
            __m256d bma = _mm256_set1_pd(ma), bmc = _mm256_set1_pd(mc);
            __m256d ea = _mm256_setzero_pd(), ec = ea;
            for (long t = 0; t < nt; t += 4) {
                ea = _mm256_add_pd(ea, exp_pd(_mm256_sub_pd(_mm256_load_pd(fa + t), bma)));
                ec = _mm256_add_pd(ec, exp_pd(_mm256_sub_pd(_mm256_load_pd(fc + t), bmc)));
            }
            sa += hsum_pd(ea);
            sc += hsum_pd(ec);
        }
        out[i] = ma + log(sa);
        if (i1 != i) out[i1] = mc + log(sc);
    }
    free(s);
}

void w2_f32(float g, const float *x, const float *y, const float *b, float *out, long m, long n) {
    long np = (n + 7) / 8 * 8;
    float *s = soa_f(y, b, n, np);
    for (long j = n; j < np; j++) s[3 * np + j] = -INFINITY;
    const float *y0 = s, *y1 = s + np, *y2 = s + 2 * np, *bb = s + 3 * np;
    __m256 ng = _mm256_set1_ps(-g);
#pragma omp parallel for schedule(dynamic, 16)
    for (long i = 0; i < m; i += 2) {
        long i1 = i + 1 < m ? i + 1 : i;
        float fa[TILE] __attribute__((aligned(32))), fc[TILE] __attribute__((aligned(32)));
        __m256 a0 = _mm256_set1_ps(x[3 * i]), a1 = _mm256_set1_ps(x[3 * i + 1]), a2 = _mm256_set1_ps(x[3 * i + 2]);
        __m256 c0 = _mm256_set1_ps(x[3 * i1]), c1 = _mm256_set1_ps(x[3 * i1 + 1]), c2 = _mm256_set1_ps(x[3 * i1 + 2]);
        float ma = -INFINITY, mc = -INFINITY, sa = 0, sc = 0;
        for (long j0 = 0; j0 < np; j0 += TILE) {
            long nt = np - j0 < TILE ? np - j0 : TILE;
            __m256 xa = _mm256_set1_ps(-INFINITY), xc = xa;
            for (long t = 0; t < nt; t += 8) {
                long j = j0 + t;
                __m256 v0 = _mm256_load_ps(y0 + j), v1 = _mm256_load_ps(y1 + j), v2 = _mm256_load_ps(y2 + j);
                __m256 w = _mm256_load_ps(bb + j);
                __m256 d, da, dc;
                d = _mm256_sub_ps(a0, v0); da = _mm256_mul_ps(d, d);
                d = _mm256_sub_ps(a1, v1); da = _mm256_fmadd_ps(d, d, da);
                d = _mm256_sub_ps(a2, v2); da = _mm256_fmadd_ps(d, d, da);
                d = _mm256_sub_ps(c0, v0); dc = _mm256_mul_ps(d, d);
                d = _mm256_sub_ps(c1, v1); dc = _mm256_fmadd_ps(d, d, dc);
                d = _mm256_sub_ps(c2, v2); dc = _mm256_fmadd_ps(d, d, dc);
                da = _mm256_fmadd_ps(ng, da, w);
                dc = _mm256_fmadd_ps(ng, dc, w);
                _mm256_store_ps(fa + t, da);
                _mm256_store_ps(fc + t, dc);
                xa = _mm256_max_ps(xa, da);
                xc = _mm256_max_ps(xc, dc);
            }
            float ta = hmax_ps(xa), tc = hmax_ps(xc);
            if (ta > ma) { sa *= expf(ma - ta); ma = ta; }
            if (tc > mc) { sc *= expf(mc - tc); mc = tc; }
            __m256 bma = _mm256_set1_ps(ma), bmc = _mm256_set1_ps(mc);
            __m256 ea = _mm256_setzero_ps(), ec = ea;
            for (long t = 0; t < nt; t += 8) {
                ea = _mm256_add_ps(ea, exp_ps(_mm256_sub_ps(_mm256_load_ps(fa + t), bma)));
                ec = _mm256_add_ps(ec, exp_ps(_mm256_sub_ps(_mm256_load_ps(fc + t), bmc)));
            }
            sa += hsum_ps(ea);
            sc += hsum_ps(ec);
        }
        out[i] = ma + logf(sa);
        if (i1 != i) out[i1] = mc + logf(sc);
    }
    free(s);
}
