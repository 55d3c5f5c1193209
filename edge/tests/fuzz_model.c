/*
 * A bounded fuzz loop over mutated weight files: each case flips, overwrites or inserts bytes
 * of a valid file (or cuts it short), then opens it; half the cases repair the CRC-32 first,
 * so that the table and shape checks behind the checksum are exercised too. A file that still
 * opens classifies one tile. Under AddressSanitizer any out-of-bounds read aborts the run.
 *
 *   fuzz_model MODEL.bhe CASES SEED
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "be_internal.h"

static unsigned long long state;
static unsigned long long next(void) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
}

static void fix_crc(uint8_t *b, size_t size) {
    if (size < 28) return;
    static const uint8_t zero[4] = {0, 0, 0, 0};
    uint32_t crc = be_crc32(b, 24, 0);
    crc = be_crc32(zero, 4, crc);
    crc = be_crc32(b + 28, size - 28, crc);
    for (int i = 0; i < 4; i++) b[24 + i] = (uint8_t)(crc >> (8 * i));
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: fuzz_model MODEL.bhe CASES SEED\n");
        return 2;
    }
    FILE *f = fopen(argv[1], "rb");
    if (!f) return 2;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *good = malloc((size_t)size);
    if (!good || fread(good, 1, (size_t)size, f) != (size_t)size) return 2;
    fclose(f);
    long cases = atol(argv[2]);
    state = strtoull(argv[3], NULL, 10) * 2654435761ULL + 1;
    uint32_t *aligned = malloc((size_t)size + 64); /* 4-byte aligned copy */
    uint8_t *tile = malloc(4096 * 4096 * 3);
    for (size_t i = 0; i < 4096u * 4096u * 3u; i += 4096) tile[i] = (uint8_t)i;
    int opened = 0, refused = 0;
    for (long c = 0; c < cases; c++) {
        uint8_t *b = (uint8_t *)aligned;
        size_t n = (size_t)size;
        memcpy(b, good, n);
        int kind = (int)(next() % 4);
        if (kind == 0) { /* flip a few bits anywhere */
            for (int i = 0, k = 1 + (int)(next() % 8); i < k; i++) b[next() % n] ^= (uint8_t)(1u << (next() % 8));
        } else if (kind == 1) { /* overwrite a table field with an extreme value */
            size_t at = next() % (n < 4096 ? n : 4096) & ~(size_t)3;
            static const uint32_t extremes[] = {0, 1, 2, 3, 0x7FFFFFFF, 0xFFFFFFFF, 0x10000, 4096, 255};
            uint32_t v = extremes[next() % (sizeof extremes / sizeof extremes[0])];
            if (at + 4 <= n) memcpy(b + at, &v, 4);
        } else if (kind == 2) { /* cut it short */
            n = (size_t)(next() % n);
        } else { /* random bytes in the header and tables */
            for (int i = 0; i < 16; i++) b[next() % (n < 2048 ? n : 2048)] = (uint8_t)next();
        }
        if (next() % 2) fix_crc(b, n);
        be_model *model = NULL;
        char why[256];
        if (be_model_open_memory(b, n, &model, why, sizeof why) != BE_OK) {
            refused++;
            continue;
        }
        opened++;
        size_t arena = be_model_arena_size(model);
        if (arena < ((size_t)256 << 20)) {
            void *mem = malloc(arena);
            float probs[BE_NUM_CLASSES];
            if (mem) be_classify_tile(model, mem, arena, tile, (size_t)be_model_tile(model) * 3, probs);
            free(mem);
        }
        be_model_close(model);
    }
    printf("%ld cases: %d refused, %d opened\n", cases, refused, opened);
    free(good);
    free(aligned);
    free(tile);
    return 0;
}
