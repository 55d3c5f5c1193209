/*
 * AVX2 + FMA kernels (x86-64), built when BE_HAVE_AVX2 is defined and chosen at run time
 * when the CPU has both extensions.
 *
 * The matrix product keeps a 6 x 16 block of C in twelve registers while it walks K: each step
 * loads one 16-float row of a B panel (64 contiguous bytes: the weights are stored in panels
 * of 16 columns) and broadcasts six values of A (12 FMAs for 8 loads). When B is small it stays
 * in cache while row blocks stream through; when it is large (the late 1x1 convolutions), the
 * loop runs over the panels first, so each is read from memory once. A last panel narrower
 * than 16 uses an 8-wide block, then scalar code.
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

/* the 6 x 16 block, written out: twelve accumulators stay in registers across K */
static void block6x16(int k, const float *a, int lda, const float *b, int ldb,
                      const float *bias, float *c, int ldc, int act) {
    const float *a0 = a, *a1 = a + lda, *a2 = a + 2 * (size_t)lda, *a3 = a + 3 * (size_t)lda;
    const float *a4 = a + 4 * (size_t)lda, *a5 = a + 5 * (size_t)lda;
    __m256 c00 = _mm256_loadu_ps(bias), c01 = _mm256_loadu_ps(bias + 8);
    __m256 c10 = c00, c11 = c01, c20 = c00, c21 = c01, c30 = c00, c31 = c01;
    __m256 c40 = c00, c41 = c01, c50 = c00, c51 = c01;
    for (int p = 0; p < k; p++, b += ldb) {
        __m256 w0 = _mm256_loadu_ps(b), w1 = _mm256_loadu_ps(b + 8), x;
        x = _mm256_broadcast_ss(a0 + p);
        c00 = _mm256_fmadd_ps(x, w0, c00);
        c01 = _mm256_fmadd_ps(x, w1, c01);
        x = _mm256_broadcast_ss(a1 + p);
        c10 = _mm256_fmadd_ps(x, w0, c10);
        c11 = _mm256_fmadd_ps(x, w1, c11);
        x = _mm256_broadcast_ss(a2 + p);
        c20 = _mm256_fmadd_ps(x, w0, c20);
        c21 = _mm256_fmadd_ps(x, w1, c21);
        x = _mm256_broadcast_ss(a3 + p);
        c30 = _mm256_fmadd_ps(x, w0, c30);
        c31 = _mm256_fmadd_ps(x, w1, c31);
        x = _mm256_broadcast_ss(a4 + p);
        c40 = _mm256_fmadd_ps(x, w0, c40);
        c41 = _mm256_fmadd_ps(x, w1, c41);
        x = _mm256_broadcast_ss(a5 + p);
        c50 = _mm256_fmadd_ps(x, w0, c50);
        c51 = _mm256_fmadd_ps(x, w1, c51);
    }
    _mm256_storeu_ps(c, act8(c00, act));
    _mm256_storeu_ps(c + 8, act8(c01, act));
    c += ldc;
    _mm256_storeu_ps(c, act8(c10, act));
    _mm256_storeu_ps(c + 8, act8(c11, act));
    c += ldc;
    _mm256_storeu_ps(c, act8(c20, act));
    _mm256_storeu_ps(c + 8, act8(c21, act));
    c += ldc;
    _mm256_storeu_ps(c, act8(c30, act));
    _mm256_storeu_ps(c + 8, act8(c31, act));
    c += ldc;
    _mm256_storeu_ps(c, act8(c40, act));
    _mm256_storeu_ps(c + 8, act8(c41, act));
    c += ldc;
    _mm256_storeu_ps(c, act8(c50, act));
    _mm256_storeu_ps(c + 8, act8(c51, act));
}

/* the 6 x 8 block (column remainders of 8) */
static void block6x8(int k, const float *a, int lda, const float *b, int ldb, const float *bias,
                     float *c, int ldc, int act) {
    const float *a0 = a, *a1 = a + lda, *a2 = a + 2 * (size_t)lda, *a3 = a + 3 * (size_t)lda;
    const float *a4 = a + 4 * (size_t)lda, *a5 = a + 5 * (size_t)lda;
    __m256 c0 = _mm256_loadu_ps(bias), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0;
    for (int p = 0; p < k; p++, b += ldb) {
        __m256 w = _mm256_loadu_ps(b);
        c0 = _mm256_fmadd_ps(_mm256_broadcast_ss(a0 + p), w, c0);
        c1 = _mm256_fmadd_ps(_mm256_broadcast_ss(a1 + p), w, c1);
        c2 = _mm256_fmadd_ps(_mm256_broadcast_ss(a2 + p), w, c2);
        c3 = _mm256_fmadd_ps(_mm256_broadcast_ss(a3 + p), w, c3);
        c4 = _mm256_fmadd_ps(_mm256_broadcast_ss(a4 + p), w, c4);
        c5 = _mm256_fmadd_ps(_mm256_broadcast_ss(a5 + p), w, c5);
    }
    _mm256_storeu_ps(c, act8(c0, act));
    _mm256_storeu_ps(c + ldc, act8(c1, act));
    _mm256_storeu_ps(c + 2 * (size_t)ldc, act8(c2, act));
    _mm256_storeu_ps(c + 3 * (size_t)ldc, act8(c3, act));
    _mm256_storeu_ps(c + 4 * (size_t)ldc, act8(c4, act));
    _mm256_storeu_ps(c + 5 * (size_t)ldc, act8(c5, act));
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

/* rows i0 .. i0 + rows - 1 of one panel: columns j0 .. j0 + width - 1, stored K x width */
static void panel_rows(int i0, int rows, int j0, int width, int k, const float *a, int lda,
                       const float *panel, const float *bias, float *c, int ldc, int act) {
    const float *ai = a + (size_t)i0 * lda;
    float *ci = c + (size_t)i0 * ldc + j0;
    const float *bj = bias + j0;
    if (width == 16) {
        if (rows == 6) {
            block6x16(k, ai, lda, panel, 16, bj, ci, ldc, act);
        } else {
            DISPATCH(block16, rows, k, ai, lda, panel, 16, bj, ci, ldc, act);
        }
        return;
    }
    int w8 = width / 8 * 8;
    if (w8) { /* a panel of 8 (the last one, when n % 16 == 8) */
        if (rows == 6) {
            block6x8(k, ai, lda, panel, width, bj, ci, ldc, act);
        } else {
            DISPATCH(block8, rows, k, ai, lda, panel, width, bj, ci, ldc, act);
        }
    }
    for (int r = 0; r < rows; r++) { /* the last width % 8 columns */
        for (int j = w8; j < width; j++) {
            float s = bj[j];
            for (int p = 0; p < k; p++) s += ai[(size_t)r * lda + p] * panel[(size_t)p * width + j];
            ci[(size_t)r * ldc + j] = act1(s, act);
        }
    }
}

static void gemm_avx2(int m, int n, int k, const float *a, int lda, const float *b,
                      const float *bias, float *c, int ldc, int act) {
    /* B is packed in panels of 16 columns (FORMAT.md): panel j0 starts at b + j0 * k */
    int panels_first = (size_t)k * n * sizeof(float) > (256u << 10);
    if (panels_first) { /* B is large: each panel streams through once */
        for (int j0 = 0; j0 < n; j0 += 16) {
            int width = n - j0 < 16 ? n - j0 : 16;
            for (int i = 0; i < m; i += 6)
                panel_rows(i, m - i < 6 ? m - i : 6, j0, width, k, a, lda, b + (size_t)j0 * k,
                           bias, c, ldc, act);
        }
    } else { /* B stays in cache: each block of rows meets every panel */
        for (int i = 0; i < m; i += 6) {
            int rows = m - i < 6 ? m - i : 6;
            for (int j0 = 0; j0 < n; j0 += 16)
                panel_rows(i, rows, j0, n - j0 < 16 ? n - j0 : 16, k, a, lda,
                           b + (size_t)j0 * k, bias, c, ldc, act);
        }
    }
}

/* one output pixel, every channel (borders: the taps are clipped to the input) */
static void depthwise_pixel(const float *in, int ih, int iw, int c, const float *w,
                            const float *bias, int kh, int kw, int iy0, int ix0, float *o,
                            int act) {
    int ky0 = iy0 < 0 ? -iy0 : 0, ky1 = ih - iy0 < kh ? ih - iy0 : kh;
    int kx0 = ix0 < 0 ? -ix0 : 0, kx1 = iw - ix0 < kw ? iw - ix0 : kw;
    int c8 = c / 8 * 8;
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

/* four neighbouring output pixels of a row, away from the left and right borders: each
 * weight vector is loaded once for four FMAs */
static void depthwise_four(const float *in, int ih, int iw, int c, const float *w,
                           const float *bias, int kh, int kw, int sw, int iy0, int ix0, float *o,
                           int act) {
    int ky0 = iy0 < 0 ? -iy0 : 0, ky1 = ih - iy0 < kh ? ih - iy0 : kh;
    size_t step = (size_t)sw * c;
    for (int ch = 0; ch < c; ch += 8) {
        __m256 a0 = _mm256_loadu_ps(bias + ch), a1 = a0, a2 = a0, a3 = a0;
        for (int ky = ky0; ky < ky1; ky++) {
            const float *p = in + ((size_t)(iy0 + ky) * iw + ix0) * c + ch;
            const float *wr = w + (size_t)ky * kw * c + ch;
            for (int kx = 0; kx < kw; kx++, p += c) {
                __m256 wv = _mm256_loadu_ps(wr + (size_t)kx * c);
                a0 = _mm256_fmadd_ps(_mm256_loadu_ps(p), wv, a0);
                a1 = _mm256_fmadd_ps(_mm256_loadu_ps(p + step), wv, a1);
                a2 = _mm256_fmadd_ps(_mm256_loadu_ps(p + 2 * step), wv, a2);
                a3 = _mm256_fmadd_ps(_mm256_loadu_ps(p + 3 * step), wv, a3);
            }
        }
        _mm256_storeu_ps(o + ch, act8(a0, act));
        _mm256_storeu_ps(o + c + ch, act8(a1, act));
        _mm256_storeu_ps(o + 2 * (size_t)c + ch, act8(a2, act));
        _mm256_storeu_ps(o + 3 * (size_t)c + ch, act8(a3, act));
    }
}

static void depthwise_avx2(const float *in, int ih, int iw, int c, const float *w,
                           const float *bias, int kh, int kw, int sh, int sw, int pt, int pl,
                           float *out, int oh, int ow, int act) {
    /* outputs whose taps all fall inside the row: x in [x_lo, x_hi) */
    int x_lo = (pl + sw - 1) / sw, x_hi = (iw - kw + pl) / sw + 1;
    if (x_hi > ow) x_hi = ow;
    if (x_lo > x_hi) x_lo = x_hi;
    int vector_rows = c % 8 == 0;
    for (int y = 0; y < oh; y++) {
        int iy0 = y * sh - pt;
        float *orow = out + (size_t)y * ow * c;
        int x = 0;
        for (; x < x_lo; x++)
            depthwise_pixel(in, ih, iw, c, w, bias, kh, kw, iy0, x * sw - pl, orow + (size_t)x * c, act);
        if (vector_rows)
            for (; x + 4 <= x_hi; x += 4)
                depthwise_four(in, ih, iw, c, w, bias, kh, kw, sw, iy0, x * sw - pl,
                               orow + (size_t)x * c, act);
        for (; x < ow; x++)
            depthwise_pixel(in, ih, iw, c, w, bias, kh, kw, iy0, x * sw - pl, orow + (size_t)x * c, act);
    }
}

const be_kernel_table be_kernels_avx2 = {BE_KERNELS_AVX2, gemm_avx2, depthwise_avx2};
