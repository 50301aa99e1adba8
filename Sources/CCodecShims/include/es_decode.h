#ifndef EQUISCAN_ES_DECODE_H
#define EQUISCAN_ES_DECODE_H

/* Decoding shims. Each format works in two steps so that the caller can check the declared
 * size against its pixel limit before any pixel buffer exists:
 *   es_X_open   parses the header from an in-memory file and fills an es_image_info;
 *   es_X_read   decodes the pixels straight into a caller-owned buffer;
 *   es_X_close  frees everything (always call it, also after a failure).
 * Every function that can fail returns an es_status and leaves the library's own message in
 * the handle (es_X_message). No longjmp ever leaves these functions. */

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Outcome of a shim call; the Swift side maps these onto CodecError.Kind. */
typedef enum {
    ES_OK = 0,
    ES_ERR_TRUNCATED = 1,   /* the data ended early */
    ES_ERR_CORRUPT = 2,     /* the library rejected the data */
    ES_ERR_UNSUPPORTED = 3, /* a valid file using a variant this build cannot decode */
    ES_ERR_TOO_LARGE = 4,   /* declared sizes beyond what the shim accepts */
    ES_ERR_PAGE = 5,        /* requested page does not exist */
    ES_ERR_MEMORY = 6       /* allocation failed */
} es_status;

/* Sample encoding of the decoded buffer. */
typedef enum {
    ES_SAMPLE_UINT = 1,
    ES_SAMPLE_INT = 2,
    ES_SAMPLE_FLOAT = 3
} es_sample_kind;

/* Photometric reading of the channels, as the file states it. */
typedef enum {
    ES_PHOTO_MIN_IS_BLACK = 0,
    ES_PHOTO_MIN_IS_WHITE = 1,
    ES_PHOTO_RGB = 2,
    ES_PHOTO_PALETTE = 3,
    ES_PHOTO_CMYK = 4,
    ES_PHOTO_OTHER = 5
} es_photometric;

/* What the header says, after the shim's expansion rules. */
typedef struct {
    uint32_t width;
    uint32_t height;
    uint32_t channels;          /* samples per pixel in the decoded buffer */
    uint32_t bits_in_file;      /* significant bits per sample in the file */
    uint32_t bytes_per_sample;  /* 1, 2, 4 or 8 in the decoded buffer */
    es_sample_kind sample_kind;
    es_photometric photometric;
    int has_alpha;              /* last channel is alpha */
    uint32_t page_count;
    int orientation;            /* TIFF Orientation tag, 0 when absent */
    /* Pixel size: resolution_unit 0 none/unknown, 1 per millimetre (already converted). */
    int has_pixel_size;
    double pixel_size_x_mm;
    double pixel_size_y_mm;
    uint32_t palette_count;     /* TIFF colour map entries (0 when none) */
} es_image_info;

/* ---- PNG (libpng 1.6) ---- */
typedef struct es_png es_png;
es_png *es_png_create(void);
es_status es_png_open(es_png *h, const uint8_t *data, size_t size, es_image_info *info);
/* Sets up the expansion, decodes all rows into `out` (height * row_bytes bytes), then reads
 * to IEND. Row buffers of the declared width are allocated only here. */
es_status es_png_read(es_png *h, void *out, size_t row_bytes);
const char *es_png_message(const es_png *h);
void es_png_destroy(es_png *h);

/* ---- JPEG (libjpeg-turbo, libjpeg API) ---- */
typedef struct es_jpeg es_jpeg;
es_jpeg *es_jpeg_create(void);
es_status es_jpeg_open(es_jpeg *h, const uint8_t *data, size_t size, es_image_info *info);
es_status es_jpeg_read(es_jpeg *h, void *out, size_t row_bytes);
const char *es_jpeg_message(const es_jpeg *h);
void es_jpeg_destroy(es_jpeg *h);

/* ---- TIFF (libtiff 4.5) ---- */
typedef struct es_tiff es_tiff;
es_tiff *es_tiff_create(void);
/* Opens the file, counts pages, selects `page` and reads its tags. `max_alloc` bounds every
 * single allocation libtiff makes (0 = libtiff's default). */
es_status es_tiff_open(es_tiff *h, const uint8_t *data, size_t size, uint32_t page,
                       uint64_t max_alloc, es_image_info *info);
/* Copies the page's colour map as interleaved RGB triples (3 * palette_count values). */
void es_tiff_palette(const es_tiff *h, uint16_t *out);
es_status es_tiff_read(es_tiff *h, void *out, size_t row_bytes);
const char *es_tiff_message(const es_tiff *h);
void es_tiff_destroy(es_tiff *h);

#ifdef __cplusplus
}
#endif

#endif
