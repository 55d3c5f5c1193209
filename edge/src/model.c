/*
 * Opening a weight file: every field is read with bounds checks, every table entry validated
 * (indices, shapes, weight counts, offsets), so a truncated, corrupt or hostile file is refused
 * with a status and a reason, never read out of bounds. Then the arena is planned: each value
 * of a member gets an offset, values whose lifetimes overlap never share bytes.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "be_internal.h"

static be_status fail(char *why, size_t why_size, be_status status, const char *fmt, ...) {
    if (why && why_size) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, why_size, fmt, ap);
        va_end(ap);
    }
    return status;
}

static uint32_t rd32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rd64(const uint8_t *p) { return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32; }

static double rdd(const uint8_t *p) {
    uint64_t u = rd64(p);
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

static float rdf(const uint8_t *p) {
    uint32_t u = rd32(p);
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

const char *be_status_string(be_status status) {
    switch (status) {
    case BE_OK: return "ok";
    case BE_ERR_ARGUMENT: return "invalid argument";
    case BE_ERR_IO: return "cannot read the file";
    case BE_ERR_MAGIC: return "not a bihar_edge weight file";
    case BE_ERR_VERSION: return "unsupported format version";
    case BE_ERR_TRUNCATED: return "truncated file";
    case BE_ERR_CHECKSUM: return "checksum mismatch (corrupt file)";
    case BE_ERR_FORMAT: return "inconsistent file";
    case BE_ERR_SHAPE: return "shape mismatch";
    case BE_ERR_MEMORY: return "out of memory";
    }
    return "unknown status";
}

/* ---- kernels ------------------------------------------------------------------------- */

#if defined(BE_HAVE_AVX2)
static int cpu_has_avx2(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}
#endif

const be_kernel_table *be_find_kernels(be_kernels id) {
    switch (id) {
    case BE_KERNELS_SCALAR: return &be_kernels_scalar;
#if defined(BE_HAVE_AVX2)
    case BE_KERNELS_AVX2: return cpu_has_avx2() ? &be_kernels_avx2 : NULL;
#endif
#if defined(BE_HAVE_NEON)
    case BE_KERNELS_NEON: return &be_kernels_neon;
#endif
    case BE_KERNELS_AUTO: return be_best_kernels();
    default: return NULL;
    }
}

const be_kernel_table *be_best_kernels(void) {
    const char *force = getenv("BIHAR_EDGE_KERNELS");
    if (force && strcmp(force, "scalar") == 0) return &be_kernels_scalar;
#if defined(BE_HAVE_AVX2)
    if (cpu_has_avx2()) return &be_kernels_avx2;
#endif
#if defined(BE_HAVE_NEON)
    return &be_kernels_neon;
#endif
    return &be_kernels_scalar;
}

const char *be_kernels_name(be_kernels kernels) {
    switch (kernels) {
    case BE_KERNELS_AUTO: return "auto";
    case BE_KERNELS_SCALAR: return "scalar";
    case BE_KERNELS_AVX2: return "avx2";
    case BE_KERNELS_NEON: return "neon";
    }
    return "unknown";
}

be_status be_model_set_kernels(be_model *model, be_kernels kernels) {
    if (!model) return BE_ERR_ARGUMENT;
    const be_kernel_table *table = be_find_kernels(kernels);
    if (!table) return BE_ERR_ARGUMENT;
    model->kernels = table;
    return BE_OK;
}

be_kernels be_model_kernels(const be_model *model) {
    return model ? model->kernels->id : BE_KERNELS_AUTO;
}

/* ---- validation ---------------------------------------------------------------------- */

static uint64_t elements(be_shape s) { return (uint64_t)s.h * s.w * s.c; }

/* the output shape a layer computes from its input; 0 when the parameters are impossible */
static int expected_output(const be_layer *l, be_shape in, be_shape *out) {
    switch (l->op) {
    case BE_OP_CONV:
    case BE_OP_MAXPOOL: {
        uint64_t h = (uint64_t)in.h + l->pt + l->pb, w = (uint64_t)in.w + l->pl + l->pr;
        if (h < l->kh || w < l->kw) return 0;
        out->h = (uint32_t)((h - l->kh) / l->sh + 1);
        out->w = (uint32_t)((w - l->kw) / l->sw + 1);
        out->c = in.c; /* conv: replaced by the caller */
        return 1;
    }
    case BE_OP_ADD: *out = in; return 1;
    case BE_OP_MEAN: out->h = out->w = 1; out->c = in.c; return 1;
    case BE_OP_DENSE: out->h = out->w = 1; out->c = 0; return 1;
    default: return 0;
    }
}

static be_status check_layer(be_model *m, uint32_t index, const uint8_t *rec, uint64_t data_off,
                             uint64_t data_size, const uint8_t *defined, char *why,
                             size_t why_size) {
    be_layer *l = &m->layers[index];
    const uint8_t *p = rec;
    l->op = rd32(p); l->act = rd32(p + 4); l->a = rd32(p + 8); l->b = rd32(p + 12);
    l->out = rd32(p + 16); l->kh = rd32(p + 20); l->kw = rd32(p + 24); l->sh = rd32(p + 28);
    l->sw = rd32(p + 32); l->pt = rd32(p + 36); l->pb = rd32(p + 40); l->pl = rd32(p + 44);
    l->pr = rd32(p + 48); l->groups = rd32(p + 52);
    uint64_t w_off = rd64(p + 56), w_n = rd64(p + 64), b_off = rd64(p + 72), b_n = rd64(p + 80);
    if (l->op < BE_OP_CONV || l->op > BE_OP_DENSE)
        return fail(why, why_size, BE_ERR_FORMAT, "layer %u: unknown operation %u", index, l->op);
    if (l->act > BE_ACT_RELU6)
        return fail(why, why_size, BE_ERR_FORMAT, "layer %u: unknown activation %u", index,
                    l->act);
    if (l->a >= m->n_values || l->out >= m->n_values ||
        (l->op == BE_OP_ADD && l->b >= m->n_values))
        return fail(why, why_size, BE_ERR_FORMAT, "layer %u: value index out of range", index);
    if (!defined[l->a] || (l->op == BE_OP_ADD && !defined[l->b]))
        return fail(why, why_size, BE_ERR_FORMAT, "layer %u: reads a value not yet computed",
                    index);
    if (defined[l->out])
        return fail(why, why_size, BE_ERR_FORMAT, "layer %u: writes value %u twice", index,
                    l->out);
    if (l->op == BE_OP_CONV || l->op == BE_OP_MAXPOOL) {
        if (l->kh < 1 || l->kw < 1 || l->kh > BE_MAX_KERNEL || l->kw > BE_MAX_KERNEL ||
            l->sh < 1 || l->sw < 1 || l->sh > BE_MAX_STRIDE || l->sw > BE_MAX_STRIDE ||
            l->pt >= l->kh || l->pb >= l->kh || l->pl >= l->kw || l->pr >= l->kw)
            return fail(why, why_size, BE_ERR_FORMAT,
                        "layer %u: kernel, stride or padding out of range", index);
    }
    be_shape in = m->values[l->a], got = m->values[l->out], want;
    if (!expected_output(l, in, &want))
        return fail(why, why_size, BE_ERR_SHAPE, "layer %u: kernel larger than its input",
                    index);
    uint64_t want_w = 0, want_b = 0;
    if (l->op == BE_OP_CONV) {
        want.c = got.c;
        if (l->groups == 1) {
            want_w = (uint64_t)l->kh * l->kw * in.c * got.c;
        } else if (l->groups == in.c && got.c == in.c) {
            want_w = (uint64_t)l->kh * l->kw * in.c;
        } else {
            return fail(why, why_size, BE_ERR_SHAPE,
                        "layer %u: %u groups for %u input and %u output channels", index,
                        l->groups, in.c, got.c);
        }
        want_b = got.c;
    } else if (l->op == BE_OP_DENSE) {
        if (in.h != 1 || in.w != 1)
            return fail(why, why_size, BE_ERR_SHAPE, "layer %u: dense on a %ux%u map", index,
                        in.h, in.w);
        want.c = got.c;
        want_w = (uint64_t)in.c * got.c;
        want_b = got.c;
    } else if (l->op == BE_OP_ADD) {
        be_shape other = m->values[l->b];
        if (other.h != in.h || other.w != in.w || other.c != in.c)
            return fail(why, why_size, BE_ERR_SHAPE, "layer %u: adding different shapes",
                        index);
    }
    if (want.h != got.h || want.w != got.w || want.c != got.c)
        return fail(why, why_size, BE_ERR_SHAPE,
                    "layer %u: output %ux%ux%u, but its input and parameters give %ux%ux%u",
                    index, got.h, got.w, got.c, want.h, want.w, want.c);
    if (w_n != want_w || b_n != want_b)
        return fail(why, why_size, BE_ERR_SHAPE,
                    "layer %u: %llu weights and %llu biases, %llu and %llu expected", index,
                    (unsigned long long)w_n, (unsigned long long)b_n,
                    (unsigned long long)want_w, (unsigned long long)want_b);
    l->weights = l->bias = NULL;
    if (want_w) {
        if (w_off % BE_ALIGN || b_off % BE_ALIGN || w_off > data_size ||
            w_n > (data_size - w_off) / 4 || b_off > data_size || b_n > (data_size - b_off) / 4)
            return fail(why, why_size, BE_ERR_FORMAT,
                        "layer %u: weights outside the data section", index);
        l->weights = (const float *)(m->base + data_off + w_off);
        l->bias = (const float *)(m->base + data_off + b_off);
    }
    return BE_OK;
}

static int printable(const char *s) {
    for (; *s; s++)
        if (*s < 0x20 || *s > 0x7e || *s == '"' || *s == '\\') return 0;
    return 1;
}

static be_status check_member(be_model *m, uint32_t index, const uint8_t *p, char *why,
                              size_t why_size) {
    be_member *mb = &m->members[index];
    mb->first = rd32(p); mb->count = rd32(p + 4); mb->input = rd32(p + 8);
    mb->logits = rd32(p + 12); mb->cells = rd32(p + 16); mb->stored_px = rd32(p + 20);
    mb->input_px = rd32(p + 24); mb->view_stage = rd32(p + 28); mb->n_views = rd32(p + 32);
    memcpy(mb->views, p + 36, BE_MAX_VIEWS);
    for (int i = 0; i < 3; i++) {
        mb->mean[i] = rdf(p + 44 + 4 * i);
        mb->std[i] = rdf(p + 56 + 4 * i);
    }
    mb->weight = rdd(p + 72);
    memcpy(mb->name, p + 80, 31);
    mb->name[31] = '\0';
    if (!printable(mb->name))
        return fail(why, why_size, BE_ERR_FORMAT, "member %u: name is not printable ASCII", index);
    if (mb->count == 0 || mb->first > m->n_layers || mb->count > m->n_layers - mb->first)
        return fail(why, why_size, BE_ERR_FORMAT, "member %u: layers out of range", index);
    if (mb->input >= m->n_values || mb->logits >= m->n_values ||
        (mb->cells != BE_NONE && mb->cells >= m->n_values))
        return fail(why, why_size, BE_ERR_FORMAT, "member %u: value index out of range", index);
    if (mb->input_px < 8 || mb->input_px > BE_MAX_SIDE || mb->stored_px > BE_MAX_SIDE ||
        (mb->stored_px && mb->stored_px < 8))
        return fail(why, why_size, BE_ERR_FORMAT, "member %u: input size out of range", index);
    if (mb->view_stage > BE_VIEW_ON_INPUT || mb->n_views < 1 || mb->n_views > BE_MAX_VIEWS)
        return fail(why, why_size, BE_ERR_FORMAT, "member %u: bad views", index);
    for (uint32_t v = 0; v < mb->n_views; v++)
        if (mb->views[v] > 7)
            return fail(why, why_size, BE_ERR_FORMAT, "member %u: view %u is not 0..7", index,
                        mb->views[v]);
    for (int i = 0; i < 3; i++)
        if (!isfinite(mb->mean[i]) || !isfinite(mb->std[i]) || mb->std[i] <= 0.0f)
            return fail(why, why_size, BE_ERR_FORMAT, "member %u: bad normalisation", index);
    if (!(mb->weight >= 0.0 && mb->weight <= 1.0))
        return fail(why, why_size, BE_ERR_FORMAT, "member %u: weight out of [0, 1]", index);
    be_shape in = m->values[mb->input], lo = m->values[mb->logits];
    if (in.h != mb->input_px || in.w != mb->input_px || in.c != 3)
        return fail(why, why_size, BE_ERR_SHAPE, "member %u: input value is %ux%ux%u, not %ux%ux3",
                    index, in.h, in.w, in.c, mb->input_px, mb->input_px);
    if (lo.h != 1 || lo.w != 1 || lo.c != BE_NUM_CLASSES)
        return fail(why, why_size, BE_ERR_SHAPE, "member %u: logits are not %d classes", index,
                    BE_NUM_CLASSES);
    if (mb->cells != BE_NONE && m->values[mb->cells].c != 2)
        return fail(why, why_size, BE_ERR_SHAPE, "member %u: cells are not crop and weed", index);
    return BE_OK;
}

/* ---- arena planning ------------------------------------------------------------------ */

static size_t align_up(size_t n) { return (n + BE_ALIGN - 1) / BE_ALIGN * BE_ALIGN; }

/* the first region: a member's preprocessing buffers, and im2col of its convolutions */
static size_t scratch_need(const be_model *m, const be_member *mb) {
    size_t tile = m->tile, stored = mb->stored_px ? mb->stored_px : tile, in = mb->input_px;
    size_t pre = align_up(tile * tile * 3);                        /* the view of the tile */
    if (mb->stored_px) pre += align_up(stored * stored * 3) + align_up(be_pil_scratch_bytes((int)tile, (int)stored));
    pre += align_up(be_aa_scratch_bytes((int)stored, (int)in));   /* the resize to the input */
    pre += align_up(in * in * 3 * sizeof(float));                 /* an input view (stage 1) */
    size_t im2col = 0;
    for (uint32_t i = mb->first; i < mb->first + mb->count; i++) {
        const be_layer *l = &m->layers[i];
        if (l->op != BE_OP_CONV || l->groups != 1) continue;
        if (l->kh == 1 && l->kw == 1 && l->sh == 1 && l->sw == 1 && !l->pt && !l->pl) continue;
        be_shape o = m->values[l->out], x = m->values[l->a];
        size_t need = (size_t)o.h * o.w * l->kh * l->kw * x.c * sizeof(float);
        if (need > im2col) im2col = need;
    }
    return align_up(pre > im2col ? pre : im2col);
}

static be_status plan_arena(be_model *m, char *why, size_t why_size) {
    m->value_offset = calloc(m->n_values, sizeof *m->value_offset);
    size_t *first_use = malloc(m->n_values * sizeof *first_use);
    size_t *last_use = malloc(m->n_values * sizeof *last_use);
    uint32_t *order = malloc(m->n_values * sizeof *order);
    if (!m->value_offset || !first_use || !last_use || !order) {
        free(first_use); free(last_use); free(order);
        return fail(why, why_size, BE_ERR_MEMORY, "out of memory planning the arena");
    }
    size_t scratch = 0, activations = 0;
    for (uint32_t mi = 0; mi < m->n_members; mi++) {
        const be_member *mb = &m->members[mi];
        size_t need = scratch_need(m, mb);
        if (need > scratch) scratch = need;
        /* lifetimes in layer steps: the input lives from step 0; a layer at step s+1 */
        uint32_t n = 0;
        order[n++] = mb->input;
        first_use[mb->input] = 0;
        last_use[mb->input] = 0;
        for (uint32_t s = 0; s < mb->count; s++) {
            const be_layer *l = &m->layers[mb->first + s];
            first_use[l->out] = last_use[l->out] = s + 1;
            order[n++] = l->out;
            last_use[l->a] = s + 1;
            if (l->op == BE_OP_ADD) last_use[l->b] = s + 1;
        }
        last_use[mb->logits] = mb->count + 1; /* read after the last layer */
        if (mb->cells != BE_NONE) last_use[mb->cells] = mb->count + 1;
        /* largest first, each at the lowest offset that overlaps no live placed value */
        for (uint32_t i = 1; i < n; i++) {
            uint32_t v = order[i], j = i;
            while (j > 0 && elements(m->values[order[j - 1]]) < elements(m->values[v])) {
                order[j] = order[j - 1];
                j--;
            }
            order[j] = v;
        }
        for (uint32_t i = 0; i < n; i++) {
            uint32_t v = order[i];
            size_t size = align_up(elements(m->values[v]) * sizeof(float)), offset = 0;
            int moved = 1;
            while (moved) {
                moved = 0;
                for (uint32_t j = 0; j < i; j++) {
                    uint32_t u = order[j];
                    if (first_use[u] > last_use[v] || first_use[v] > last_use[u]) continue;
                    size_t us = align_up(elements(m->values[u]) * sizeof(float));
                    size_t uo = m->value_offset[u];
                    if (offset < uo + us && uo < offset + size) {
                        offset = uo + us;
                        moved = 1;
                    }
                }
            }
            m->value_offset[v] = offset;
            if (offset + size > activations) activations = offset + size;
        }
    }
    free(first_use); free(last_use); free(order);
    m->scratch_bytes = scratch;
    for (uint32_t v = 0; v < m->n_values; v++) m->value_offset[v] += scratch;
    m->arena_bytes = scratch + activations + BE_ALIGN; /* + room to align the caller's pointer */
    if (m->arena_bytes > BE_MAX_ARENA)
        return fail(why, why_size, BE_ERR_FORMAT, "the model needs %zu MiB of arena, over %zu",
                    m->arena_bytes >> 20, BE_MAX_ARENA >> 20);
    return BE_OK;
}

/* ---- opening ------------------------------------------------------------------------- */

static be_status parse(be_model *m, char *why, size_t why_size) {
    const uint8_t *b = m->base;
    if (m->size < 8 || memcmp(b, BE_MAGIC, 8) != 0)
        return fail(why, why_size, BE_ERR_MAGIC, "not a bihar_edge weight file (bad magic)");
    if (m->size < BE_HEADER_BYTES)
        return fail(why, why_size, BE_ERR_TRUNCATED, "truncated: %zu bytes, the header is %u",
                    m->size, BE_HEADER_BYTES);
    uint32_t version = rd32(b + 8);
    if (version != BE_FORMAT_VERSION)
        return fail(why, why_size, BE_ERR_VERSION, "format version %u; this library reads %u",
                    version, BE_FORMAT_VERSION);
    uint64_t file_size = rd64(b + 16);
    if (rd32(b + 12) != BE_HEADER_BYTES)
        return fail(why, why_size, BE_ERR_FORMAT, "header size %u, expected %u", rd32(b + 12),
                    BE_HEADER_BYTES);
    if (file_size > m->size)
        return fail(why, why_size, BE_ERR_TRUNCATED, "truncated: %zu bytes, the header says %llu",
                    m->size, (unsigned long long)file_size);
    if (file_size < m->size)
        return fail(why, why_size, BE_ERR_TRUNCATED, "%zu bytes, %llu more than the header says",
                    m->size, (unsigned long long)(m->size - file_size));
    uint32_t stored_crc = rd32(b + 24);
    static const uint8_t zero[4] = {0, 0, 0, 0};
    uint32_t crc = be_crc32(b, 24, 0);
    crc = be_crc32(zero, 4, crc);
    crc = be_crc32(b + 28, m->size - 28, crc);
    if (crc != stored_crc)
        return fail(why, why_size, BE_ERR_CHECKSUM, "CRC-32 %08x, the header says %08x: corrupt",
                    crc, stored_crc);
    m->n_members = rd32(b + 28);
    m->n_values = rd32(b + 32);
    m->n_layers = rd32(b + 36);
    uint64_t data_off = rd64(b + 40), data_size = rd64(b + 48);
    m->tile = rd32(b + 56);
    m->stride = rd32(b + 60);
    uint32_t n_classes = rd32(b + 64);
    m->version = rd32(b + 68);
    memcpy(m->sha256, b + 72, 32);
    memcpy(m->name, b + 104, 31);
    m->name[31] = '\0';
    m->vote_member = (int32_t)rd32(b + 136);
    m->vote_threshold = rdd(b + 144);
    m->vote_weight = rdd(b + 152);
    if (!printable(m->name))
        return fail(why, why_size, BE_ERR_FORMAT, "model name is not printable ASCII");
    if (n_classes != BE_NUM_CLASSES)
        return fail(why, why_size, BE_ERR_FORMAT, "%u classes; the runtime has %d", n_classes,
                    BE_NUM_CLASSES);
    if (m->n_members < 1 || m->n_members > BE_MAX_MEMBERS || m->n_values < 2 ||
        m->n_values > BE_MAX_VALUES || m->n_layers < 1 || m->n_layers > BE_MAX_LAYERS)
        return fail(why, why_size, BE_ERR_FORMAT, "%u members, %u values, %u layers: out of range",
                    m->n_members, m->n_values, m->n_layers);
    if (m->tile < 8 || m->tile > BE_MAX_SIDE || m->stride < 1 || m->stride > m->tile)
        return fail(why, why_size, BE_ERR_FORMAT, "tile %u, stride %u: out of range", m->tile,
                    m->stride);
    uint64_t tables = (uint64_t)BE_HEADER_BYTES + (uint64_t)m->n_members * BE_MEMBER_BYTES +
                      (uint64_t)m->n_values * BE_VALUE_BYTES +
                      (uint64_t)m->n_layers * BE_LAYER_BYTES;
    if (data_off % BE_ALIGN || data_off < tables || data_off > m->size ||
        data_size != m->size - data_off)
        return fail(why, why_size, BE_ERR_FORMAT, "data section at %llu (+%llu) does not fit",
                    (unsigned long long)data_off, (unsigned long long)data_size);
    if (((uintptr_t)b) % 4)
        return fail(why, why_size, BE_ERR_ARGUMENT, "the weights are not 4-byte aligned in memory");

    m->values = calloc(m->n_values, sizeof *m->values);
    m->layers = calloc(m->n_layers, sizeof *m->layers);
    uint8_t *defined = calloc(m->n_values, 1);
    if (!m->values || !m->layers || !defined) {
        free(defined);
        return fail(why, why_size, BE_ERR_MEMORY, "out of memory reading the tables");
    }
    const uint8_t *values = b + BE_HEADER_BYTES + (size_t)m->n_members * BE_MEMBER_BYTES;
    for (uint32_t v = 0; v < m->n_values; v++) {
        be_shape s = {rd32(values + v * BE_VALUE_BYTES), rd32(values + v * BE_VALUE_BYTES + 4),
                      rd32(values + v * BE_VALUE_BYTES + 8)};
        if (s.h < 1 || s.w < 1 || s.c < 1 || s.h > BE_MAX_SIDE || s.w > BE_MAX_SIDE ||
            s.c > BE_MAX_CHANNELS || elements(s) > BE_MAX_ELEMENTS) {
            free(defined);
            return fail(why, why_size, BE_ERR_SHAPE, "value %u: shape %ux%ux%u out of range", v,
                        s.h, s.w, s.c);
        }
        m->values[v] = s;
    }
    /* members first (their inputs are what the layers start from), then their layers */
    be_status st = BE_OK;
    const uint8_t *layer_table = values + (size_t)m->n_values * BE_VALUE_BYTES;
    uint32_t next_layer = 0;
    for (uint32_t i = 0; i < m->n_members && st == BE_OK; i++) {
        st = check_member(m, i, b + BE_HEADER_BYTES + (size_t)i * BE_MEMBER_BYTES, why,
                          why_size);
        if (st != BE_OK) break;
        const be_member *mb = &m->members[i];
        if (mb->first != next_layer) {
            st = fail(why, why_size, BE_ERR_FORMAT, "member %u: layers do not follow the "
                      "previous member's", i);
            break;
        }
        next_layer = mb->first + mb->count;
        if (defined[mb->input]) {
            st = fail(why, why_size, BE_ERR_FORMAT, "member %u: input value reused", i);
            break;
        }
        defined[mb->input] = 1;
        for (uint32_t l = mb->first; l < next_layer && st == BE_OK; l++) {
            st = check_layer(m, l, layer_table + (size_t)l * BE_LAYER_BYTES, data_off, data_size,
                             defined, why, why_size);
            if (st == BE_OK) defined[m->layers[l].out] = 1;
        }
        if (st == BE_OK && (!defined[mb->logits] || (mb->cells != BE_NONE && !defined[mb->cells])))
            st = fail(why, why_size, BE_ERR_FORMAT, "member %u: outputs never computed", i);
    }
    free(defined);
    if (st != BE_OK) return st;
    if (next_layer != m->n_layers)
        return fail(why, why_size, BE_ERR_FORMAT, "%u layers belong to no member",
                    m->n_layers - next_layer);
    double total = 0.0;
    for (uint32_t i = 0; i < m->n_members; i++) total += m->members[i].weight;
    if (m->vote_member >= 0) {
        if ((uint32_t)m->vote_member >= m->n_members ||
            m->members[m->vote_member].cells == BE_NONE)
            return fail(why, why_size, BE_ERR_FORMAT, "the vote's member has no cell head");
        if (!(m->vote_threshold > 0.0 && m->vote_threshold < 1.0) ||
            !(m->vote_weight >= 0.0 && m->vote_weight <= 1.0))
            return fail(why, why_size, BE_ERR_FORMAT, "vote threshold or weight out of range");
        total += m->vote_weight;
    } else if (m->vote_member != -1) {
        return fail(why, why_size, BE_ERR_FORMAT, "vote member %d", m->vote_member);
    }
    if (fabs(total - 1.0) > 1e-4)
        return fail(why, why_size, BE_ERR_FORMAT, "ensemble weights sum to %g, not 1", total);
    return plan_arena(m, why, why_size);
}

static be_status open_model(be_model *m, be_model **out, char *why, size_t why_size) {
    m->kernels = be_best_kernels();
    be_status st = parse(m, why, why_size);
    if (st != BE_OK) {
        be_model_close(m);
        return st;
    }
    *out = m;
    return BE_OK;
}

be_status be_model_open_memory(const void *data, size_t size, be_model **out, char *why,
                               size_t why_size) {
    if (!data || !out) return fail(why, why_size, BE_ERR_ARGUMENT, "NULL argument");
    *out = NULL;
    be_model *m = calloc(1, sizeof *m);
    if (!m) return fail(why, why_size, BE_ERR_MEMORY, "out of memory");
    m->base = data;
    m->size = size;
    return open_model(m, out, why, why_size);
}

be_status be_model_open_file(const char *path, be_model **out, char *why, size_t why_size) {
    if (!path || !out) return fail(why, why_size, BE_ERR_ARGUMENT, "NULL argument");
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) return fail(why, why_size, BE_ERR_IO, "%s: %s", path, strerror(errno));
    long size = -1;
    if (fseek(f, 0, SEEK_END) == 0) size = ftell(f);
    if (size < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return fail(why, why_size, BE_ERR_IO, "%s: cannot find its size", path);
    }
    if ((unsigned long)size > (unsigned long)1 << 31) {
        fclose(f);
        return fail(why, why_size, BE_ERR_FORMAT, "%s: %ld bytes, over the 2 GiB limit", path,
                    size);
    }
    be_model *m = calloc(1, sizeof *m);
    void *bytes = malloc(size ? (size_t)size : 1);
    if (!m || !bytes) {
        free(m);
        free(bytes);
        fclose(f);
        return fail(why, why_size, BE_ERR_MEMORY, "out of memory reading %s", path);
    }
    size_t got = fread(bytes, 1, (size_t)size, f);
    fclose(f);
    if (got != (size_t)size) {
        free(m);
        free(bytes);
        return fail(why, why_size, BE_ERR_IO, "%s: short read", path);
    }
    m->owned = bytes;
    m->base = bytes;
    m->size = (size_t)size;
    return open_model(m, out, why, why_size);
}

void be_model_close(be_model *m) {
    if (!m) return;
    free(m->values);
    free(m->layers);
    free(m->value_offset);
    free(m->owned);
    free(m);
}

size_t be_model_arena_size(const be_model *m) { return m ? m->arena_bytes : 0; }
int be_model_tile(const be_model *m) { return m ? (int)m->tile : 0; }
int be_model_stride(const be_model *m) { return m ? (int)m->stride : 0; }
int be_model_version(const be_model *m) { return m ? (int)m->version : 0; }
const char *be_model_name(const be_model *m) { return m ? m->name : ""; }
int be_model_member_count(const be_model *m) { return m ? (int)m->n_members : 0; }

void be_model_sha256_hex(const be_model *m, char hex[65]) {
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        hex[2 * i] = digits[m->sha256[i] >> 4];
        hex[2 * i + 1] = digits[m->sha256[i] & 15];
    }
    hex[64] = '\0';
}
