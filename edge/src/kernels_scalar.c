/*
 * The portable kernels, always built: a matrix product with bias and activation (every dense
 * convolution and dense layer goes through it; its B is stored in panels of 16 columns) and a
 * depthwise convolution, both on HWC data.
 */
#include "be_internal.h"

static float activate(float v, int act) {
    if (act == BE_ACT_RELU) return v < 0.0f ? 0.0f : v;
    if (act == BE_ACT_RELU6) return v < 0.0f ? 0.0f : v > 6.0f ? 6.0f : v;
    return v;
}

static void gemm_scalar(int m, int n, int k, const float *a, int lda, const float *b,
                        const float *bias, float *c, int ldc, int act) {
    /* B is packed in panels of 16 columns (FORMAT.md): panel j0 is K x width at b + j0 * k */
    for (int i = 0; i < m; i++) {
        float *row = c + (size_t)i * ldc;
        const float *ai = a + (size_t)i * lda;
        for (int j0 = 0; j0 < n; j0 += 16) {
            int width = n - j0 < 16 ? n - j0 : 16;
            const float *panel = b + (size_t)j0 * k;
            float acc[16];
            for (int j = 0; j < width; j++) acc[j] = bias[j0 + j];
            for (int p = 0; p < k; p++) {
                float v = ai[p];
                const float *bp = panel + (size_t)p * width;
                for (int j = 0; j < width; j++) acc[j] += v * bp[j];
            }
            for (int j = 0; j < width; j++) row[j0 + j] = activate(acc[j], act);
        }
    }
}

static void depthwise_scalar(const float *in, int ih, int iw, int c, const float *w,
                             const float *bias, int kh, int kw, int sh, int sw, int pt, int pl,
                             float *out, int oh, int ow, int act) {
    for (int y = 0; y < oh; y++) {
        for (int x = 0; x < ow; x++) {
            float *o = out + ((size_t)y * ow + x) * c;
            for (int ch = 0; ch < c; ch++) o[ch] = bias[ch];
            for (int ky = 0; ky < kh; ky++) {
                int iy = y * sh + ky - pt;
                if (iy < 0 || iy >= ih) continue;
                for (int kx = 0; kx < kw; kx++) {
                    int ix = x * sw + kx - pl;
                    if (ix < 0 || ix >= iw) continue;
                    const float *p = in + ((size_t)iy * iw + ix) * c;
                    const float *wk = w + ((size_t)ky * kw + kx) * c;
                    for (int ch = 0; ch < c; ch++) o[ch] += p[ch] * wk[ch];
                }
            }
            for (int ch = 0; ch < c; ch++) o[ch] = activate(o[ch], act);
        }
    }
}

const be_kernel_table be_kernels_scalar = {BE_KERNELS_SCALAR, gemm_scalar, depthwise_scalar};
