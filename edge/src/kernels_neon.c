/*
 * NEON kernels (AArch64, where NEON is always present), built when BE_HAVE_NEON is defined.
 *
 * The matrix product keeps a 6 x 8 block of C in twelve 4-float registers while it walks K
 * over one panel of B (stored in panels of 16 columns, FORMAT.md); narrower column remainders
 * use 4-wide vectors, then scalar code. The depthwise convolution works on 4 channels at once.
 */
#include <arm_neon.h>

#include "be_internal.h"

static inline float32x4_t act4(float32x4_t v, int act) {
    if (act == BE_ACT_NONE) return v;
    v = vmaxq_f32(v, vdupq_n_f32(0.0f));
    if (act == BE_ACT_RELU6) v = vminq_f32(v, vdupq_n_f32(6.0f));
    return v;
}

static inline float act1(float v, int act) {
    if (act == BE_ACT_RELU) return v < 0.0f ? 0.0f : v;
    if (act == BE_ACT_RELU6) return v < 0.0f ? 0.0f : v > 6.0f ? 6.0f : v;
    return v;
}

/* rows x 8 block (rows <= 6, a compile-time constant at each call) */
static inline __attribute__((always_inline)) void block8(int rows, int k, const float *a,
                                                         int lda, const float *b, int ldb,
                                                         const float *bias, float *c, int ldc,
                                                         int act) {
    float32x4_t acc[6][2];
    float32x4_t b0 = vld1q_f32(bias), b1 = vld1q_f32(bias + 4);
    for (int r = 0; r < rows; r++) {
        acc[r][0] = b0;
        acc[r][1] = b1;
    }
    for (int p = 0; p < k; p++) {
        const float *bp = b + (size_t)p * ldb;
        float32x4_t w0 = vld1q_f32(bp), w1 = vld1q_f32(bp + 4);
        for (int r = 0; r < rows; r++) {
            float32x4_t x = vdupq_n_f32(a[(size_t)r * lda + p]);
            acc[r][0] = vfmaq_f32(acc[r][0], x, w0);
            acc[r][1] = vfmaq_f32(acc[r][1], x, w1);
        }
    }
    for (int r = 0; r < rows; r++) {
        vst1q_f32(c + (size_t)r * ldc, act4(acc[r][0], act));
        vst1q_f32(c + (size_t)r * ldc + 4, act4(acc[r][1], act));
    }
}

/* rows x 4 block */
static inline __attribute__((always_inline)) void block4(int rows, int k, const float *a,
                                                         int lda, const float *b, int ldb,
                                                         const float *bias, float *c, int ldc,
                                                         int act) {
    float32x4_t acc[6];
    for (int r = 0; r < rows; r++) acc[r] = vld1q_f32(bias);
    for (int p = 0; p < k; p++) {
        float32x4_t w0 = vld1q_f32(b + (size_t)p * ldb);
        for (int r = 0; r < rows; r++)
            acc[r] = vfmaq_f32(acc[r], vdupq_n_f32(a[(size_t)r * lda + p]), w0);
    }
    for (int r = 0; r < rows; r++) vst1q_f32(c + (size_t)r * ldc, act4(acc[r], act));
}

#define DISPATCH(fn, rows, ...)        \
    switch (rows) {                    \
    case 6: fn(6, __VA_ARGS__); break; \
    case 5: fn(5, __VA_ARGS__); break; \
    case 4: fn(4, __VA_ARGS__); break; \
    case 3: fn(3, __VA_ARGS__); break; \
    case 2: fn(2, __VA_ARGS__); break; \
    default: fn(1, __VA_ARGS__); break; \
    }

static void gemm_neon(int m, int n, int k, const float *a, int lda, const float *b,
                      const float *bias, float *c, int ldc, int act) {
    for (int i = 0; i < m; i += 6) {
        int rows = m - i < 6 ? m - i : 6;
        const float *ai = a + (size_t)i * lda;
        for (int j0 = 0; j0 < n; j0 += 16) {
            int width = n - j0 < 16 ? n - j0 : 16;
            const float *panel = b + (size_t)j0 * k;
            float *ci = c + (size_t)i * ldc + j0;
            int j = 0;
            for (; j + 8 <= width; j += 8)
                DISPATCH(block8, rows, k, ai, lda, panel + j, width, bias + j0 + j, ci + j, ldc,
                         act);
            for (; j + 4 <= width; j += 4)
                DISPATCH(block4, rows, k, ai, lda, panel + j, width, bias + j0 + j, ci + j, ldc,
                         act);
            for (int r = 0; r < rows; r++) {
                for (int jj = j; jj < width; jj++) {
                    float s = bias[j0 + jj];
                    for (int p = 0; p < k; p++)
                        s += ai[(size_t)r * lda + p] * panel[(size_t)p * width + jj];
                    ci[(size_t)r * ldc + jj] = act1(s, act);
                }
            }
        }
    }
}

static void depthwise_neon(const float *in, int ih, int iw, int c, const float *w,
                           const float *bias, int kh, int kw, int sh, int sw, int pt, int pl,
                           float *out, int oh, int ow, int act) {
    int c4 = c / 4 * 4;
    for (int y = 0; y < oh; y++) {
        int iy0 = y * sh - pt;
        int ky0 = iy0 < 0 ? -iy0 : 0, ky1 = ih - iy0 < kh ? ih - iy0 : kh;
        for (int x = 0; x < ow; x++) {
            int ix0 = x * sw - pl;
            int kx0 = ix0 < 0 ? -ix0 : 0, kx1 = iw - ix0 < kw ? iw - ix0 : kw;
            float *o = out + ((size_t)y * ow + x) * c;
            for (int ch = 0; ch < c4; ch += 4) {
                float32x4_t acc = vld1q_f32(bias + ch);
                for (int ky = ky0; ky < ky1; ky++) {
                    const float *row = in + (size_t)(iy0 + ky) * iw * c + ch;
                    const float *wr = w + (size_t)ky * kw * c + ch;
                    for (int kx = kx0; kx < kx1; kx++)
                        acc = vfmaq_f32(acc, vld1q_f32(row + (size_t)(ix0 + kx) * c),
                                        vld1q_f32(wr + (size_t)kx * c));
                }
                vst1q_f32(o + ch, act4(acc, act));
            }
            for (int ch = c4; ch < c; ch++) {
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

const be_kernel_table be_kernels_neon = {BE_KERNELS_NEON, gemm_neon, depthwise_neon};
