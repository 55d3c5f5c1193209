/*
 * Inference: a member's preprocessing of one view of a tile, its layers, softmax and the
 * cell head's cover; then the ensemble and the cover vote. Every buffer is in the caller's
 * arena (first region: preprocessing and im2col; then the planned activations).
 */
#include <math.h>
#include <string.h>

#include "be_internal.h"

static size_t align_up(size_t n) { return (n + BE_ALIGN - 1) / BE_ALIGN * BE_ALIGN; }

static uint8_t *arena_base(const be_model *m, void *arena, size_t arena_size) {
    if (!m || !arena || arena_size < m->arena_bytes) return NULL;
    uintptr_t p = (uintptr_t)arena;
    return (uint8_t *)((p + BE_ALIGN - 1) / BE_ALIGN * BE_ALIGN);
}

static float *value_ptr(const be_model *m, uint8_t *base, uint32_t v) {
    return (float *)(base + m->value_offset[v]);
}

/* ---- layers -------------------------------------------------------------------------- */

static void im2col(const float *in, be_shape x, const be_layer *l, be_shape o, float *col) {
    size_t k = (size_t)l->kh * l->kw * x.c, span = (size_t)l->kw * x.c;
    for (uint32_t y = 0; y < o.h; y++) {
        long iy0 = (long)y * l->sh - l->pt;
        for (uint32_t xo = 0; xo < o.w; xo++) {
            float *row = col + ((size_t)y * o.w + xo) * k;
            long ix0 = (long)xo * l->sw - l->pl;
            if (iy0 >= 0 && iy0 + l->kh <= x.h && ix0 >= 0 && ix0 + l->kw <= x.w) {
                for (uint32_t ky = 0; ky < l->kh; ky++) { /* kw pixels in a row are contiguous */
                    const float *src = in + ((size_t)(iy0 + ky) * x.w + ix0) * x.c;
                    float *dst = row + ky * span;
                    for (size_t i = 0; i < span; i++) dst[i] = src[i];
                }
                continue;
            }
            for (uint32_t ky = 0; ky < l->kh; ky++) {
                long iy = iy0 + ky;
                for (uint32_t kx = 0; kx < l->kw; kx++) {
                    long ix = ix0 + kx;
                    float *dst = row + ((size_t)ky * l->kw + kx) * x.c;
                    int inside = iy >= 0 && iy < (long)x.h && ix >= 0 && ix < (long)x.w;
                    const float *src = inside ? in + ((size_t)iy * x.w + ix) * x.c : NULL;
                    for (uint32_t ch = 0; ch < x.c; ch++) dst[ch] = inside ? src[ch] : 0.0f;
                }
            }
        }
    }
}

static float activate(float v, uint32_t act) {
    if (act == BE_ACT_RELU) return v < 0.0f ? 0.0f : v;
    if (act == BE_ACT_RELU6) return v < 0.0f ? 0.0f : v > 6.0f ? 6.0f : v;
    return v;
}

static void run_layer(const be_model *m, uint8_t *base, const be_layer *l) {
    const be_kernel_table *kt = m->kernels;
    be_shape x = m->values[l->a], o = m->values[l->out];
    const float *in = value_ptr(m, base, l->a);
    float *out = value_ptr(m, base, l->out);
    size_t n = (size_t)o.h * o.w * o.c;
    switch (l->op) {
    case BE_OP_CONV:
        if (l->groups != 1) {
            kt->depthwise(in, (int)x.h, (int)x.w, (int)x.c, l->weights, l->bias, (int)l->kh,
                          (int)l->kw, (int)l->sh, (int)l->sw, (int)l->pt, (int)l->pl, out,
                          (int)o.h, (int)o.w, (int)l->act);
        } else if (l->kh == 1 && l->kw == 1 && l->sh == 1 && l->sw == 1 && !l->pt && !l->pl) {
            kt->gemm((int)(o.h * o.w), (int)o.c, (int)x.c, in, (int)x.c, l->weights, l->bias,
                     out, (int)o.c, (int)l->act);
        } else {
            float *col = (float *)base; /* the first region of the arena */
            int k = (int)(l->kh * l->kw * x.c);
            im2col(in, x, l, o, col);
            kt->gemm((int)(o.h * o.w), (int)o.c, k, col, k, l->weights, l->bias, out, (int)o.c,
                     (int)l->act);
        }
        break;
    case BE_OP_ADD: {
        const float *b = value_ptr(m, base, l->b);
        for (size_t i = 0; i < n; i++) out[i] = activate(in[i] + b[i], l->act);
        break;
    }
    case BE_OP_MAXPOOL:
        for (uint32_t y = 0; y < o.h; y++) {
            for (uint32_t xo = 0; xo < o.w; xo++) {
                float *dst = out + ((size_t)y * o.w + xo) * o.c;
                for (uint32_t ch = 0; ch < o.c; ch++) dst[ch] = -INFINITY;
                for (uint32_t ky = 0; ky < l->kh; ky++) {
                    long iy = (long)y * l->sh + ky - l->pt;
                    if (iy < 0 || iy >= (long)x.h) continue;
                    for (uint32_t kx = 0; kx < l->kw; kx++) {
                        long ix = (long)xo * l->sw + kx - l->pl;
                        if (ix < 0 || ix >= (long)x.w) continue;
                        const float *p = in + ((size_t)iy * x.w + ix) * x.c;
                        for (uint32_t ch = 0; ch < o.c; ch++)
                            if (p[ch] > dst[ch]) dst[ch] = p[ch];
                    }
                }
                for (uint32_t ch = 0; ch < o.c; ch++) dst[ch] = activate(dst[ch], l->act);
            }
        }
        break;
    case BE_OP_MEAN: {
        size_t pixels = (size_t)x.h * x.w;
        for (uint32_t ch = 0; ch < x.c; ch++) {
            double sum = 0.0;
            for (size_t p = 0; p < pixels; p++) sum += in[p * x.c + ch];
            out[ch] = activate((float)(sum / (double)pixels), l->act);
        }
        break;
    }
    case BE_OP_DENSE:
        kt->gemm(1, (int)o.c, (int)x.c, in, (int)x.c, l->weights, l->bias, out, (int)o.c,
                 (int)l->act);
        break;
    default:
        break; /* unreachable: validated when the model was opened */
    }
}

static void run_member_layers(const be_model *m, uint8_t *base, const be_member *mb) {
    for (uint32_t i = mb->first; i < mb->first + mb->count; i++) run_layer(m, base, &m->layers[i]);
}

/* ---- preprocessing ------------------------------------------------------------------- */

/* the member's normalised input of view `view` of a tile, into its input value */
static void member_input(const be_model *m, uint8_t *base, const be_member *mb,
                         const uint8_t *rgb, size_t row_stride, int view) {
    int tile = (int)m->tile, in = (int)mb->input_px;
    uint8_t *s = base;
    uint8_t *pixels = s;
    size_t off = align_up((size_t)tile * tile * 3);
    be_dihedral_u8(rgb, row_stride, tile, mb->view_stage == BE_VIEW_ON_TILE ? view : 0, pixels);
    int size = tile;
    if (mb->stored_px) {
        uint8_t *stored = s + off;
        off += align_up((size_t)mb->stored_px * mb->stored_px * 3);
        be_resize_pil_bilinear(pixels, tile, stored, (int)mb->stored_px, s + off);
        off += align_up(be_pil_scratch_bytes(tile, (int)mb->stored_px));
        pixels = stored;
        size = (int)mb->stored_px;
    }
    void *resize = s + off;
    off += align_up(be_aa_scratch_bytes(size, in));
    float *x = value_ptr(m, base, mb->input);
    if (mb->view_stage == BE_VIEW_ON_INPUT && view != 0) {
        float *plain = (float *)(s + off);
        be_resize_aa_bilinear(pixels, size, plain, in, resize);
        be_normalize(plain, in * in, mb->mean, mb->std);
        be_dihedral_f32(plain, in, view, x);
    } else {
        be_resize_aa_bilinear(pixels, size, x, in, resize);
        be_normalize(x, in * in, mb->mean, mb->std);
    }
}

/* ---- members and the ensemble ------------------------------------------------------- */

static void predict_member(const be_model *m, uint8_t *base, const be_member *mb,
                           const uint8_t *rgb, size_t row_stride, double probs[BE_NUM_CLASSES],
                           double cover[2]) {
    float view_probs[BE_NUM_CLASSES];
    for (int k = 0; k < BE_NUM_CLASSES; k++) probs[k] = 0.0;
    cover[0] = cover[1] = 0.0;
    for (uint32_t v = 0; v < mb->n_views; v++) {
        member_input(m, base, mb, rgb, row_stride, mb->views[v]);
        run_member_layers(m, base, mb);
        const float *logits = value_ptr(m, base, mb->logits);
        float top = logits[0], sum = 0.0f;
        for (int k = 1; k < BE_NUM_CLASSES; k++)
            if (logits[k] > top) top = logits[k];
        for (int k = 0; k < BE_NUM_CLASSES; k++) {
            view_probs[k] = expf(logits[k] - top);
            sum += view_probs[k];
        }
        for (int k = 0; k < BE_NUM_CLASSES; k++) probs[k] += view_probs[k] / sum;
        if (mb->cells != BE_NONE) {
            be_shape cs = m->values[mb->cells];
            const float *cells = value_ptr(m, base, mb->cells);
            size_t pixels = (size_t)cs.h * cs.w;
            for (int ch = 0; ch < 2; ch++) {
                float total = 0.0f;
                for (size_t p = 0; p < pixels; p++)
                    total += 1.0f / (1.0f + expf(-cells[p * cs.c + ch]));
                cover[ch] += total / (float)pixels;
            }
        }
    }
    for (int k = 0; k < BE_NUM_CLASSES; k++) probs[k] /= mb->n_views;
    cover[0] /= mb->n_views;
    cover[1] /= mb->n_views;
}

static void classify(const be_model *m, uint8_t *base, const uint8_t *rgb, size_t row_stride,
                     float out[BE_NUM_CLASSES]) {
    double total[BE_NUM_CLASSES] = {0.0, 0.0, 0.0, 0.0}, probs[BE_NUM_CLASSES], cover[2];
    for (uint32_t i = 0; i < m->n_members; i++) {
        const be_member *mb = &m->members[i];
        predict_member(m, base, mb, rgb, row_stride, probs, cover);
        for (int k = 0; k < BE_NUM_CLASSES; k++) total[k] += mb->weight * (float)probs[k];
        if ((int32_t)i == m->vote_member) {
            /* the labelling rule on the predicted cover: crop, weeds, both, or ground */
            int crop = (float)cover[0] >= m->vote_threshold;
            int weed = (float)cover[1] >= m->vote_threshold;
            int label = crop && weed ? 3 : crop ? 1 : weed ? 2 : 0;
            total[label] += m->vote_weight;
        }
    }
    for (int k = 0; k < BE_NUM_CLASSES; k++) out[k] = (float)total[k];
}

/* ---- the API ------------------------------------------------------------------------- */

size_t be_photo_tile_count(const be_model *m, int width, int height) {
    if (!m || width < (int)m->tile || height < (int)m->tile) return 0;
    size_t rows = (size_t)(height - (int)m->tile) / m->stride + 1;
    size_t cols = (size_t)(width - (int)m->tile) / m->stride + 1;
    return rows * cols;
}

be_status be_classify_tile(const be_model *m, void *arena, size_t arena_size,
                           const uint8_t *rgb, size_t row_stride, float probs[BE_NUM_CLASSES]) {
    uint8_t *base = arena_base(m, arena, arena_size);
    if (!base || !rgb || !probs || row_stride < (size_t)m->tile * 3) return BE_ERR_ARGUMENT;
    classify(m, base, rgb, row_stride, probs);
    return BE_OK;
}

be_status be_classify_photo(const be_model *m, void *arena, size_t arena_size,
                            const uint8_t *rgb, int width, int height, size_t row_stride,
                            float *probs, int *tops, int *lefts, size_t capacity) {
    uint8_t *base = arena_base(m, arena, arena_size);
    if (!base || !rgb || !probs || width < 1 || height < 1 || row_stride < (size_t)width * 3)
        return BE_ERR_ARGUMENT;
    size_t n = be_photo_tile_count(m, width, height);
    if (n == 0 || capacity < n) return BE_ERR_ARGUMENT;
    size_t i = 0;
    for (int top = 0; top + (int)m->tile <= height; top += (int)m->stride) {
        for (int left = 0; left + (int)m->tile <= width; left += (int)m->stride, i++) {
            const uint8_t *tile = rgb + (size_t)top * row_stride + (size_t)left * 3;
            classify(m, base, tile, row_stride, probs + i * BE_NUM_CLASSES);
            if (tops) tops[i] = top;
            if (lefts) lefts[i] = left;
        }
    }
    return BE_OK;
}

int be_member_input_size(const be_model *m, int member) {
    if (!m || member < 0 || (uint32_t)member >= m->n_members) return 0;
    return (int)m->members[member].input_px;
}

be_status be_member_value(const be_model *m, void *arena, size_t arena_size, int member,
                          const float *input, int value, float *out, size_t out_count) {
    uint8_t *base = arena_base(m, arena, arena_size);
    if (!base || !input || !out || member < 0 || (uint32_t)member >= m->n_members)
        return BE_ERR_ARGUMENT;
    const be_member *mb = &m->members[member];
    int known = value >= 0 && (uint32_t)value == mb->input;
    for (uint32_t i = mb->first; i < mb->first + mb->count && !known; i++)
        known = (uint32_t)value == m->layers[i].out;
    if (!known) return BE_ERR_ARGUMENT;
    be_shape s = m->values[value];
    if (out_count != (size_t)s.h * s.w * s.c) return BE_ERR_ARGUMENT;
    be_shape in = m->values[mb->input];
    memcpy(value_ptr(m, base, mb->input), input, (size_t)in.h * in.w * in.c * sizeof(float));
    /* run up to the layer that writes `value` (its buffer may be reused by later layers) */
    for (uint32_t i = mb->first; i < mb->first + mb->count; i++) {
        if ((uint32_t)value == mb->input) break;
        run_layer(m, base, &m->layers[i]);
        if (m->layers[i].out == (uint32_t)value) break;
    }
    memcpy(out, value_ptr(m, base, (uint32_t)value), out_count * sizeof(float));
    return BE_OK;
}

be_status be_member_input(const be_model *m, void *arena, size_t arena_size, int member,
                          const uint8_t *rgb, size_t row_stride, int view, float *out,
                          size_t out_count) {
    uint8_t *base = arena_base(m, arena, arena_size);
    if (!base || !rgb || !out || member < 0 || (uint32_t)member >= m->n_members || view < 0 ||
        view > 7 || row_stride < (size_t)m->tile * 3)
        return BE_ERR_ARGUMENT;
    const be_member *mb = &m->members[member];
    if (out_count != (size_t)mb->input_px * mb->input_px * 3) return BE_ERR_ARGUMENT;
    member_input(m, base, mb, rgb, row_stride, view);
    memcpy(out, value_ptr(m, base, mb->input), out_count * sizeof(float));
    return BE_OK;
}

be_status be_member_predict(const be_model *m, void *arena, size_t arena_size, int member,
                            const uint8_t *rgb, size_t row_stride, float probs[BE_NUM_CLASSES],
                            float cover[2]) {
    uint8_t *base = arena_base(m, arena, arena_size);
    if (!base || !rgb || !probs || member < 0 || (uint32_t)member >= m->n_members ||
        row_stride < (size_t)m->tile * 3)
        return BE_ERR_ARGUMENT;
    double p[BE_NUM_CLASSES], c[2];
    predict_member(m, base, &m->members[member], rgb, row_stride, p, c);
    for (int k = 0; k < BE_NUM_CLASSES; k++) probs[k] = (float)p[k];
    if (cover) {
        cover[0] = (float)c[0];
        cover[1] = (float)c[1];
    }
    return BE_OK;
}
