/* Reading a photo for the CLI: PNG through libpng, or binary PPM (P6). */
#ifndef BE_IMAGE_IO_H
#define BE_IMAGE_IO_H

#include <stddef.h>
#include <stdint.h>

#define BE_MAX_PIXELS 64000000u /* the same limit as the Python reader */

typedef struct be_image {
    int width, height;
    uint8_t *rgb;               /* width * height * 3 bytes, rows packed */
    const char *conversions[2]; /* what was done to read it (NULL-terminated list) */
} be_image;

/* 0 on success; otherwise `why` says what is wrong with the file, in one line. */
int be_read_image(const char *path, be_image *image, char *why, size_t why_size);
void be_free_image(be_image *image);

#endif
