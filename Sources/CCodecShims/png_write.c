/* PNG encoding through libpng into memory. The setjmp for libpng's error longjmp lives here,
 * so no longjmp ever crosses a Swift frame. */

#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "CCodecShims.h"
#include "es_encode.h"

void es_buffer_free(es_buffer *buffer) {
    if (buffer == NULL) return;
    free(buffer->data);
    buffer->data = NULL;
    buffer->size = 0;
    buffer->capacity = 0;
}

int es_buffer_reserve(es_buffer *buffer, size_t extra) {
    if (extra > SIZE_MAX - buffer->size) return 0;
    size_t needed = buffer->size + extra;
    if (needed <= buffer->capacity) return 1;
    size_t capacity = buffer->capacity ? buffer->capacity : 65536;
    while (capacity < needed) {
        if (capacity > SIZE_MAX / 2) { capacity = needed; break; }
        capacity *= 2;
    }
    uint8_t *data = (uint8_t *)realloc(buffer->data, capacity);
    if (data == NULL) return 0;
    buffer->data = data;
    buffer->capacity = capacity;
    return 1;
}

typedef struct {
    jmp_buf jump;
    es_buffer *out;
    char *message;
    int out_of_memory;
} es_png_writer;

static void es_png_write_error(png_structp png, png_const_charp msg) {
    es_png_writer *w = (es_png_writer *)png_get_error_ptr(png);
    snprintf(w->message, ES_MESSAGE_CAPACITY, "%s", msg ? msg : "unknown libpng error");
    longjmp(w->jump, 1);
}

static void es_png_write_warning(png_structp png, png_const_charp msg) {
    /* Encoder warnings carry no information for the caller; never print them. */
    (void)png;
    (void)msg;
}

static void es_png_write_data(png_structp png, png_bytep data, size_t length) {
    es_png_writer *w = (es_png_writer *)png_get_io_ptr(png);
    if (!es_buffer_reserve(w->out, length)) {
        w->out_of_memory = 1;
        png_error(png, "out of memory while growing the output buffer");
    }
    memcpy(w->out->data + w->out->size, data, length);
    w->out->size += length;
}

static void es_png_flush(png_structp png) { (void)png; }

/* Runs the libpng calls; kept separate so that the locals that live across setjmp are only
 * the volatile ones of the caller. */
static es_encode_status es_png_encode_inner(es_png_writer *w, png_structp png, png_infop info,
                                            const uint8_t *pixels, uint32_t width,
                                            uint32_t height, uint32_t channels,
                                            uint32_t bit_depth, double px_mm, double py_mm,
                                            int zlib_level) {
    if (setjmp(w->jump)) {
        return w->out_of_memory ? ES_ENCODE_MEMORY : ES_ENCODE_LIBRARY;
    }
    static const int color_types[5] = {0, PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA,
                                       PNG_COLOR_TYPE_RGB, PNG_COLOR_TYPE_RGB_ALPHA};
    png_set_write_fn(png, w, es_png_write_data, es_png_flush);
    png_set_compression_level(png, zlib_level);
    png_set_IHDR(png, info, width, height, (int)bit_depth, color_types[channels],
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (px_mm > 0 && py_mm > 0) {
        double ppm_x = 1000.0 / px_mm + 0.5;
        double ppm_y = 1000.0 / py_mm + 0.5;
        if (ppm_x >= 1 && ppm_y >= 1 && ppm_x < 2147483647.0 && ppm_y < 2147483647.0) {
            png_set_pHYs(png, info, (png_uint_32)ppm_x, (png_uint_32)ppm_y,
                         PNG_RESOLUTION_METER);
        }
    }
    png_write_info(png, info);
    if (bit_depth == 16) {
        const uint16_t probe = 1;
        if (*(const uint8_t *)&probe == 1) png_set_swap(png); /* host little-endian */
    }
    size_t row_bytes = (size_t)width * channels * (bit_depth / 8);
    for (uint32_t y = 0; y < height; y++) {
        png_write_row(png, (png_const_bytep)(pixels + (size_t)y * row_bytes));
    }
    png_write_end(png, NULL);
    return ES_ENCODE_OK;
}

es_encode_status es_png_encode(const void *pixels, uint32_t width, uint32_t height,
                               uint32_t channels, uint32_t bit_depth,
                               double pixel_size_x_mm, double pixel_size_y_mm,
                               int zlib_level, es_buffer *out, char *message) {
    memset(out, 0, sizeof *out);
    message[0] = 0;
    if (channels < 1 || channels > 4 || (bit_depth != 8 && bit_depth != 16) || width == 0
        || height == 0 || width > PNG_UINT_31_MAX || height > PNG_UINT_31_MAX) {
        snprintf(message, ES_MESSAGE_CAPACITY,
                 "PNG writes 1-4 channels of 8 or 16 bits, got %u channels of %u bits, %ux%u",
                 channels, bit_depth, width, height);
        return ES_ENCODE_ARGUMENT;
    }
    if (zlib_level < 0 || zlib_level > 9) zlib_level = 6;
    es_png_writer w;
    memset(&w, 0, sizeof w);
    w.out = out;
    w.message = message;
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &w, es_png_write_error,
                                              es_png_write_warning);
    if (png == NULL) {
        snprintf(message, ES_MESSAGE_CAPACITY, "png_create_write_struct failed");
        return ES_ENCODE_MEMORY;
    }
    png_infop info = png_create_info_struct(png);
    if (info == NULL) {
        png_destroy_write_struct(&png, NULL);
        snprintf(message, ES_MESSAGE_CAPACITY, "png_create_info_struct failed");
        return ES_ENCODE_MEMORY;
    }
    es_encode_status status = es_png_encode_inner(&w, png, info, (const uint8_t *)pixels, width,
                                                  height, channels, bit_depth, pixel_size_x_mm,
                                                  pixel_size_y_mm, zlib_level);
    png_destroy_write_struct(&png, &info);
    if (status != ES_ENCODE_OK) es_buffer_free(out);
    return status;
}
