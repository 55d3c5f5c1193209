/*
 * Unit tests of the kernels, plain asserts: each kernel set (scalar always, AVX2 or NEON when
 * built and supported) against a naive double-precision reference on random shapes, including
 * every remainder case; the preprocessing helpers against their definitions; the CRC-32
 * against its standard check value.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "be_internal.h"

static int failures = 0;

#define CHECK(cond, ...)                                  \
    do {                                                  \
        if (!(cond)) {                                    \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
            fprintf(stderr, __VA_ARGS__);                 \
            fprintf(stderr, "\n");                        \
            failures++;                                   \
        }                                                 \
    } while (0)

static unsigned long long rng_state = 42;
static float uniform(void) { /* in [-1, 1) */
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (float)((rng_state >> 40) / (double)(1ULL << 24)) * 2.0f - 1.0f;
}

static void fill(float *x, size_t n) {
    for (size_t i = 0; i < n; i++) x[i] = uniform();
}

static double act_ref(double v, int act) {
    if (act == BE_ACT_RELU) return v < 0 ? 0 : v;
    if (act == BE_ACT_RELU6) return v < 0 ? 0 : v > 6 ? 6 : v;
    return v;
}

static void test_gemm(const be_kernel_table *kt) {
    static const int shapes[][3] = {{1, 4, 1280}, {7, 3, 5},   {6, 16, 8},  {13, 24, 27},
                                    {49, 192, 1152}, {25, 2, 1280}, {12, 96, 16}, {5, 40, 7},
                                    {1, 8, 1}, {64, 320, 1152}, {9, 28, 11}, {3, 44, 9}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        int m = shapes[s][0], n = shapes[s][1], k = shapes[s][2];
        int lda = k + 3, ldc = n + 5; /* strides wider than the rows */
        float *a = malloc(sizeof(float) * (size_t)m * lda), *b = malloc(sizeof(float) * k * n);
        float *bias = malloc(sizeof(float) * n), *c = malloc(sizeof(float) * (size_t)m * ldc);
        fill(a, (size_t)m * lda);
        fill(b, (size_t)k * n);
        fill(bias, (size_t)n);
        float *packed = malloc(sizeof(float) * k * n); /* B in panels of 16 columns */
        for (int j0 = 0; j0 < n; j0 += 16) {
            int w = n - j0 < 16 ? n - j0 : 16;
            for (int p = 0; p < k; p++)
                for (int j = 0; j < w; j++) packed[(size_t)j0 * k + (size_t)p * w + j] = b[p * n + j0 + j];
        }
        for (int act = BE_ACT_NONE; act <= BE_ACT_RELU6; act++) {
            for (size_t i = 0; i < (size_t)m * ldc; i++) c[i] = 1234.0f; /* untouched outside */
            kt->gemm(m, n, k, a, lda, packed, bias, c, ldc, act);
            double worst = 0;
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double want = bias[j], scale = fabs(bias[j]);
                    for (int p = 0; p < k; p++) {
                        want += (double)a[i * lda + p] * b[p * n + j];
                        scale += fabs((double)a[i * lda + p] * b[p * n + j]);
                    }
                    want = act_ref(want, act);
                    /* float32 rounding grows with the sum of |terms| (forward error bound) */
                    double err = fabs(c[i * ldc + j] - want) / (1.0 + scale);
                    if (err > worst) worst = err;
                }
                for (int j = n; j < ldc; j++)
                    CHECK(c[i * ldc + j] == 1234.0f, "%s gemm wrote past its columns",
                          be_kernels_name(kt->id));
            }
            CHECK(worst < 1e-5, "%s gemm %dx%dx%d act %d: relative error %g",
                  be_kernels_name(kt->id), m, n, k, act, worst);
        }
        free(a);
        free(b);
        free(packed);
        free(bias);
        free(c);
    }
}

static void test_depthwise(const be_kernel_table *kt) {
    static const int cases[][7] = {/* ih iw c k s pt pl */
                                   {9, 7, 16, 3, 1, 1, 1}, {8, 8, 24, 3, 2, 0, 0},
                                   {10, 6, 13, 5, 2, 1, 2}, {7, 7, 40, 5, 1, 2, 2},
                                   {3, 3, 8, 3, 1, 1, 1}, {6, 20, 24, 5, 2, 1, 2},
                                   {9, 17, 32, 5, 1, 2, 2}, {8, 13, 16, 3, 2, 0, 1}};
    for (size_t s = 0; s < sizeof cases / sizeof cases[0]; s++) {
        int ih = cases[s][0], iw = cases[s][1], c = cases[s][2], k = cases[s][3];
        int st = cases[s][4], pt = cases[s][5], pl = cases[s][6];
        int oh = (ih + 2 * pt - k) / st + 1, ow = (iw + 2 * pl - k) / st + 1;
        float *in = malloc(sizeof(float) * ih * iw * c), *w = malloc(sizeof(float) * k * k * c);
        float *bias = malloc(sizeof(float) * c), *out = malloc(sizeof(float) * oh * ow * c);
        fill(in, (size_t)ih * iw * c);
        fill(w, (size_t)k * k * c);
        fill(bias, (size_t)c);
        kt->depthwise(in, ih, iw, c, w, bias, k, k, st, st, pt, pl, out, oh, ow, BE_ACT_RELU6);
        double worst = 0;
        for (int y = 0; y < oh; y++)
            for (int x = 0; x < ow; x++)
                for (int ch = 0; ch < c; ch++) {
                    double want = bias[ch];
                    for (int ky = 0; ky < k; ky++)
                        for (int kx = 0; kx < k; kx++) {
                            int iy = y * st + ky - pt, ix = x * st + kx - pl;
                            if (iy >= 0 && iy < ih && ix >= 0 && ix < iw)
                                want += (double)in[(iy * iw + ix) * c + ch] * w[(ky * k + kx) * c + ch];
                        }
                    want = act_ref(want, BE_ACT_RELU6);
                    double err = fabs(out[(y * ow + x) * c + ch] - want);
                    if (err > worst) worst = err;
                }
        CHECK(worst < 1e-5, "%s depthwise case %zu: error %g", be_kernels_name(kt->id), s, worst);
        free(in);
        free(w);
        free(bias);
        free(out);
    }
}

static void test_dihedral(void) {
    enum { N = 5 };
    uint8_t src[N * N * 3], a[N * N * 3], b[N * N * 3];
    for (int i = 0; i < N * N * 3; i++) src[i] = (uint8_t)(i * 7 + 1);
    /* view 1 is a quarter turn counter-clockwise: the top row becomes the left column, read
     * upwards (numpy's rot90) */
    be_dihedral_u8(src, N * 3, N, 1, a);
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++)
            CHECK(memcmp(a + (i * N + j) * 3, src + (j * N + (N - 1 - i)) * 3, 3) == 0,
                  "rot90 at %d,%d", i, j);
    /* four quarter turns, and two mirrors, are the identity; view 4 is a left-right mirror */
    memcpy(b, src, sizeof src);
    for (int t = 0; t < 4; t++) {
        be_dihedral_u8(b, N * 3, N, 1, a);
        memcpy(b, a, sizeof a);
    }
    CHECK(memcmp(b, src, sizeof src) == 0, "four quarter turns");
    be_dihedral_u8(src, N * 3, N, 4, a);
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++)
            CHECK(memcmp(a + (i * N + j) * 3, src + (i * N + (N - 1 - j)) * 3, 3) == 0,
                  "mirror at %d,%d", i, j);
    be_dihedral_u8(a, N * 3, N, 4, b);
    CHECK(memcmp(b, src, sizeof src) == 0, "two mirrors");
    /* the float version moves the same pixels */
    float fs[N * N * 3], fa[N * N * 3];
    for (int i = 0; i < N * N * 3; i++) fs[i] = src[i];
    for (int k = 0; k < 8; k++) {
        be_dihedral_u8(src, N * 3, N, k, a);
        be_dihedral_f32(fs, N, k, fa);
        for (int i = 0; i < N * N * 3; i++) CHECK(fa[i] == a[i], "float view %d at %d", k, i);
    }
}

static void test_resizes(void) {
    enum { IN = 20, OUT = 12, UP = 28 };
    uint8_t src[IN * IN * 3], out[OUT * OUT * 3];
    static float scratch[1 << 15];
    memset(src, 77, sizeof src);
    CHECK(be_pil_scratch_bytes(IN, OUT) <= sizeof scratch, "scratch size");
    be_resize_pil_bilinear(src, IN, out, OUT, scratch);
    for (int i = 0; i < OUT * OUT * 3; i++) CHECK(out[i] == 77, "constant image stays constant");
    float up[UP * UP * 3], down[OUT * OUT * 3];
    CHECK(be_aa_scratch_bytes(IN, UP) <= sizeof scratch, "scratch size");
    be_resize_aa_bilinear(src, IN, up, UP, scratch);
    be_resize_aa_bilinear(src, IN, down, OUT, scratch);
    for (int i = 0; i < UP * UP * 3; i++) CHECK(fabsf(up[i] - 77 / 255.0f) < 1e-6f, "upscale");
    for (int i = 0; i < OUT * OUT * 3; i++) CHECK(fabsf(down[i] - 77 / 255.0f) < 1e-6f, "down");
    float x[6] = {0.5f, 0.25f, 1.0f, 0.0f, 1.0f, 0.5f};
    const float mean[3] = {0.5f, 0.25f, 0.5f}, std[3] = {0.5f, 0.25f, 0.5f};
    be_normalize(x, 2, mean, std);
    CHECK(x[0] == 0.0f && x[1] == 0.0f && x[2] == 1.0f && x[3] == -1.0f && x[4] == 3.0f &&
          x[5] == 0.0f, "normalise");
}

static void test_crc(void) {
    const char *text = "123456789";
    CHECK(be_crc32((const uint8_t *)text, 9, 0) == 0xCBF43926u, "CRC-32 check value");
    CHECK(be_crc32((const uint8_t *)text + 4, 5, be_crc32((const uint8_t *)text, 4, 0)) ==
              0xCBF43926u, "CRC-32 in two parts");
}

int main(void) {
    const be_kernel_table *sets[] = {&be_kernels_scalar, be_find_kernels(BE_KERNELS_AVX2),
                                     be_find_kernels(BE_KERNELS_NEON)};
    int tested = 0;
    for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++) {
        if (!sets[i]) continue;
        test_gemm(sets[i]);
        test_depthwise(sets[i]);
        printf("kernels %s: tested\n", be_kernels_name(sets[i]->id));
        tested++;
    }
    test_dihedral();
    test_resizes();
    test_crc();
    if (failures) {
        fprintf(stderr, "%d failure(s)\n", failures);
        return 1;
    }
    printf("all C unit tests passed (%d kernel sets)\n", tested);
    return 0;
}
