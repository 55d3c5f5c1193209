/*
 * What happens to a tile before a network sees it, computed exactly as the Python side does:
 *
 * - be_dihedral_*: element k of the square's symmetry group (numpy's rot90 by k % 4 quarter
 *   turns counter-clockwise, after a left-right mirror when k >= 4);
 * - be_resize_pil_bilinear: Pillow's 8-bit bilinear resize (Image.resize, BILINEAR): the
 *   filter widened by the scale factor, coefficients in double precision, normalised, turned
 *   into 22-bit fixed point, a horizontal pass into 8-bit rows, then a vertical pass;
 * - be_resize_aa_bilinear: PyTorch's interpolate(mode="bilinear", antialias=True,
 *   align_corners=False) of the uint8 tile divided by 255, in float: the same filter, weights
 *   normalised per output pixel, the width first, then the height; then clamped to [0, 1];
 * - be_normalize: (x - mean) / std per channel.
 */
#include <math.h>
#include <string.h>

#include "be_internal.h"

void be_dihedral_u8(const uint8_t *src, size_t row_stride, int size, int k, uint8_t *dst) {
    /* dst[i][j] = src[r][c]: numpy's rot90(m, t) has m_t[i][j] = m[j][n-1-i] for t = 1 */
    int n = size - 1;
    for (int i = 0; i < size; i++) {
        for (int j = 0; j < size; j++) {
            int r, c;
            switch (k & 3) {
            case 0: r = i; c = j; break;
            case 1: r = j; c = n - i; break;
            case 2: r = n - i; c = n - j; break;
            default: r = n - j; c = i; break;
            }
            if (k >= 4) c = n - c; /* the mirror is applied first, to the source */
            const uint8_t *p = src + (size_t)r * row_stride + (size_t)c * 3;
            uint8_t *q = dst + ((size_t)i * size + j) * 3;
            q[0] = p[0];
            q[1] = p[1];
            q[2] = p[2];
        }
    }
}

void be_dihedral_f32(const float *src, int size, int k, float *dst) {
    int n = size - 1;
    for (int i = 0; i < size; i++) {
        for (int j = 0; j < size; j++) {
            int r, c;
            switch (k & 3) {
            case 0: r = i; c = j; break;
            case 1: r = j; c = n - i; break;
            case 2: r = n - i; c = n - j; break;
            default: r = n - j; c = i; break;
            }
            if (k >= 4) c = n - c;
            memcpy(dst + ((size_t)i * size + j) * 3, src + ((size_t)r * size + c) * 3,
                   3 * sizeof(float));
        }
    }
}

/* ---- Pillow's bilinear resize of 8-bit images --------------------------------------- */

#define PRECISION_BITS (32 - 8 - 2)

static double bilinear_filter(double x) {
    if (x < 0.0) x = -x;
    if (x < 1.0) return 1.0 - x;
    return 0.0;
}

static int pil_ksize(int in_size, int out_size) {
    double scale = (double)in_size / out_size;
    double filterscale = scale < 1.0 ? 1.0 : scale;
    return (int)ceil(1.0 * filterscale) * 2 + 1;
}

size_t be_pil_scratch_bytes(int in_size, int out_size) {
    /* coefficients (double, reused as int32), bounds, and the horizontal pass's rows */
    size_t ksize = (size_t)pil_ksize(in_size, out_size);
    return ksize * (size_t)out_size * sizeof(double) + 2 * (size_t)out_size * sizeof(int) +
           (size_t)in_size * (size_t)out_size * 3;
}

/* coefficients of one axis, then normalised to fixed point in place (Pillow's
 * precompute_coeffs + normalize_coeffs_8bpc) */
static int pil_coeffs(int in_size, int out_size, double *kk, int *bounds) {
    double scale = (double)in_size / out_size;
    double filterscale = scale < 1.0 ? 1.0 : scale;
    double support = 1.0 * filterscale;
    int ksize = (int)ceil(support) * 2 + 1;
    for (int xx = 0; xx < out_size; xx++) {
        double center = 0.0 + (xx + 0.5) * scale;
        double ww = 0.0, ss = 1.0 / filterscale;
        int xmin = (int)(center - support + 0.5);
        if (xmin < 0) xmin = 0;
        int xmax = (int)(center + support + 0.5);
        if (xmax > in_size) xmax = in_size;
        xmax -= xmin;
        double *k = &kk[xx * ksize];
        int x;
        for (x = 0; x < xmax; x++) {
            double w = bilinear_filter((x + xmin - center + 0.5) * ss);
            k[x] = w;
            ww += w;
        }
        for (x = 0; x < xmax; x++) {
            if (ww != 0.0) k[x] /= ww;
        }
        for (; x < ksize; x++) k[x] = 0;
        bounds[xx * 2 + 0] = xmin;
        bounds[xx * 2 + 1] = xmax;
    }
    int32_t *fixed = (int32_t *)kk; /* Pillow reuses the buffer: int32 i overwrites double i/2 */
    for (int x = 0; x < out_size * ksize; x++) {
        double v = kk[x];
        fixed[x] = v < 0 ? (int32_t)(-0.5 + v * (1 << PRECISION_BITS))
                         : (int32_t)(0.5 + v * (1 << PRECISION_BITS));
    }
    return ksize;
}

static uint8_t clip8(int32_t in) {
    int32_t v = in >> PRECISION_BITS;
    return v < 0 ? 0 : v > 255 ? 255 : (uint8_t)v;
}

void be_resize_pil_bilinear(const uint8_t *src, int in_size, uint8_t *dst, int out_size,
                            void *scratch) {
    if (out_size == in_size) {
        memcpy(dst, src, (size_t)in_size * in_size * 3);
        return;
    }
    size_t ksize0 = (size_t)pil_ksize(in_size, out_size);
    double *coeffs = scratch;
    int *bounds = (int *)(coeffs + ksize0 * (size_t)out_size);
    uint8_t *tmp = (uint8_t *)(bounds + 2 * (size_t)out_size);
    /* horizontal pass: every source row (the vertical filter reaches them all for a square
     * resize of the whole tile) into in_size x out_size */
    int ksize = pil_coeffs(in_size, out_size, coeffs, bounds);
    const int32_t *kk = (const int32_t *)coeffs;
    for (int yy = 0; yy < in_size; yy++) {
        for (int xx = 0; xx < out_size; xx++) {
            int xmin = bounds[xx * 2], xmax = bounds[xx * 2 + 1];
            const int32_t *k = &kk[xx * ksize];
            int32_t s0 = 1 << (PRECISION_BITS - 1), s1 = s0, s2 = s0;
            const uint8_t *row = src + ((size_t)yy * in_size + xmin) * 3;
            for (int x = 0; x < xmax; x++) {
                s0 += row[x * 3 + 0] * k[x];
                s1 += row[x * 3 + 1] * k[x];
                s2 += row[x * 3 + 2] * k[x];
            }
            uint8_t *o = tmp + ((size_t)yy * out_size + xx) * 3;
            o[0] = clip8(s0);
            o[1] = clip8(s1);
            o[2] = clip8(s2);
        }
    }
    /* vertical pass (the same coefficients: the tile is square) */
    for (int yy = 0; yy < out_size; yy++) {
        const int32_t *k = &kk[yy * ksize];
        int ymin = bounds[yy * 2], ymax = bounds[yy * 2 + 1];
        for (int xx = 0; xx < out_size; xx++) {
            int32_t s0 = 1 << (PRECISION_BITS - 1), s1 = s0, s2 = s0;
            for (int y = 0; y < ymax; y++) {
                const uint8_t *p = tmp + ((size_t)(y + ymin) * out_size + xx) * 3;
                s0 += p[0] * k[y];
                s1 += p[1] * k[y];
                s2 += p[2] * k[y];
            }
            uint8_t *o = dst + ((size_t)yy * out_size + xx) * 3;
            o[0] = clip8(s0);
            o[1] = clip8(s1);
            o[2] = clip8(s2);
        }
    }
}

/* ---- PyTorch's antialiased bilinear interpolation ------------------------------------ */

#define AA_MAX_TAPS 64

static float aa_filter(float x) {
    x = fabsf(x);
    return x < 1.0f ? 1.0f - x : 0.0f;
}

/* weights of output index i: taps [xmin, xmin + xsize) */
static int aa_weights(int i, int in_size, float scale, float support, float *w, int *xmin_out) {
    float center = (float)((double)scale * ((double)i + 0.5));
    float invscale = scale >= 1.0f ? 1.0f / scale : 1.0f;
    long xmin = (long)((double)(center - support) + 0.5);
    if (xmin < 0) xmin = 0;
    long xmax = (long)((double)(center + support) + 0.5);
    if (xmax > in_size) xmax = in_size;
    int xsize = (int)(xmax - xmin);
    if (xsize > AA_MAX_TAPS) xsize = AA_MAX_TAPS;
    float total = 0.0f;
    for (int j = 0; j < xsize; j++) {
        float d = (float)(j + xmin) - center;
        float v = aa_filter((float)(((double)d + 0.5) * (double)invscale));
        w[j] = v;
        total += v;
    }
    if (total != 0.0f) {
        for (int j = 0; j < xsize; j++) w[j] /= total;
    }
    *xmin_out = (int)xmin;
    return xsize;
}

void be_resize_aa_bilinear(const uint8_t *src, int in_size, float *tmp, float *dst,
                           int out_size) {
    float scale = (float)in_size / (float)out_size;
    float support = scale >= 1.0f ? scale : 1.0f;
    float w[AA_MAX_TAPS];
    int xmin;
    if (out_size == in_size) {
        for (size_t i = 0; i < (size_t)in_size * in_size * 3; i++) dst[i] = src[i] / 255.0f;
        return;
    }
    /* width: in_size rows of out_size pixels */
    for (int xx = 0; xx < out_size; xx++) {
        int n = aa_weights(xx, in_size, scale, support, w, &xmin);
        for (int y = 0; y < in_size; y++) {
            const uint8_t *p = src + ((size_t)y * in_size + xmin) * 3;
            float *o = tmp + ((size_t)y * out_size + xx) * 3;
            for (int ch = 0; ch < 3; ch++) {
                float acc = (p[ch] / 255.0f) * w[0];
                for (int j = 1; j < n; j++) acc += (p[j * 3 + ch] / 255.0f) * w[j];
                o[ch] = acc;
            }
        }
    }
    /* height */
    for (int yy = 0; yy < out_size; yy++) {
        int n = aa_weights(yy, in_size, scale, support, w, &xmin);
        for (int x = 0; x < out_size; x++) {
            float *o = dst + ((size_t)yy * out_size + x) * 3;
            for (int ch = 0; ch < 3; ch++) {
                const float *p = tmp + ((size_t)xmin * out_size + x) * 3 + ch;
                float acc = p[0] * w[0];
                for (int j = 1; j < n; j++) acc += p[(size_t)j * out_size * 3] * w[j];
                o[ch] = acc < 0.0f ? 0.0f : acc > 1.0f ? 1.0f : acc;
            }
        }
    }
}

void be_normalize(float *x, int pixels, const float mean[3], const float std[3]) {
    for (int i = 0; i < pixels; i++) {
        for (int ch = 0; ch < 3; ch++) x[i * 3 + ch] = (x[i * 3 + ch] - mean[ch]) / std[ch];
    }
}
