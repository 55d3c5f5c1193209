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

/* the source pixel (r, c) of output pixel (i, j) under view k of an n x n square: numpy's
 * rot90(m, t) has m_t[i][j] = m[j][n-1-i] for t = 1; the mirror is applied first, to the source */
static void dihedral_source(int k, int n, int i, int j, int *r, int *c) {
    int last = n - 1;
    switch (k & 3) {
    case 0: *r = i; *c = j; break;
    case 1: *r = j; *c = last - i; break;
    case 2: *r = last - i; *c = last - j; break;
    default: *r = last - j; *c = i; break;
    }
    if (k >= 4) *c = last - *c;
}

void be_dihedral_u8(const uint8_t *src, size_t row_stride, int size, int k, uint8_t *dst) {
    for (int i = 0; i < size; i++) {
        for (int j = 0; j < size; j++) {
            int r, c;
            dihedral_source(k, size, i, j, &r, &c);
            const uint8_t *p = src + (size_t)r * row_stride + (size_t)c * 3;
            uint8_t *q = dst + ((size_t)i * size + j) * 3;
            q[0] = p[0];
            q[1] = p[1];
            q[2] = p[2];
        }
    }
}

void be_dihedral_f32(const float *src, int size, int k, float *dst) {
    for (int i = 0; i < size; i++) {
        for (int j = 0; j < size; j++) {
            int r, c;
            dihedral_source(k, size, i, j, &r, &c);
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

/* u / 255 in float32 for every byte, as PyTorch divides the uint8 tensor (correctly rounded) */
static const float UNIT[256] = {
    0x0.0p+0f, 0x1.0101020000000p-8f, 0x1.0101020000000p-7f, 0x1.8181820000000p-7f,
    0x1.0101020000000p-6f, 0x1.4141420000000p-6f, 0x1.8181820000000p-6f, 0x1.c1c1c20000000p-6f,
    0x1.0101020000000p-5f, 0x1.2121220000000p-5f, 0x1.4141420000000p-5f, 0x1.6161620000000p-5f,
    0x1.8181820000000p-5f, 0x1.a1a1a20000000p-5f, 0x1.c1c1c20000000p-5f, 0x1.e1e1e20000000p-5f,
    0x1.0101020000000p-4f, 0x1.1111120000000p-4f, 0x1.2121220000000p-4f, 0x1.3131320000000p-4f,
    0x1.4141420000000p-4f, 0x1.5151520000000p-4f, 0x1.6161620000000p-4f, 0x1.7171720000000p-4f,
    0x1.8181820000000p-4f, 0x1.9191920000000p-4f, 0x1.a1a1a20000000p-4f, 0x1.b1b1b20000000p-4f,
    0x1.c1c1c20000000p-4f, 0x1.d1d1d20000000p-4f, 0x1.e1e1e20000000p-4f, 0x1.f1f1f20000000p-4f,
    0x1.0101020000000p-3f, 0x1.09090a0000000p-3f, 0x1.1111120000000p-3f, 0x1.19191a0000000p-3f,
    0x1.2121220000000p-3f, 0x1.29292a0000000p-3f, 0x1.3131320000000p-3f, 0x1.39393a0000000p-3f,
    0x1.4141420000000p-3f, 0x1.49494a0000000p-3f, 0x1.5151520000000p-3f, 0x1.59595a0000000p-3f,
    0x1.6161620000000p-3f, 0x1.69696a0000000p-3f, 0x1.7171720000000p-3f, 0x1.79797a0000000p-3f,
    0x1.8181820000000p-3f, 0x1.89898a0000000p-3f, 0x1.9191920000000p-3f, 0x1.99999a0000000p-3f,
    0x1.a1a1a20000000p-3f, 0x1.a9a9aa0000000p-3f, 0x1.b1b1b20000000p-3f, 0x1.b9b9ba0000000p-3f,
    0x1.c1c1c20000000p-3f, 0x1.c9c9ca0000000p-3f, 0x1.d1d1d20000000p-3f, 0x1.d9d9da0000000p-3f,
    0x1.e1e1e20000000p-3f, 0x1.e9e9ea0000000p-3f, 0x1.f1f1f20000000p-3f, 0x1.f9f9fa0000000p-3f,
    0x1.0101020000000p-2f, 0x1.0505060000000p-2f, 0x1.09090a0000000p-2f, 0x1.0d0d0e0000000p-2f,
    0x1.1111120000000p-2f, 0x1.1515160000000p-2f, 0x1.19191a0000000p-2f, 0x1.1d1d1e0000000p-2f,
    0x1.2121220000000p-2f, 0x1.2525260000000p-2f, 0x1.29292a0000000p-2f, 0x1.2d2d2e0000000p-2f,
    0x1.3131320000000p-2f, 0x1.3535360000000p-2f, 0x1.39393a0000000p-2f, 0x1.3d3d3e0000000p-2f,
    0x1.4141420000000p-2f, 0x1.4545460000000p-2f, 0x1.49494a0000000p-2f, 0x1.4d4d4e0000000p-2f,
    0x1.5151520000000p-2f, 0x1.5555560000000p-2f, 0x1.59595a0000000p-2f, 0x1.5d5d5e0000000p-2f,
    0x1.6161620000000p-2f, 0x1.6565660000000p-2f, 0x1.69696a0000000p-2f, 0x1.6d6d6e0000000p-2f,
    0x1.7171720000000p-2f, 0x1.7575760000000p-2f, 0x1.79797a0000000p-2f, 0x1.7d7d7e0000000p-2f,
    0x1.8181820000000p-2f, 0x1.8585860000000p-2f, 0x1.89898a0000000p-2f, 0x1.8d8d8e0000000p-2f,
    0x1.9191920000000p-2f, 0x1.9595960000000p-2f, 0x1.99999a0000000p-2f, 0x1.9d9d9e0000000p-2f,
    0x1.a1a1a20000000p-2f, 0x1.a5a5a60000000p-2f, 0x1.a9a9aa0000000p-2f, 0x1.adadae0000000p-2f,
    0x1.b1b1b20000000p-2f, 0x1.b5b5b60000000p-2f, 0x1.b9b9ba0000000p-2f, 0x1.bdbdbe0000000p-2f,
    0x1.c1c1c20000000p-2f, 0x1.c5c5c60000000p-2f, 0x1.c9c9ca0000000p-2f, 0x1.cdcdce0000000p-2f,
    0x1.d1d1d20000000p-2f, 0x1.d5d5d60000000p-2f, 0x1.d9d9da0000000p-2f, 0x1.ddddde0000000p-2f,
    0x1.e1e1e20000000p-2f, 0x1.e5e5e60000000p-2f, 0x1.e9e9ea0000000p-2f, 0x1.ededee0000000p-2f,
    0x1.f1f1f20000000p-2f, 0x1.f5f5f60000000p-2f, 0x1.f9f9fa0000000p-2f, 0x1.fdfdfe0000000p-2f,
    0x1.0101020000000p-1f, 0x1.0303040000000p-1f, 0x1.0505060000000p-1f, 0x1.0707080000000p-1f,
    0x1.09090a0000000p-1f, 0x1.0b0b0c0000000p-1f, 0x1.0d0d0e0000000p-1f, 0x1.0f0f100000000p-1f,
    0x1.1111120000000p-1f, 0x1.1313140000000p-1f, 0x1.1515160000000p-1f, 0x1.1717180000000p-1f,
    0x1.19191a0000000p-1f, 0x1.1b1b1c0000000p-1f, 0x1.1d1d1e0000000p-1f, 0x1.1f1f200000000p-1f,
    0x1.2121220000000p-1f, 0x1.2323240000000p-1f, 0x1.2525260000000p-1f, 0x1.2727280000000p-1f,
    0x1.29292a0000000p-1f, 0x1.2b2b2c0000000p-1f, 0x1.2d2d2e0000000p-1f, 0x1.2f2f300000000p-1f,
    0x1.3131320000000p-1f, 0x1.3333340000000p-1f, 0x1.3535360000000p-1f, 0x1.3737380000000p-1f,
    0x1.39393a0000000p-1f, 0x1.3b3b3c0000000p-1f, 0x1.3d3d3e0000000p-1f, 0x1.3f3f400000000p-1f,
    0x1.4141420000000p-1f, 0x1.4343440000000p-1f, 0x1.4545460000000p-1f, 0x1.4747480000000p-1f,
    0x1.49494a0000000p-1f, 0x1.4b4b4c0000000p-1f, 0x1.4d4d4e0000000p-1f, 0x1.4f4f500000000p-1f,
    0x1.5151520000000p-1f, 0x1.5353540000000p-1f, 0x1.5555560000000p-1f, 0x1.5757580000000p-1f,
    0x1.59595a0000000p-1f, 0x1.5b5b5c0000000p-1f, 0x1.5d5d5e0000000p-1f, 0x1.5f5f600000000p-1f,
    0x1.6161620000000p-1f, 0x1.6363640000000p-1f, 0x1.6565660000000p-1f, 0x1.6767680000000p-1f,
    0x1.69696a0000000p-1f, 0x1.6b6b6c0000000p-1f, 0x1.6d6d6e0000000p-1f, 0x1.6f6f700000000p-1f,
    0x1.7171720000000p-1f, 0x1.7373740000000p-1f, 0x1.7575760000000p-1f, 0x1.7777780000000p-1f,
    0x1.79797a0000000p-1f, 0x1.7b7b7c0000000p-1f, 0x1.7d7d7e0000000p-1f, 0x1.7f7f800000000p-1f,
    0x1.8181820000000p-1f, 0x1.8383840000000p-1f, 0x1.8585860000000p-1f, 0x1.8787880000000p-1f,
    0x1.89898a0000000p-1f, 0x1.8b8b8c0000000p-1f, 0x1.8d8d8e0000000p-1f, 0x1.8f8f900000000p-1f,
    0x1.9191920000000p-1f, 0x1.9393940000000p-1f, 0x1.9595960000000p-1f, 0x1.9797980000000p-1f,
    0x1.99999a0000000p-1f, 0x1.9b9b9c0000000p-1f, 0x1.9d9d9e0000000p-1f, 0x1.9f9fa00000000p-1f,
    0x1.a1a1a20000000p-1f, 0x1.a3a3a40000000p-1f, 0x1.a5a5a60000000p-1f, 0x1.a7a7a80000000p-1f,
    0x1.a9a9aa0000000p-1f, 0x1.ababac0000000p-1f, 0x1.adadae0000000p-1f, 0x1.afafb00000000p-1f,
    0x1.b1b1b20000000p-1f, 0x1.b3b3b40000000p-1f, 0x1.b5b5b60000000p-1f, 0x1.b7b7b80000000p-1f,
    0x1.b9b9ba0000000p-1f, 0x1.bbbbbc0000000p-1f, 0x1.bdbdbe0000000p-1f, 0x1.bfbfc00000000p-1f,
    0x1.c1c1c20000000p-1f, 0x1.c3c3c40000000p-1f, 0x1.c5c5c60000000p-1f, 0x1.c7c7c80000000p-1f,
    0x1.c9c9ca0000000p-1f, 0x1.cbcbcc0000000p-1f, 0x1.cdcdce0000000p-1f, 0x1.cfcfd00000000p-1f,
    0x1.d1d1d20000000p-1f, 0x1.d3d3d40000000p-1f, 0x1.d5d5d60000000p-1f, 0x1.d7d7d80000000p-1f,
    0x1.d9d9da0000000p-1f, 0x1.dbdbdc0000000p-1f, 0x1.ddddde0000000p-1f, 0x1.dfdfe00000000p-1f,
    0x1.e1e1e20000000p-1f, 0x1.e3e3e40000000p-1f, 0x1.e5e5e60000000p-1f, 0x1.e7e7e80000000p-1f,
    0x1.e9e9ea0000000p-1f, 0x1.ebebec0000000p-1f, 0x1.ededee0000000p-1f, 0x1.efeff00000000p-1f,
    0x1.f1f1f20000000p-1f, 0x1.f3f3f40000000p-1f, 0x1.f5f5f60000000p-1f, 0x1.f7f7f80000000p-1f,
    0x1.f9f9fa0000000p-1f, 0x1.fbfbfc0000000p-1f, 0x1.fdfdfe0000000p-1f, 0x1.0000000000000p+0f,
};

static float aa_filter(float x) {
    x = fabsf(x);
    return x < 1.0f ? 1.0f - x : 0.0f;
}

static int aa_taps(int in_size, int out_size) {
    float scale = (float)in_size / (float)out_size;
    float support = scale >= 1.0f ? scale : 1.0f;
    return (int)ceilf(support) * 2 + 1;
}

size_t be_aa_scratch_bytes(int in_size, int out_size) {
    /* the width pass (in_size rows of out_size pixels), then weights and first taps */
    return (size_t)in_size * out_size * 3 * sizeof(float) +
           (size_t)out_size * aa_taps(in_size, out_size) * sizeof(float) +
           2 * (size_t)out_size * sizeof(int);
}

/* weights of every output index (PyTorch's _compute_indices_min_size_weights_aa, float) */
static void aa_weights(int in_size, int out_size, int taps, float *weights, int *first,
                       int *count) {
    float scale = (float)in_size / (float)out_size;
    float support = scale >= 1.0f ? scale : 1.0f;
    float invscale = scale >= 1.0f ? 1.0f / scale : 1.0f;
    for (int i = 0; i < out_size; i++) {
        float *w = weights + (size_t)i * taps;
        float center = (float)((double)scale * ((double)i + 0.5));
        long xmin = (long)((double)(center - support) + 0.5);
        if (xmin < 0) xmin = 0;
        long xmax = (long)((double)(center + support) + 0.5);
        if (xmax > in_size) xmax = in_size;
        int n = (int)(xmax - xmin);
        if (n > taps) n = taps;
        float total = 0.0f;
        for (int j = 0; j < n; j++) {
            float d = (float)(j + xmin) - center;
            w[j] = aa_filter((float)(((double)d + 0.5) * (double)invscale));
            total += w[j];
        }
        if (total != 0.0f)
            for (int j = 0; j < n; j++) w[j] /= total;
        first[i] = (int)xmin;
        count[i] = n;
    }
}

void be_resize_aa_bilinear(const uint8_t *src, int in_size, float *dst, int out_size,
                           void *scratch) {
    const float *unit = UNIT;
    if (out_size == in_size) {
        for (size_t i = 0; i < (size_t)in_size * in_size * 3; i++) dst[i] = unit[src[i]];
        return;
    }
    int taps = aa_taps(in_size, out_size);
    float *tmp = scratch;
    float *weights = tmp + (size_t)in_size * out_size * 3;
    int *first = (int *)(weights + (size_t)out_size * taps), *count = first + out_size;
    aa_weights(in_size, out_size, taps, weights, first, count);
    /* width: in_size rows of out_size pixels */
    for (int y = 0; y < in_size; y++) {
        const uint8_t *row = src + (size_t)y * in_size * 3;
        float *o = tmp + (size_t)y * out_size * 3;
        for (int xx = 0; xx < out_size; xx++, o += 3) {
            const float *w = weights + (size_t)xx * taps;
            const uint8_t *p = row + (size_t)first[xx] * 3;
            float a0 = unit[p[0]] * w[0], a1 = unit[p[1]] * w[0], a2 = unit[p[2]] * w[0];
            for (int j = 1; j < count[xx]; j++) {
                a0 += unit[p[j * 3 + 0]] * w[j];
                a1 += unit[p[j * 3 + 1]] * w[j];
                a2 += unit[p[j * 3 + 2]] * w[j];
            }
            o[0] = a0;
            o[1] = a1;
            o[2] = a2;
        }
    }
    /* height, then clamped to [0, 1] */
    size_t row_len = (size_t)out_size * 3;
    for (int yy = 0; yy < out_size; yy++) {
        const float *w = weights + (size_t)yy * taps;
        const float *base = tmp + (size_t)first[yy] * row_len;
        float *o = dst + (size_t)yy * row_len;
        for (size_t x = 0; x < row_len; x++) {
            float acc = base[x] * w[0];
            for (int j = 1; j < count[yy]; j++) acc += base[(size_t)j * row_len + x] * w[j];
            o[x] = acc < 0.0f ? 0.0f : acc > 1.0f ? 1.0f : acc;
        }
    }
}

void be_normalize(float *x, int pixels, const float mean[3], const float std[3]) {
    for (int i = 0; i < pixels; i++) {
        for (int ch = 0; ch < 3; ch++) x[i * 3 + ch] = (x[i * 3 + ch] - mean[ch]) / std[ch];
    }
}
