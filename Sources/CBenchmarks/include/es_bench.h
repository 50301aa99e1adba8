#ifndef EQUISCAN_ES_BENCH_H
#define EQUISCAN_ES_BENCH_H

/* Baselines for `equiscan bench decode`: the plainest C use of libpng, libjpeg and libtiff
 * that decodes an in-memory file into a caller-preallocated buffer with the same library
 * settings as the es_*_read shims (PNG: expand, swap 16-bit, interlace handling, read to IEND;
 * JPEG: library defaults; TIFF: client I/O without memory mapping, TIFFReadEncodedStrip into
 * the output rows). Also the JPEG encoder the benchmark uses to make its test image.
 * All functions return 0 on success, otherwise non-zero with the library's message in
 * `message` (ES_MESSAGE_CAPACITY bytes). Nothing is printed. */

#include <stddef.h>
#include <stdint.h>

#include "es_encode.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Encodes 8-bit interleaved samples (1 = gray, 3 = RGB) as a baseline JPEG of `quality`
 * (libjpeg defaults otherwise: 4:2:0 for colour). */
int es_bench_encode_jpeg(const uint8_t *pixels, uint32_t width, uint32_t height,
                         uint32_t channels, int quality, es_buffer *out, char *message);

/* Decodes a PNG into `out` (`out_size` bytes, row-major, 16-bit host order). */
int es_bench_decode_png(const uint8_t *data, size_t size, void *out, size_t out_size,
                        char *message);

/* Decodes a JPEG into `out` (`out_size` bytes). */
int es_bench_decode_jpeg(const uint8_t *data, size_t size, void *out, size_t out_size,
                         char *message);

/* Decodes page 0 of a contiguous, stripped TIFF into `out` (`out_size` bytes). */
int es_bench_decode_tiff(const uint8_t *data, size_t size, void *out, size_t out_size,
                         char *message);

#ifdef __cplusplus
}
#endif

#endif
