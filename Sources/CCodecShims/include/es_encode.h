#ifndef EQUISCAN_ES_ENCODE_H
#define EQUISCAN_ES_ENCODE_H

/* Encoding shims: each function encodes one image from a caller-owned, row-major, interleaved
 * sample buffer (multi-byte samples in host order) into a growable memory buffer. On failure
 * it returns a non-zero code and leaves the library's own message in `message`
 * (ES_MESSAGE_CAPACITY bytes); nothing is printed and no longjmp leaves these functions. */

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Result codes of the encoders. */
typedef enum {
    ES_ENCODE_OK = 0,
    ES_ENCODE_LIBRARY = 1,     /* the codec library reported an error */
    ES_ENCODE_MEMORY = 2,      /* an allocation failed */
    ES_ENCODE_ARGUMENT = 3     /* a combination the shim does not write */
} es_encode_status;

/* A malloc'ed byte buffer produced by an encoder; release it with es_buffer_free. */
typedef struct {
    uint8_t *data;
    size_t size;
    size_t capacity;
} es_buffer;

void es_buffer_free(es_buffer *buffer);
/* Grows `buffer` so that `extra` more bytes fit after `size`; returns 0 when memory runs out.
 * Shared by the encoders. */
int es_buffer_reserve(es_buffer *buffer, size_t extra);

/* PNG through libpng. channels 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA; bit_depth 8 or 16.
 * pixel size in mm > 0 writes a pHYs chunk (pixels per metre, rounded). zlib_level 0…9. */
es_encode_status es_png_encode(const void *pixels, uint32_t width, uint32_t height,
                               uint32_t channels, uint32_t bit_depth,
                               double pixel_size_x_mm, double pixel_size_y_mm,
                               int zlib_level, es_buffer *out, char *message);

/* TIFF sample formats (the values of the SampleFormat tag). */
typedef enum {
    ES_TIFF_UINT = 1,
    ES_TIFF_INT = 2,
    ES_TIFF_FLOAT = 3
} es_tiff_sample_format;

/* TIFF compressions written (the values of the Compression tag). */
typedef enum {
    ES_TIFF_NONE = 1,
    ES_TIFF_LZW = 5,
    ES_TIFF_DEFLATE = 8
} es_tiff_compression;

/* Photometric interpretation written for one- and two-channel images. */
typedef enum {
    ES_TIFF_MIN_IS_BLACK = 1,
    ES_TIFF_MIN_IS_WHITE = 0
} es_tiff_gray;

/* TIFF through libtiff, one page, strips of about 64 KiB, little-endian classic TIFF.
 * channels 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA (unassociated alpha); bits 8, 16, 32 or 64.
 * A horizontal predictor is used with LZW/Deflate (floating-point predictor for floats).
 * pixel size in mm > 0 writes X/YResolution in pixels per centimetre. */
es_encode_status es_tiff_encode(const void *pixels, uint32_t width, uint32_t height,
                                uint32_t channels, uint32_t bits_per_sample,
                                es_tiff_sample_format sample_format,
                                es_tiff_compression compression, es_tiff_gray gray,
                                double pixel_size_x_mm, double pixel_size_y_mm,
                                es_buffer *out, char *message);

#ifdef __cplusplus
}
#endif

#endif
