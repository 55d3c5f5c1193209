/*
 * Photos for the CLI, under the policy of the Python reader (bihar/vision/photos.py):
 * 8-bit RGB as is; palette expanded; 16-bit colour reduced to its high byte (reported);
 * alpha dropped when every pixel is opaque (reported), refused otherwise; grayscale refused;
 * over 64 megapixels refused. PNG is read with libpng (when built with BE_WITH_PNG), binary
 * PPM (P6, maxval 255 or 65535) by this file.
 */
#include "image_io.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(BE_WITH_PNG)
#include <png.h>
#include <setjmp.h>
#endif

static const char CONVERTED_16[] = "16-bit colour converted to 8 bits (high byte)";

static int fail(char *why, size_t why_size, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, why_size, fmt, ap);
    va_end(ap);
    return -1;
}

void be_free_image(be_image *image) {
    free(image->rgb);
    image->rgb = NULL;
}

static int check_size(const char *path, unsigned long w, unsigned long h, char *why,
                      size_t why_size) {
    if (w == 0 || h == 0) return fail(why, why_size, "%s: an empty image", path);
    if (w > BE_MAX_PIXELS || h > BE_MAX_PIXELS || w * h > BE_MAX_PIXELS)
        return fail(why, why_size, "%s: %lux%lu px is over the %u megapixel limit; downscale it "
                    "first", path, w, h, BE_MAX_PIXELS / 1000000u);
    return 0;
}

/* ---- PPM ----------------------------------------------------------------------------- */

static int ppm_number(FILE *f, unsigned long *out) {
    int ch;
    do { /* whitespace and comments */
        ch = fgetc(f);
        if (ch == '#')
            while (ch != '\n' && ch != EOF) ch = fgetc(f);
    } while (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n');
    if (ch < '0' || ch > '9') return -1;
    unsigned long v = 0;
    while (ch >= '0' && ch <= '9') {
        if (v > (ULONG_MAX - 9) / 10 || v > 100000000ul) return -1;
        v = v * 10 + (unsigned long)(ch - '0');
        ch = fgetc(f);
    }
    *out = v;
    return ch == EOF ? -1 : 0; /* exactly one whitespace byte follows the last number */
}

static int read_ppm(const char *path, FILE *f, be_image *image, char *why, size_t why_size) {
    unsigned long w, h, maxval;
    if (ppm_number(f, &w) || ppm_number(f, &h) || ppm_number(f, &maxval))
        return fail(why, why_size, "%s: truncated or corrupt PPM header", path);
    if (check_size(path, w, h, why, why_size)) return -1;
    if (maxval != 255 && maxval != 65535)
        return fail(why, why_size, "%s: PPM maxval %lu; 255 or 65535 expected", path, maxval);
    size_t bytes = (size_t)w * h * 3, sample = maxval > 255 ? 2 : 1;
    image->rgb = malloc(bytes);
    if (!image->rgb) return fail(why, why_size, "%s: out of memory", path);
    if (sample == 1) {
        if (fread(image->rgb, 1, bytes, f) != bytes) {
            be_free_image(image);
            return fail(why, why_size, "%s: truncated or corrupt image (PPM data ends early)",
                        path);
        }
    } else {
        for (size_t i = 0; i < bytes; i++) {
            int hi = fgetc(f), lo = fgetc(f);
            if (hi == EOF || lo == EOF) {
                be_free_image(image);
                return fail(why, why_size, "%s: truncated or corrupt image (PPM data ends early)",
                            path);
            }
            image->rgb[i] = (uint8_t)hi;
        }
        image->conversions[0] = CONVERTED_16;
    }
    image->width = (int)w;
    image->height = (int)h;
    return 0;
}

/* ---- PNG ----------------------------------------------------------------------------- */

#if defined(BE_WITH_PNG)
static const char ALPHA_DROPPED[] = "opaque alpha channel dropped";

typedef struct png_failure {
    jmp_buf jump;
    char message[160];
} png_failure;

static void on_png_error(png_structp png, png_const_charp message) {
    png_failure *failure = png_get_error_ptr(png);
    snprintf(failure->message, sizeof failure->message, "%s", message);
    longjmp(failure->jump, 1);
}

static void on_png_warning(png_structp png, png_const_charp message) {
    (void)png;
    (void)message;
}

static int read_png(const char *path, FILE *f, be_image *image, char *why, size_t why_size) {
    png_failure failure = {.message = ""};
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &failure, on_png_error,
                                             on_png_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    uint8_t *volatile rgba = NULL;
    png_bytep *volatile rows = NULL;
    if (!png || !info) {
        png_destroy_read_struct(png ? &png : NULL, NULL, NULL);
        return fail(why, why_size, "%s: out of memory", path);
    }
    if (setjmp(failure.jump)) {
        png_destroy_read_struct(&png, &info, NULL);
        free(rgba);
        free(rows);
        be_free_image(image);
        return fail(why, why_size, "%s: truncated or corrupt image (%s)", path, failure.message);
    }
    png_set_user_limits(png, BE_MAX_PIXELS, BE_MAX_PIXELS);
    png_init_io(png, f);
    png_set_sig_bytes(png, 8);
    png_read_info(png, info);
    png_uint_32 w = png_get_image_width(png, info), h = png_get_image_height(png, info);
    int depth = png_get_bit_depth(png, info), type = png_get_color_type(png, info);
    if (type == PNG_COLOR_TYPE_GRAY || type == PNG_COLOR_TYPE_GRAY_ALPHA) {
        png_destroy_read_struct(&png, &info, NULL);
        return fail(why, why_size, "%s: a grayscale image (mode %s); the model needs colour (RGB) "
                    "photos", path, type == PNG_COLOR_TYPE_GRAY ? (depth == 16 ? "I;16" : "L")
                    : "LA");
    }
    if (check_size(path, w, h, why, why_size)) {
        png_destroy_read_struct(&png, &info, NULL);
        return -1;
    }
    int n = 0;
    if (depth == 16) {
        png_set_strip_16(png);
        image->conversions[n++] = CONVERTED_16;
    }
    /* like Pillow: a palette's transparency becomes alpha; an RGB image's tRNS is ignored */
    int has_alpha = type == PNG_COLOR_TYPE_RGB_ALPHA;
    if (type == PNG_COLOR_TYPE_PALETTE) {
        png_set_palette_to_rgb(png);
        if (png_get_valid(png, info, PNG_INFO_tRNS)) {
            png_set_tRNS_to_alpha(png);
            has_alpha = 1;
        }
    }
    png_set_add_alpha(png, 0xFF, PNG_FILLER_AFTER); /* RGBA rows whatever the source */
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    if (png_get_rowbytes(png, info) != (size_t)w * 4)
        png_error(png, "unexpected row size after conversion");
    rgba = malloc((size_t)w * h * 4);
    rows = malloc(sizeof(png_bytep) * h);
    if (!rgba || !rows) png_error(png, "out of memory");
    for (png_uint_32 y = 0; y < h; y++) rows[y] = rgba + (size_t)y * w * 4;
    png_read_image(png, rows);
    png_read_end(png, NULL);
    png_destroy_read_struct(&png, &info, NULL);
    free(rows);
    size_t pixels = (size_t)w * h, transparent = 0;
    for (size_t i = 0; i < pixels; i++) transparent += rgba[i * 4 + 3] != 0xFF;
    if (transparent) {
        free(rgba);
        return fail(why, why_size, "%s: %.1f%% of the pixels are transparent; flatten the photo "
                    "onto an opaque background first", path, 100.0 * transparent / pixels);
    }
    if (has_alpha) image->conversions[n++] = ALPHA_DROPPED;
    image->rgb = malloc(pixels * 3);
    if (!image->rgb) {
        free(rgba);
        return fail(why, why_size, "%s: out of memory", path);
    }
    for (size_t i = 0; i < pixels; i++) memcpy(image->rgb + i * 3, rgba + i * 4, 3);
    free(rgba);
    image->width = (int)w;
    image->height = (int)h;
    return 0;
}
#endif

int be_read_image(const char *path, be_image *image, char *why, size_t why_size) {
    memset(image, 0, sizeof *image);
    FILE *f = fopen(path, "rb");
    if (!f) return fail(why, why_size, "%s: %s", path, errno == ENOENT ? "no such file" :
                        strerror(errno));
    unsigned char magic[8] = {0};
    size_t got = fread(magic, 1, 8, f);
    int status;
    if (got >= 2 && magic[0] == 'P' && magic[1] == '6') {
        fseek(f, 2, SEEK_SET);
        status = read_ppm(path, f, image, why, why_size);
    } else if (got == 8 && memcmp(magic, "\x89PNG\r\n\x1a\n", 8) == 0) {
#if defined(BE_WITH_PNG)
        status = read_png(path, f, image, why, why_size);
#else
        status = fail(why, why_size, "%s: a PNG, but this build reads PPM (P6) only", path);
#endif
    } else if (got >= 3 && magic[0] == 0xFF && magic[1] == 0xD8 && magic[2] == 0xFF) {
        status = fail(why, why_size, "%s: a JPEG; the C runtime reads PNG or PPM (P6): convert it "
                      "first", path);
    } else {
        status = fail(why, why_size, "%s: not an image (PNG or PPM expected)", path);
    }
    fclose(f);
    return status;
}
