/*
 * AVX2 + FMA kernels (x86-64), built when BE_HAVE_AVX2 is defined and chosen at run time
 * when the CPU has both extensions.
 *
 * The matrix product keeps a 6 x 16 block of C in twelve registers while it walks K: each step
 * loads one 16-float row of B and broadcasts six values of A (12 FMAs for 8 loads). When B is
 * small it stays in cache while row blocks stream through; when it is large (the late 1x1
 * convolutions), the loop runs over 16-column panels of B first, so each panel is read from
 * memory once. Column remainders use 8-wide blocks, then scalar code.
 */
#include <immintrin.h>

#include "be_internal.h"

static inline __m256 act8(__m256 v, int act) {
    if (act == BE_ACT_NONE) return v;
    v = _mm256_max_ps(v, _mm256_setzero_ps());
    if (act == BE_ACT_RELU6) v = _mm256_min_ps(v, _mm256_set1_ps(6.0f));
    return v;
}

static inline float act1(float v, int act) {
    if (act == BE_ACT_RELU) return v < 0.0f ? 0.0f : v;
    if (act == BE_ACT_RELU6) return v < 0.0f ? 0.0f : v > 6.0f ? 6.0f : v;
    return v;
}

/* rows x 16 block of C (rows <= 6, a compile-time constant at each call) */
static inline __attribute__((always_inline)) void block16(int rows, int k, const float *a,
                                                          int lda, const float *b, int ldb,
                                                          const float *bias, float *c, int ldc,
                                                          int act) {
    __m256 acc[6][2];
    __m256 b0 = _mm256_loadu_ps(bias), b1 = _mm256_loadu_ps(bias + 8);
    for (int r = 0; r < rows; r++) {
        acc[r][0] = b0;
        acc[r][1] = b1;
    }
    for (int p = 0; p < k; p++) {
        const float *bp = b + (size_t)p * ldb;
        __m256 w0 = _mm256_loadu_ps(bp), w1 = _mm256_loadu_ps(bp + 8);
        for (int r = 0; r < rows; r++) {
            __m256 x = _mm256_broadcast_ss(a + (size_t)r * lda + p);
            acc[r][0] = _mm256_fmadd_ps(x, w0, acc[r][0]);
            acc[r][1] = _mm256_fmadd_ps(x, w1, acc[r][1]);
        }
    }
    for (int r = 0; r < rows; r++) {
        _mm256_storeu_ps(c + (size_t)r * ldc, act8(acc[r][0], act));
        _mm256_storeu_ps(c + (size_t)r * ldc + 8, act8(acc[r][1], act));
    }
}

/* rows x 8 block */
static inline __attribute__((always_inline)) void block8(int rows, int k, const float *a,
                                                         int lda, const float *b, int ldb,
                                                         const float *bias, float *c, int ldc,
                                                         int act) {
    __m256 acc[6];
    __m256 b0 = _mm256_loadu_ps(bias);
    for (int r = 0; r < rows; r++) acc[r] = b0;
    for (int p = 0; p < k; p++) {
        __m256 w0 = _mm256_loadu_ps(b + (size_t)p * ldb);
        for (int r = 0; r < rows; r++)
            acc[r] = _mm256_fmadd_ps(_mm256_broadcast_ss(a + (size_t)r * lda + p), w0, acc[r]);
    }
    for (int r = 0; r < rows; r++) _mm256_storeu_ps(c + (size_t)r * ldc, act8(acc[r], act));
}

#define DISPATCH(fn, rows, ...)                 \
    switch (rows) {                             \
    case 6: fn(6, __VA_ARGS__); break;          \
    case 5: fn(5, __VA_ARGS__); break;          \
    case 4: fn(4, __VA_ARGS__); break;          \
    case 3: fn(3, __VA_ARGS__); break;          \
    case 2: fn(2, __VA_ARGS__); break;          \
    default: fn(1, __VA_ARGS__); break;         \
    }

static void columns(int i0, int rows, int j, int width, int k, const float *a, int lda,
                    const float *b, int n, const float *bias, float *c, int ldc, int act) {
    const float *ai = a + (size_t)i0 * lda;
    float *ci = c + (size_t)i0 * ldc + j;
    if (width == 16) {
        DISPATCH(block16, rows, k, ai, lda, b + j, n, bias + j, ci, ldc, act);
    } else {
        DISPATCH(block8, rows, k, ai, lda, b + j, n, bias + j, ci, ldc, act);
    }
}

static void gemm_avx2(int m, int n, int k, const float *a, int lda, const float *b,
                      const float *bias, float *c, int ldc, int act) {
    int n16 = n / 16 * 16, n8 = n / 8 * 8;
    int panels_first = (size_t)k * n * sizeof(float) > (256u << 10);
    if (panels_first) {
        for (int j = 0; j < n8; j += (j + 16 <= n16) ? 16 : 8) {
            int width = j + 16 <= n16 ? 16 : 8;
            for (int i = 0; i < m; i += 6)
                columns(i, m - i < 6 ? m - i : 6, j, width, k, a, lda, b, n, bias, c, ldc, act);
        }
    } else {
        for (int i = 0; i < m; i += 6) {
            int rows = m - i < 6 ? m - i : 6;
            for (int j = 0; j < n8; j += (j + 16 <= n16) ? 16 : 8)
                columns(i, rows, j, j + 16 <= n16 ? 16 : 8, k, a, lda, b, n, bias, c, ldc, act);
        }
    }
    if (n8 < n) { /* the last n % 8 columns */
        for (int i = 0; i < m; i++) {
            const float *ai = a + (size_t)i * lda;
            for (int j = n8; j < n; j++) {
                float s = bias[j];
                for (int p = 0; p < k; p++) s += ai[p] * b[(size_t)p * n + j];
                c[(size_t)i * ldc + j] = act1(s, act);
            }
        }
    }
}

static void depthwise_avx2(const float *in, int ih, int iw, int c, const float *w,
                           const float *bias, int kh, int kw, int sh, int sw, int pt, int pl,
                           float *out, int oh, int ow, int act) {
    int c8 = c / 8 * 8;
    for (int y = 0; y < oh; y++) {
        int iy0 = y * sh - pt;
        int ky0 = iy0 < 0 ? -iy0 : 0, ky1 = ih - iy0 < kh ? ih - iy0 : kh;
        for (int x = 0; x < ow; x++) {
            int ix0 = x * sw - pl;
            int kx0 = ix0 < 0 ? -ix0 : 0, kx1 = iw - ix0 < kw ? iw - ix0 : kw;
            float *o = out + ((size_t)y * ow + x) * c;
            for (int ch = 0; ch < c8; ch += 8) {
                __m256 acc = _mm256_loadu_ps(bias + ch);
                for (int ky = ky0; ky < ky1; ky++) {
                    const float *row = in + (size_t)(iy0 + ky) * iw * c + ch;
                    const float *wr = w + (size_t)ky * kw * c + ch;
                    for (int kx = kx0; kx < kx1; kx++)
                        acc = _mm256_fmadd_ps(_mm256_loadu_ps(row + (size_t)(ix0 + kx) * c),
                                              _mm256_loadu_ps(wr + (size_t)kx * c), acc);
                }
                _mm256_storeu_ps(o + ch, act8(acc, act));
            }
            for (int ch = c8; ch < c; ch++) {
                float s = bias[ch];
                for (int ky = ky0; ky < ky1; ky++)
                    for (int kx = kx0; kx < kx1; kx++)
                        s += in[((size_t)(iy0 + ky) * iw + ix0 + kx) * c + ch] *
                             w[((size_t)ky * kw + kx) * c + ch];
                o[ch] = act1(s, act);
            }
        }
    }
}

const be_kernel_table be_kernels_avx2 = {BE_KERNELS_AVX2, gemm_avx2, depthwise_avx2};
