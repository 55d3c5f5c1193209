/*
 * bihar-edge: classify the tiles of one photo with a weight file and print the same JSON
 * document as `bihar vision classify` (bihar/vision/classify.py).
 *
 *   bihar-edge --model field-images-v1.bhe [--kernels auto|scalar|avx2|neon] PHOTO
 *
 * Exit codes: 0 done; 2 a bad photo, weight file or argument (one line on stderr says which);
 * 1 anything else (out of memory).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bihar_edge.h"
#include "image_io.h"

static const char *CLASS_NAMES[BE_NUM_CLASSES] = {"ground", "crop", "weeds", "crop_and_weeds"};

static int usage(void) {
    fprintf(stderr, "usage: bihar-edge --model FILE.bhe [--kernels auto|scalar|avx2|neon] "
                    "PHOTO.png|PHOTO.ppm\n");
    return 2;
}

static void json_string(const char *s) {
    putchar('"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') {
            printf("\\%c", *p);
        } else if (*p < 0x20) {
            printf("\\u%04x", *p);
        } else {
            putchar(*p);
        }
    }
    putchar('"');
}

/* the first class of highest probability, as numpy's argmax */
static int best_class(const float *p) {
    int best = 0;
    for (int k = 1; k < BE_NUM_CLASSES; k++)
        if (p[k] > p[best]) best = k;
    return best;
}

static int parse_kernels(const char *name, be_kernels *out) {
    static const struct { const char *name; be_kernels id; } table[] = {
        {"auto", BE_KERNELS_AUTO}, {"scalar", BE_KERNELS_SCALAR},
        {"avx2", BE_KERNELS_AVX2}, {"neon", BE_KERNELS_NEON}};
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        if (strcmp(name, table[i].name) == 0) {
            *out = table[i].id;
            return 0;
        }
    }
    return -1;
}

static void print_document(const char *path, const be_image *img, const be_model *model,
                           const float *probs, const int *tops, const int *lefts, size_t n) {
    int tile = be_model_tile(model);
    char sha[65];
    be_model_sha256_hex(model, sha);
    size_t counts[BE_NUM_CLASSES] = {0, 0, 0, 0};
    printf("{\n \"photo\": ");
    json_string(path);
    printf(",\n \"width\": %d,\n \"height\": %d,\n \"conversions\": [", img->width, img->height);
    for (int i = 0; i < 2 && img->conversions[i]; i++) {
        printf(i ? ", " : "");
        json_string(img->conversions[i]);
    }
    printf("],\n \"model\": {\"name\": ");
    json_string(be_model_name(model));
    printf(", \"version\": %d, \"sha256\": \"%s\"},\n", be_model_version(model), sha);
    printf(" \"tile\": {\"size\": %d, \"stride\": %d},\n \"classes\": [", tile,
           be_model_stride(model));
    for (int k = 0; k < BE_NUM_CLASSES; k++) printf("%s\"%s\"", k ? ", " : "", CLASS_NAMES[k]);
    printf("],\n");
    for (size_t i = 0; i < n; i++) counts[best_class(probs + i * BE_NUM_CLASSES)]++;
    printf(" \"counts\": {");
    for (int k = 0; k < BE_NUM_CLASSES; k++)
        printf("%s\"%s\": %zu", k ? ", " : "", CLASS_NAMES[k], counts[k]);
    printf("},\n \"tiles\": [");
    for (size_t i = 0; i < n; i++) {
        const float *p = probs + i * BE_NUM_CLASSES;
        printf("%s\n  {\"box\": {\"top\": %d, \"left\": %d, \"bottom\": %d, \"right\": %d}, "
               "\"class\": \"%s\", \"probabilities\": [%.6f, %.6f, %.6f, %.6f]}",
               i ? "," : "", tops[i], lefts[i], tops[i] + tile, lefts[i] + tile,
               CLASS_NAMES[best_class(p)], p[0], p[1], p[2], p[3]);
    }
    printf("\n ]\n}\n");
}

int main(int argc, char **argv) {
    const char *model_path = NULL, *photo = NULL;
    be_kernels kernels = BE_KERNELS_AUTO;
    for (int i = 1; i < argc; i++) {
        if ((strcmp(argv[i], "--model") == 0 || strcmp(argv[i], "-m") == 0) && i + 1 < argc) {
            model_path = argv[++i];
        } else if (strcmp(argv[i], "--kernels") == 0 && i + 1 < argc) {
            if (parse_kernels(argv[++i], &kernels)) return usage();
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage();
            return 0;
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            return usage();
        } else if (!photo) {
            photo = argv[i];
        } else {
            return usage();
        }
    }
    if (!model_path || !photo) return usage();

    char why[512];
    be_model *model = NULL;
    be_status st = be_model_open_file(model_path, &model, why, sizeof why);
    if (st != BE_OK) {
        fprintf(stderr, "bihar-edge: %s: %s\n", model_path, why);
        return st == BE_ERR_MEMORY ? 1 : 2;
    }
    if (be_model_set_kernels(model, kernels) != BE_OK) {
        fprintf(stderr, "bihar-edge: the %s kernels are not available on this machine\n",
                be_kernels_name(kernels));
        be_model_close(model);
        return 2;
    }
    be_image img;
    if (be_read_image(photo, &img, why, sizeof why) != 0) {
        fprintf(stderr, "bihar-edge: %s\n", why);
        be_model_close(model);
        return 2;
    }
    int tile = be_model_tile(model), status = 0;
    size_t n = be_photo_tile_count(model, img.width, img.height);
    if (n == 0) {
        fprintf(stderr, "bihar-edge: %s: %dx%d px is smaller than one %dx%d px tile\n", photo,
                img.width, img.height, tile, tile);
        be_free_image(&img);
        be_model_close(model);
        return 2;
    }
    for (int i = 0; i < 2 && img.conversions[i]; i++)
        fprintf(stderr, "bihar-edge: %s: %s\n", photo, img.conversions[i]);
    size_t arena_size = be_model_arena_size(model);
    void *arena = malloc(arena_size);
    float *probs = malloc(n * BE_NUM_CLASSES * sizeof *probs);
    int *tops = malloc(n * sizeof *tops), *lefts = malloc(n * sizeof *lefts);
    if (!arena || !probs || !tops || !lefts) {
        fprintf(stderr, "bihar-edge: out of memory\n");
        status = 1;
    } else if ((st = be_classify_photo(model, arena, arena_size, img.rgb, img.width, img.height,
                                       (size_t)img.width * 3, probs, tops, lefts, n)) != BE_OK) {
        fprintf(stderr, "bihar-edge: %s\n", be_status_string(st));
        status = 1;
    } else {
        print_document(photo, &img, model, probs, tops, lefts, n);
    }
    free(arena);
    free(probs);
    free(tops);
    free(lefts);
    be_free_image(&img);
    be_model_close(model);
    return status;
}
