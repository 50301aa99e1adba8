/* Plain-C decode loops for `equiscan bench decode` (see es_bench.h). They follow the same
 * library calls as png_read.c, jpeg_read.c and tiff_read.c, minus the metadata work, so the
 * ratio Swift/C measures the cost of the Swift layer. setjmp stays inside this file. */

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* jpeglib.h needs size_t and FILE declared first. */
#include <jpeglib.h>
#include <png.h>
#include <tiffio.h>

#include "CCodecShims.h"
#include "es_bench.h"

/* ---- JPEG encode (test image) and decode ---- */

typedef struct {
    struct jpeg_error_mgr pub;
    jmp_buf jump;
    char *message;
} es_bench_jpeg_error;

static void es_bench_jpeg_error_exit(j_common_ptr cinfo) {
    es_bench_jpeg_error *err = (es_bench_jpeg_error *)cinfo->err;
    char text[JMSG_LENGTH_MAX];
    (*cinfo->err->format_message)(cinfo, text);
    snprintf(err->message, ES_MESSAGE_CAPACITY, "%s", text);
    longjmp(err->jump, 1);
}

static void es_bench_jpeg_output_message(j_common_ptr cinfo) { (void)cinfo; }

int es_bench_encode_jpeg(const uint8_t *pixels, uint32_t width, uint32_t height,
                         uint32_t channels, int quality, es_buffer *out, char *message) {
    memset(out, 0, sizeof *out);
    message[0] = 0;
    if (channels != 1 && channels != 3) {
        snprintf(message, ES_MESSAGE_CAPACITY, "JPEG test images are gray or RGB");
        return 1;
    }
    struct jpeg_compress_struct cinfo;
    es_bench_jpeg_error err;
    /* Written by libjpeg through pointers; volatile so they survive the longjmp. */
    unsigned char *volatile mem = NULL;
    unsigned long mem_size = 0;
    cinfo.err = jpeg_std_error(&err.pub);
    err.pub.error_exit = es_bench_jpeg_error_exit;
    err.pub.output_message = es_bench_jpeg_output_message;
    err.message = message;
    if (setjmp(err.jump)) {
        jpeg_destroy_compress(&cinfo);
        free(mem);
        return 1;
    }
    jpeg_create_compress(&cinfo);
    jpeg_mem_dest(&cinfo, (unsigned char **)&mem, &mem_size);
    cinfo.image_width = width;
    cinfo.image_height = height;
    cinfo.input_components = (int)channels;
    cinfo.in_color_space = channels == 3 ? JCS_RGB : JCS_GRAYSCALE;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, quality, TRUE);
    jpeg_start_compress(&cinfo, TRUE);
    size_t row_bytes = (size_t)width * channels;
    while (cinfo.next_scanline < cinfo.image_height) {
        JSAMPROW row = (JSAMPROW)(pixels + (size_t)cinfo.next_scanline * row_bytes);
        jpeg_write_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    /* Hand over a malloc'ed copy so es_buffer_free applies (libjpeg's buffer is malloc'ed
     * too, but that is an implementation detail). */
    out->data = (uint8_t *)malloc(mem_size);
    if (out->data == NULL) {
        free(mem);
        snprintf(message, ES_MESSAGE_CAPACITY, "out of memory");
        return 1;
    }
    memcpy(out->data, mem, mem_size);
    out->size = mem_size;
    out->capacity = mem_size;
    free(mem);
    return 0;
}

int es_bench_decode_jpeg(const uint8_t *data, size_t size, void *out, size_t out_size,
                         char *message) {
    struct jpeg_decompress_struct cinfo;
    es_bench_jpeg_error err;
    message[0] = 0;
    cinfo.err = jpeg_std_error(&err.pub);
    err.pub.error_exit = es_bench_jpeg_error_exit;
    err.pub.output_message = es_bench_jpeg_output_message;
    err.message = message;
    if (setjmp(err.jump)) {
        jpeg_destroy_decompress(&cinfo);
        return 1;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    jpeg_read_header(&cinfo, TRUE);
    jpeg_start_decompress(&cinfo);
    size_t row_bytes = (size_t)cinfo.output_width * (size_t)cinfo.output_components;
    if (row_bytes * cinfo.output_height > out_size) {
        snprintf(message, ES_MESSAGE_CAPACITY, "output buffer too small");
        jpeg_destroy_decompress(&cinfo);
        return 1;
    }
    while (cinfo.output_scanline < cinfo.output_height) {
        /* Several rows per call, as libjpeg-turbo decodes an iMCU row at a time. */
        JSAMPROW rows[16];
        JDIMENSION want = cinfo.output_height - cinfo.output_scanline;
        if (want > 16) want = 16;
        for (JDIMENSION i = 0; i < want; i++) {
            rows[i] = (JSAMPROW)out + (size_t)(cinfo.output_scanline + i) * row_bytes;
        }
        if (jpeg_read_scanlines(&cinfo, rows, want) == 0) {
            snprintf(message, ES_MESSAGE_CAPACITY, "jpeg_read_scanlines made no progress");
            jpeg_destroy_decompress(&cinfo);
            return 1;
        }
    }
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    return 0;
}

/* ---- PNG decode ---- */

typedef struct {
    jmp_buf jump;
    const uint8_t *data;
    size_t size;
    size_t offset;
    char *message;
} es_bench_png_source;

static void es_bench_png_error(png_structp png, png_const_charp msg) {
    es_bench_png_source *src = (es_bench_png_source *)png_get_error_ptr(png);
    snprintf(src->message, ES_MESSAGE_CAPACITY, "%s", msg ? msg : "libpng error");
    longjmp(src->jump, 1);
}

static void es_bench_png_warning(png_structp png, png_const_charp msg) {
    (void)png;
    (void)msg;
}

static void es_bench_png_read(png_structp png, png_bytep out, size_t length) {
    es_bench_png_source *src = (es_bench_png_source *)png_get_io_ptr(png);
    if (length > src->size - src->offset) png_error(png, "read past the end");
    memcpy(out, src->data + src->offset, length);
    src->offset += length;
}

int es_bench_decode_png(const uint8_t *data, size_t size, void *out, size_t out_size,
                        char *message) {
    es_bench_png_source src = {.data = data, .size = size, .offset = 0, .message = message};
    png_bytep *volatile rows = NULL;
    message[0] = 0;
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &src, es_bench_png_error,
                                             es_bench_png_warning);
    if (png == NULL) return 1;
    png_infop info = png_create_info_struct(png);
    if (info == NULL) {
        png_destroy_read_struct(&png, NULL, NULL);
        return 1;
    }
    if (setjmp(src.jump)) {
        png_destroy_read_struct(&png, &info, NULL);
        free(rows);
        return 1;
    }
    png_set_read_fn(png, &src, es_bench_png_read);
    png_set_user_limits(png, 0x7fffffff, 0x7fffffff);
    png_set_benign_errors(png, 1);
    png_read_info(png, info);
    png_set_expand(png);
    if (png_get_bit_depth(png, info) == 16) png_set_swap(png);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    png_uint_32 height = png_get_image_height(png, info);
    size_t row_bytes = png_get_rowbytes(png, info);
    if (row_bytes * height > out_size) png_error(png, "output buffer too small");
    rows = (png_bytep *)malloc(sizeof(png_bytep) * (height ? height : 1));
    if (rows == NULL) png_error(png, "out of memory");
    for (png_uint_32 y = 0; y < height; y++) rows[y] = (png_bytep)out + (size_t)y * row_bytes;
    png_read_image(png, rows);
    png_read_end(png, NULL);
    png_destroy_read_struct(&png, &info, NULL);
    free(rows);
    return 0;
}

/* ---- TIFF decode ---- */

typedef struct {
    const uint8_t *data;
    size_t size;
    uint64_t position;
    char *message;
    int has_error;
} es_bench_tiff_source;

static int es_bench_tiff_error(TIFF *tif, void *user, const char *module, const char *fmt,
                               va_list ap) {
    (void)tif;
    (void)module;
    es_bench_tiff_source *src = (es_bench_tiff_source *)user;
    if (!src->has_error) {
        vsnprintf(src->message, ES_MESSAGE_CAPACITY, fmt, ap);
        src->has_error = 1;
    }
    return 1;
}

static int es_bench_tiff_warning(TIFF *tif, void *user, const char *module, const char *fmt,
                                 va_list ap) {
    (void)tif; (void)user; (void)module; (void)fmt; (void)ap;
    return 1;
}

static tmsize_t es_bench_tiff_readproc(thandle_t h, void *buf, tmsize_t n) {
    es_bench_tiff_source *src = (es_bench_tiff_source *)h;
    if (n <= 0 || src->position >= src->size) return 0;
    size_t available = src->size - (size_t)src->position;
    size_t take = (size_t)n < available ? (size_t)n : available;
    memcpy(buf, src->data + src->position, take);
    src->position += take;
    return (tmsize_t)take;
}

static tmsize_t es_bench_tiff_writeproc(thandle_t h, void *buf, tmsize_t n) {
    (void)h; (void)buf; (void)n;
    return -1;
}

static toff_t es_bench_tiff_seekproc(thandle_t h, toff_t off, int whence) {
    es_bench_tiff_source *src = (es_bench_tiff_source *)h;
    int64_t base = whence == SEEK_SET ? 0
        : whence == SEEK_CUR ? (int64_t)src->position : (int64_t)src->size;
    int64_t target = base + (int64_t)off;
    if (target < 0) return (toff_t)-1;
    src->position = (uint64_t)target;
    return (toff_t)target;
}

static int es_bench_tiff_closeproc(thandle_t h) { (void)h; return 0; }

static toff_t es_bench_tiff_sizeproc(thandle_t h) {
    return (toff_t)((es_bench_tiff_source *)h)->size;
}

static int es_bench_tiff_mapproc(thandle_t h, void **base, toff_t *size) {
    (void)h; (void)base; (void)size;
    return 0;
}

static void es_bench_tiff_unmapproc(thandle_t h, void *base, toff_t size) {
    (void)h; (void)base; (void)size;
}

int es_bench_decode_tiff(const uint8_t *data, size_t size, void *out, size_t out_size,
                         char *message) {
    es_bench_tiff_source src = {.data = data, .size = size, .position = 0,
                                .message = message, .has_error = 0};
    message[0] = 0;
    TIFFOpenOptions *opts = TIFFOpenOptionsAlloc();
    if (opts == NULL) return 1;
    TIFFOpenOptionsSetErrorHandlerExtR(opts, es_bench_tiff_error, &src);
    TIFFOpenOptionsSetWarningHandlerExtR(opts, es_bench_tiff_warning, &src);
    TIFF *tif = TIFFClientOpenExt("memory", "rm", (thandle_t)&src, es_bench_tiff_readproc,
                                  es_bench_tiff_writeproc, es_bench_tiff_seekproc,
                                  es_bench_tiff_closeproc, es_bench_tiff_sizeproc,
                                  es_bench_tiff_mapproc, es_bench_tiff_unmapproc, opts);
    TIFFOpenOptionsFree(opts);
    if (tif == NULL) return 1;
    uint32_t width = 0, height = 0, rows_per_strip = 0;
    uint16_t bps = 0, spp = 1, planar = PLANARCONFIG_CONTIG;
    TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &width);
    TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &height);
    TIFFGetFieldDefaulted(tif, TIFFTAG_BITSPERSAMPLE, &bps);
    TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLESPERPIXEL, &spp);
    TIFFGetFieldDefaulted(tif, TIFFTAG_PLANARCONFIG, &planar);
    TIFFGetFieldDefaulted(tif, TIFFTAG_ROWSPERSTRIP, &rows_per_strip);
    size_t row_bytes = ((size_t)width * spp * bps + 7) / 8;
    if (TIFFIsTiled(tif) || planar != PLANARCONFIG_CONTIG || row_bytes * height > out_size
        || rows_per_strip == 0) {
        snprintf(message, ES_MESSAGE_CAPACITY, "baseline handles contiguous strips that fit");
        TIFFClose(tif);
        return 1;
    }
    if (rows_per_strip > height) rows_per_strip = height;
    uint32_t strips = (height + rows_per_strip - 1) / rows_per_strip;
    for (uint32_t s = 0; s < strips; s++) {
        uint32_t y0 = s * rows_per_strip;
        uint32_t rows = height - y0 < rows_per_strip ? height - y0 : rows_per_strip;
        tmsize_t want = (tmsize_t)(row_bytes * rows);
        if (TIFFReadEncodedStrip(tif, s, (uint8_t *)out + (size_t)y0 * row_bytes, want) < want) {
            if (!src.has_error) snprintf(message, ES_MESSAGE_CAPACITY, "strip decoded short");
            TIFFClose(tif);
            return 1;
        }
    }
    TIFFClose(tif);
    return 0;
}
