/* Internal structures of bihar_edge: the parsed model, the arena plan, the kernel table. */
#ifndef BE_INTERNAL_H
#define BE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "bihar_edge.h"

#define BE_MAGIC "BIHAREDG"
#define BE_FORMAT_VERSION 1u
#define BE_HEADER_BYTES 256u
#define BE_MEMBER_BYTES 128u
#define BE_VALUE_BYTES 16u
#define BE_LAYER_BYTES 96u
#define BE_ALIGN 64u
#define BE_NONE 0xFFFFFFFFu
#define BE_MAX_MEMBERS 8u
#define BE_MAX_VIEWS 8u
#define BE_MAX_VALUES 2048u
#define BE_MAX_LAYERS 1024u
#define BE_MAX_CHANNELS 65536u
#define BE_MAX_ARENA ((size_t)1 << 30)
#define BE_MAX_SIDE 4096u
#define BE_MAX_KERNEL 64u
#define BE_MAX_STRIDE 16u
#define BE_MAX_ELEMENTS (1u << 28) /* per tensor */

enum { BE_OP_CONV = 1, BE_OP_ADD = 2, BE_OP_MAXPOOL = 3, BE_OP_MEAN = 4, BE_OP_DENSE = 5 };
enum { BE_ACT_NONE = 0, BE_ACT_RELU = 1, BE_ACT_RELU6 = 2 };
enum { BE_VIEW_ON_TILE = 0, BE_VIEW_ON_INPUT = 1 };

typedef struct be_shape {
    uint32_t h, w, c;
} be_shape;

typedef struct be_layer {
    uint32_t op, act, a, b, out;
    uint32_t kh, kw, sh, sw, pt, pb, pl, pr, groups;
    const float *weights;
    const float *bias;
} be_layer;

typedef struct be_member {
    uint32_t first, count, input, logits, cells;
    uint32_t stored_px, input_px, view_stage, n_views;
    uint8_t views[BE_MAX_VIEWS];
    float mean[3], std[3];
    double weight;
    char name[32];
} be_member;

/* The kernels inference calls; one table per instruction set. */
typedef struct be_kernel_table {
    be_kernels id;
    /* C[m][n] = act(bias[n] + sum_k A[m][k] * B[k][n]); rows of A lda apart, of C ldc apart;
     * B packed in panels of 16 columns: B[k][n] is at b[(n / 16 * 16) * K + k * w + n % 16],
     * w = min(16, N - n / 16 * 16) the width of its panel */
    void (*gemm)(int m, int n, int k, const float *a, int lda, const float *b,
                 const float *bias, float *c, int ldc, int act);
    /* depthwise convolution, HWC, weights kh x kw x C */
    void (*depthwise)(const float *in, int ih, int iw, int c, const float *w, const float *bias,
                      int kh, int kw, int sh, int sw, int pt, int pl, float *out, int oh, int ow,
                      int act);
} be_kernel_table;

struct be_model {
    void *owned; /* the file's bytes when read from a path */
    const uint8_t *base;
    size_t size;
    uint32_t tile, stride, version;
    uint8_t sha256[32];
    char name[32];
    int32_t vote_member;
    double vote_threshold, vote_weight;
    uint32_t n_members, n_values, n_layers;
    be_member members[BE_MAX_MEMBERS];
    be_shape *values;
    be_layer *layers;
    size_t *value_offset; /* byte offset of each value in the arena */
    size_t scratch_bytes; /* the arena's first region: preprocessing and im2col */
    size_t arena_bytes;
    const be_kernel_table *kernels;
};

extern const be_kernel_table be_kernels_scalar;
#if defined(BE_HAVE_AVX2)
extern const be_kernel_table be_kernels_avx2;
#endif
#if defined(BE_HAVE_NEON)
extern const be_kernel_table be_kernels_neon;
#endif
const be_kernel_table *be_best_kernels(void);
const be_kernel_table *be_find_kernels(be_kernels id);

uint32_t be_crc32(const uint8_t *data, size_t size, uint32_t crc);

/* preprocessing (preprocess.c) */
void be_dihedral_u8(const uint8_t *src, size_t row_stride, int size, int k, uint8_t *dst);
void be_dihedral_f32(const float *src, int size, int k, float *dst);
void be_resize_pil_bilinear(const uint8_t *src, int in_size, uint8_t *dst, int out_size,
                            void *scratch);
size_t be_pil_scratch_bytes(int in_size, int out_size);
size_t be_aa_scratch_bytes(int in_size, int out_size);
void be_resize_aa_bilinear(const uint8_t *src, int in_size, float *dst, int out_size,
                           void *scratch);
void be_normalize(float *x, int pixels, const float mean[3], const float std[3]);

#endif
