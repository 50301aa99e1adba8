/* TIFF encoding through libtiff into memory. The TIFF is written through client procedures
 * over a growable buffer; libtiff's errors and warnings go to per-handle handlers that record
 * the first error message and never print. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tiffio.h>

#include "CCodecShims.h"
#include "es_encode.h"

typedef struct {
    es_buffer *out;
    uint64_t position;
    int out_of_memory;
    char *message;
    int has_error;
} es_tiff_writer;

static int es_tiff_write_error(TIFF *tif, void *user_data, const char *module,
                               const char *fmt, va_list ap) {
    (void)tif;
    es_tiff_writer *w = (es_tiff_writer *)user_data;
    if (!w->has_error) {
        char text[ES_MESSAGE_CAPACITY];
        vsnprintf(text, sizeof text, fmt, ap);
        if (module != NULL && module[0] != 0) {
            snprintf(w->message, ES_MESSAGE_CAPACITY, "%s: %s", module, text);
        } else {
            snprintf(w->message, ES_MESSAGE_CAPACITY, "%s", text);
        }
        w->has_error = 1;
    }
    return 1; /* handled: libtiff must not call its global (printing) handler */
}

static int es_tiff_write_warning(TIFF *tif, void *user_data, const char *module,
                                 const char *fmt, va_list ap) {
    (void)tif;
    (void)user_data;
    (void)module;
    (void)fmt;
    (void)ap;
    return 1;
}

static tmsize_t es_tiff_proc_read(thandle_t handle, void *buf, tmsize_t size) {
    es_tiff_writer *w = (es_tiff_writer *)handle;
    if (size <= 0 || w->position >= w->out->size) return 0;
    size_t available = w->out->size - (size_t)w->position;
    size_t n = (size_t)size < available ? (size_t)size : available;
    memcpy(buf, w->out->data + w->position, n);
    w->position += n;
    return (tmsize_t)n;
}

static tmsize_t es_tiff_proc_write(thandle_t handle, void *buf, tmsize_t size) {
    es_tiff_writer *w = (es_tiff_writer *)handle;
    if (size <= 0) return 0;
    uint64_t end = w->position + (uint64_t)size;
    if (end > w->out->size) {
        if (!es_buffer_reserve(w->out, (size_t)(end - w->out->size))) {
            w->out_of_memory = 1;
            return -1;
        }
        if (w->position > w->out->size) {
            /* a seek past the end leaves a hole of zeros */
            memset(w->out->data + w->out->size, 0, (size_t)(w->position - w->out->size));
        }
        w->out->size = (size_t)end;
    }
    memcpy(w->out->data + w->position, buf, (size_t)size);
    w->position = end;
    return size;
}

static toff_t es_tiff_proc_seek(thandle_t handle, toff_t offset, int whence) {
    es_tiff_writer *w = (es_tiff_writer *)handle;
    int64_t base;
    switch (whence) {
    case SEEK_SET: base = 0; break;
    case SEEK_CUR: base = (int64_t)w->position; break;
    case SEEK_END: base = (int64_t)w->out->size; break;
    default: return (toff_t)-1;
    }
    int64_t target = base + (int64_t)offset;
    if (target < 0) return (toff_t)-1;
    w->position = (uint64_t)target;
    return (toff_t)target;
}

static int es_tiff_proc_close(thandle_t handle) { (void)handle; return 0; }

static toff_t es_tiff_proc_size(thandle_t handle) {
    es_tiff_writer *w = (es_tiff_writer *)handle;
    return (toff_t)w->out->size;
}

static int es_tiff_proc_map(thandle_t handle, void **base, toff_t *size) {
    (void)handle; (void)base; (void)size;
    return 0;
}

static void es_tiff_proc_unmap(thandle_t handle, void *base, toff_t size) {
    (void)handle; (void)base; (void)size;
}

static es_encode_status es_tiff_fail(es_tiff_writer *w, const char *fallback) {
    if (w->out_of_memory) {
        snprintf(w->message, ES_MESSAGE_CAPACITY, "out of memory while growing the output");
        return ES_ENCODE_MEMORY;
    }
    if (!w->has_error) snprintf(w->message, ES_MESSAGE_CAPACITY, "%s", fallback);
    return ES_ENCODE_LIBRARY;
}

static es_encode_status es_tiff_write_page(TIFF *tif, es_tiff_writer *w, const uint8_t *pixels,
                                           uint32_t width, uint32_t height, uint32_t channels,
                                           uint32_t bits, es_tiff_sample_format format,
                                           es_tiff_compression compression, es_tiff_gray gray,
                                           double px_mm, double py_mm) {
    uint16_t photometric = channels >= 3 ? PHOTOMETRIC_RGB
        : (gray == ES_TIFF_MIN_IS_WHITE ? PHOTOMETRIC_MINISWHITE : PHOTOMETRIC_MINISBLACK);
    size_t row_bytes = (size_t)width * channels * (bits / 8);
    uint32_t rows_per_strip = (uint32_t)(65536 / (row_bytes ? row_bytes : 1));
    if (rows_per_strip < 1) rows_per_strip = 1;
    if (rows_per_strip > height) rows_per_strip = height;

    int ok = TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, width)
        && TIFFSetField(tif, TIFFTAG_IMAGELENGTH, height)
        && TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, (uint16_t)channels)
        && TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, (uint16_t)bits)
        && TIFFSetField(tif, TIFFTAG_SAMPLEFORMAT, (uint16_t)format)
        && TIFFSetField(tif, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG)
        && TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, photometric)
        && TIFFSetField(tif, TIFFTAG_ORIENTATION, ORIENTATION_TOPLEFT)
        && TIFFSetField(tif, TIFFTAG_COMPRESSION, (uint16_t)compression)
        && TIFFSetField(tif, TIFFTAG_ROWSPERSTRIP, rows_per_strip);
    if (ok && (channels == 2 || channels == 4)) {
        uint16_t extra = EXTRASAMPLE_UNASSALPHA;
        ok = TIFFSetField(tif, TIFFTAG_EXTRASAMPLES, 1, &extra);
    }
    if (ok && compression != ES_TIFF_NONE) {
        uint16_t predictor = format == ES_TIFF_FLOAT ? PREDICTOR_FLOATINGPOINT
                                                     : PREDICTOR_HORIZONTAL;
        ok = TIFFSetField(tif, TIFFTAG_PREDICTOR, predictor);
    }
    if (ok && px_mm > 0 && py_mm > 0) {
        ok = TIFFSetField(tif, TIFFTAG_RESOLUTIONUNIT, RESUNIT_CENTIMETER)
            && TIFFSetField(tif, TIFFTAG_XRESOLUTION, 10.0 / px_mm)
            && TIFFSetField(tif, TIFFTAG_YRESOLUTION, 10.0 / py_mm);
    }
    if (!ok) return es_tiff_fail(w, "TIFFSetField failed");

    /* The predictor works in place, so each strip is copied into a scratch buffer first:
     * the caller's samples are never modified. */
    size_t strip_capacity = row_bytes * rows_per_strip;
    uint8_t *strip = (uint8_t *)malloc(strip_capacity);
    if (strip == NULL) {
        snprintf(w->message, ES_MESSAGE_CAPACITY, "out of memory for a %zu-byte strip",
                 strip_capacity);
        return ES_ENCODE_MEMORY;
    }
    es_encode_status status = ES_ENCODE_OK;
    uint32_t strip_index = 0;
    for (uint32_t y = 0; y < height; y += rows_per_strip, strip_index++) {
        uint32_t rows = height - y < rows_per_strip ? height - y : rows_per_strip;
        size_t bytes = row_bytes * rows;
        memcpy(strip, pixels + (size_t)y * row_bytes, bytes);
        if (TIFFWriteEncodedStrip(tif, strip_index, strip, (tmsize_t)bytes) < 0) {
            status = es_tiff_fail(w, "TIFFWriteEncodedStrip failed");
            break;
        }
    }
    free(strip);
    if (status == ES_ENCODE_OK && !TIFFWriteDirectory(tif)) {
        status = es_tiff_fail(w, "TIFFWriteDirectory failed");
    }
    return status;
}

es_encode_status es_tiff_encode(const void *pixels, uint32_t width, uint32_t height,
                                uint32_t channels, uint32_t bits_per_sample,
                                es_tiff_sample_format sample_format,
                                es_tiff_compression compression, es_tiff_gray gray,
                                double pixel_size_x_mm, double pixel_size_y_mm,
                                es_buffer *out, char *message) {
    memset(out, 0, sizeof *out);
    message[0] = 0;
    int bits_ok = bits_per_sample == 8 || bits_per_sample == 16 || bits_per_sample == 32
        || (bits_per_sample == 64 && sample_format == ES_TIFF_FLOAT);
    int float_ok = sample_format != ES_TIFF_FLOAT || bits_per_sample >= 32;
    int compression_ok = compression == ES_TIFF_NONE || compression == ES_TIFF_LZW
        || compression == ES_TIFF_DEFLATE;
    if (channels < 1 || channels > 4 || !bits_ok || !float_ok || !compression_ok
        || width == 0 || height == 0) {
        snprintf(message, ES_MESSAGE_CAPACITY,
                 "TIFF writes 1-4 channels of 8/16/32-bit integers or 32/64-bit floats with "
                 "compression none, LZW or Deflate; got %u channels, %u bits, sample format %d, "
                 "compression %d, %ux%u", channels, bits_per_sample, (int)sample_format,
                 (int)compression, width, height);
        return ES_ENCODE_ARGUMENT;
    }
    es_tiff_writer w;
    memset(&w, 0, sizeof w);
    w.out = out;
    w.message = message;

    TIFFOpenOptions *options = TIFFOpenOptionsAlloc();
    if (options == NULL) {
        snprintf(message, ES_MESSAGE_CAPACITY, "TIFFOpenOptionsAlloc failed");
        return ES_ENCODE_MEMORY;
    }
    TIFFOpenOptionsSetErrorHandlerExtR(options, es_tiff_write_error, &w);
    TIFFOpenOptionsSetWarningHandlerExtR(options, es_tiff_write_warning, &w);
    /* "l": little-endian; "w": create. */
    TIFF *tif = TIFFClientOpenExt("memory", "wl", (thandle_t)&w, es_tiff_proc_read,
                                  es_tiff_proc_write, es_tiff_proc_seek, es_tiff_proc_close,
                                  es_tiff_proc_size, es_tiff_proc_map, es_tiff_proc_unmap,
                                  options);
    TIFFOpenOptionsFree(options);
    if (tif == NULL) {
        es_encode_status status = es_tiff_fail(&w, "TIFFClientOpenExt failed");
        es_buffer_free(out);
        return status;
    }
    es_encode_status status = es_tiff_write_page(tif, &w, (const uint8_t *)pixels, width,
                                                 height, channels, bits_per_sample,
                                                 sample_format, compression, gray,
                                                 pixel_size_x_mm, pixel_size_y_mm);
    TIFFClose(tif);
    if (status == ES_ENCODE_OK && (w.has_error || w.out_of_memory)) {
        status = es_tiff_fail(&w, "TIFFClose failed");
    }
    if (status != ES_ENCODE_OK) es_buffer_free(out);
    return status;
}
