/*
 * bihar_edge: the field-image classifier on the sprayer's camera, in C99.
 *
 * One weight file (edge/FORMAT.md) holds the whole model: the member networks as lists of
 * layers, their inputs (resizing, normalisation, dihedral views), the ensemble weights and the
 * cover vote. The library depends on libc and libm only. It is single-threaded and reentrant:
 * a model is read-only once opened, and every working buffer lives in a memory arena that the
 * caller supplies, sized by be_model_arena_size(); inference never calls malloc.
 *
 *   be_model *model;
 *   char why[256];
 *   if (be_model_open_file("field-images-v1.bhe", &model, why, sizeof why) != BE_OK) ...;
 *   void *arena = malloc(be_model_arena_size(model));
 *   size_t n = be_photo_tile_count(model, width, height);
 *   float *probs = malloc(n * BE_NUM_CLASSES * sizeof(float));
 *   be_classify_photo(model, arena, be_model_arena_size(model), rgb, width, height,
 *                     width * 3, probs, n);
 *   be_model_close(model);
 */
#ifndef BIHAR_EDGE_H
#define BIHAR_EDGE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define BE_NUM_CLASSES 4

typedef enum be_status {
    BE_OK = 0,
    BE_ERR_ARGUMENT = 1,  /* a NULL pointer, a size out of range, a buffer too small */
    BE_ERR_IO = 2,        /* the file cannot be opened or read */
    BE_ERR_MAGIC = 3,     /* not a bihar_edge weight file */
    BE_ERR_VERSION = 4,   /* a format version this library does not read */
    BE_ERR_TRUNCATED = 5, /* shorter (or longer) than its header says */
    BE_ERR_CHECKSUM = 6,  /* the CRC-32 does not match: the file is corrupt */
    BE_ERR_FORMAT = 7,    /* an inconsistent table, offset or parameter */
    BE_ERR_SHAPE = 8,     /* a layer whose shapes or weight counts do not match */
    BE_ERR_MEMORY = 9     /* out of memory while opening */
} be_status;

typedef enum be_kernels {
    BE_KERNELS_AUTO = 0,   /* the fastest kernels built in and supported by this CPU */
    BE_KERNELS_SCALAR = 1, /* the portable C kernels */
    BE_KERNELS_AVX2 = 2,   /* AVX2 + FMA (x86-64), when built in and supported */
    BE_KERNELS_NEON = 3    /* NEON (AArch64), when built in */
} be_kernels;

typedef struct be_model be_model;

/* A short English description of a status. */
const char *be_status_string(be_status status);

/* Open a weight file from a path (the bytes are read into memory owned by the model). */
be_status be_model_open_file(const char *path, be_model **out, char *why, size_t why_size);

/* Open a weight file already in memory. The bytes are used in place, not copied: they must
 * stay valid until be_model_close() and be aligned to 4 bytes. */
be_status be_model_open_memory(const void *data, size_t size, be_model **out, char *why,
                               size_t why_size);

void be_model_close(be_model *model);

/* Bytes of arena that inference needs (aligned to 64 bytes by the library). */
size_t be_model_arena_size(const be_model *model);

/* Which kernels inference uses; returns BE_ERR_ARGUMENT when those are not available. */
be_status be_model_set_kernels(be_model *model, be_kernels kernels);
be_kernels be_model_kernels(const be_model *model);
const char *be_kernels_name(be_kernels kernels);

/* What the file says of itself. */
int be_model_tile(const be_model *model);
int be_model_stride(const be_model *model);
int be_model_version(const be_model *model);
const char *be_model_name(const be_model *model);
void be_model_sha256_hex(const be_model *model, char hex[65]);
int be_model_member_count(const be_model *model);

/* Number of tiles of a width x height photo (0 when smaller than one tile), row by row. */
size_t be_photo_tile_count(const be_model *model, int width, int height);

/* Class probabilities of one tile of tile x tile RGB pixels (rows `row_stride` bytes apart). */
be_status be_classify_tile(const be_model *model, void *arena, size_t arena_size,
                           const uint8_t *rgb, size_t row_stride,
                           float probs[BE_NUM_CLASSES]);

/* Every tile of an RGB photo: probs[i * BE_NUM_CLASSES + k] for tile i (row by row), and the
 * tile's top/left corner in tops[i] / lefts[i] when those are not NULL. `capacity` is the
 * number of tiles the arrays hold. */
be_status be_classify_photo(const be_model *model, void *arena, size_t arena_size,
                            const uint8_t *rgb, int width, int height, size_t row_stride,
                            float *probs, int *tops, int *lefts, size_t capacity);

/* Layer-level access, for parity tests against the reference implementation. */
int be_member_input_size(const be_model *model, int member);
/* Run member `member` on a normalised input (input_size^2 x 3 floats, HWC) and copy value
 * `value` (a tensor index of the file, HWC) into `out` (`out_count` floats). */
be_status be_member_value(const be_model *model, void *arena, size_t arena_size, int member,
                          const float *input, int value, float *out, size_t out_count);
/* The member's preprocessing of one tile for view `view`: its normalised input, HWC. */
be_status be_member_input(const be_model *model, void *arena, size_t arena_size, int member,
                          const uint8_t *rgb, size_t row_stride, int view, float *out,
                          size_t out_count);
/* One member's class probabilities (averaged over its views) and, when it has a cell head,
 * its predicted crop and weed cover (averaged over the views; NULL to skip). */
be_status be_member_predict(const be_model *model, void *arena, size_t arena_size,
                            int member, const uint8_t *rgb, size_t row_stride,
                            float probs[BE_NUM_CLASSES], float cover[2]);

#ifdef __cplusplus
}
#endif
#endif /* BIHAR_EDGE_H */
