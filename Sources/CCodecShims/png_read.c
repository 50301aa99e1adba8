/* PNG decoding through libpng with the setjmp kept inside this file.
 * Expansion rules (the conformance policy): png_set_expand (palette -> RGB, tRNS -> alpha,
 * 1/2/4-bit gray scaled to 8 bits), 16-bit kept and byte-swapped to little-endian, Adam7
 * handled by libpng, no gamma. Ancillary-chunk problems are warnings (libpng's benign
 * errors); critical-chunk problems and truncation are errors. */

#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "CCodecShims.h"

struct es_png {
    png_structp png;
    png_infop info;
    jmp_buf jump;
    const uint8_t *data;
    size_t size;
    size_t offset;
    int truncated;      /* the reader asked for bytes beyond the end */
    int opened;         /* es_png_open succeeded */
    uint32_t height;
    int bit_depth;
    png_bytep *rows;
    char message[ES_MESSAGE_CAPACITY];
    char warning[ES_MESSAGE_CAPACITY];
};

static void es_png_error_fn(png_structp png, png_const_charp msg) {
    es_png *h = (es_png *)png_get_error_ptr(png);
    snprintf(h->message, sizeof h->message, "%s", msg ? msg : "unknown libpng error");
    longjmp(h->jump, 1);
}

static void es_png_warning_fn(png_structp png, png_const_charp msg) {
    es_png *h = (es_png *)png_get_error_ptr(png);
    /* Keep the first warning only; never print. */
    if (h->warning[0] == 0) {
        snprintf(h->warning, sizeof h->warning, "%s", msg ? msg : "");
    }
}

static void es_png_read_fn(png_structp png, png_bytep out, size_t length) {
    es_png *h = (es_png *)png_get_io_ptr(png);
    if (length > h->size - h->offset) {
        h->truncated = 1;
        png_error(png, "Read Error: file ends before the PNG stream does");
    }
    memcpy(out, h->data + h->offset, length);
    h->offset += length;
}

es_png *es_png_create(void) {
    es_png *h = (es_png *)calloc(1, sizeof(es_png));
    return h;
}

static es_status es_png_fail(es_png *h) {
    return h->truncated ? ES_ERR_TRUNCATED : ES_ERR_CORRUPT;
}

es_status es_png_open(es_png *h, const uint8_t *data, size_t size, es_image_info *info) {
    memset(info, 0, sizeof *info);
    h->data = data;
    h->size = size;
    h->offset = 0;
    h->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, h, es_png_error_fn,
                                    es_png_warning_fn);
    if (h->png == NULL) {
        snprintf(h->message, sizeof h->message, "png_create_read_struct failed");
        return ES_ERR_MEMORY;
    }
    h->info = png_create_info_struct(h->png);
    if (h->info == NULL) {
        snprintf(h->message, sizeof h->message, "png_create_info_struct failed");
        return ES_ERR_MEMORY;
    }
    if (setjmp(h->jump)) {
        return es_png_fail(h);
    }
    png_set_read_fn(h->png, h, es_png_read_fn);
    /* The caller enforces its own pixel limit with a typed error; libpng's 1e6 x 1e6 default
     * would otherwise reject large headers with a generic message first. */
    png_set_user_limits(h->png, 0x7fffffff, 0x7fffffff);
    png_set_benign_errors(h->png, 1);
    png_read_info(h->png, h->info);

    png_uint_32 width = 0, height = 0;
    int bit_depth = 0, color_type = 0, interlace = 0;
    png_get_IHDR(h->png, h->info, &width, &height, &bit_depth, &color_type, &interlace,
                 NULL, NULL);
    info->bits_in_file = (uint32_t)bit_depth;
    /* The output layout is predicted from IHDR and tRNS: png_read_update_info allocates and
     * clears row buffers of the declared width, so it must wait until the caller has checked
     * the size against its limit (es_png_read runs it). */
    int has_trns = png_get_valid(h->png, h->info, PNG_INFO_tRNS) != 0;
    uint32_t channels;
    switch (color_type) {
    case PNG_COLOR_TYPE_GRAY: channels = 1 + (has_trns ? 1 : 0); break;
    case PNG_COLOR_TYPE_GRAY_ALPHA: channels = 2; break;
    case PNG_COLOR_TYPE_PALETTE:
    case PNG_COLOR_TYPE_RGB: channels = 3 + (has_trns ? 1 : 0); break;
    default: channels = 4; break;
    }
    info->width = width;
    info->height = height;
    info->channels = channels;
    info->bytes_per_sample = bit_depth == 16 ? 2 : 1;
    info->sample_kind = ES_SAMPLE_UINT;
    info->page_count = 1;
    info->has_alpha = channels == 2 || channels == 4;
    info->photometric = (color_type & (PNG_COLOR_MASK_COLOR | PNG_COLOR_MASK_PALETTE))
                            ? ES_PHOTO_RGB : ES_PHOTO_MIN_IS_BLACK;
    h->bit_depth = bit_depth;
    png_uint_32 res_x = 0, res_y = 0;
    int unit = 0;
    if (png_get_pHYs(h->png, h->info, &res_x, &res_y, &unit) && unit == PNG_RESOLUTION_METER
        && res_x > 0 && res_y > 0) {
        info->has_pixel_size = 1;
        info->pixel_size_x_mm = 1000.0 / (double)res_x;
        info->pixel_size_y_mm = 1000.0 / (double)res_y;
    }
    h->height = height;
    h->opened = 1;
    return ES_OK;
}

es_status es_png_read(es_png *h, void *out, size_t row_bytes) {
    if (!h->opened) {
        snprintf(h->message, sizeof h->message, "es_png_read called before a successful open");
        return ES_ERR_CORRUPT;
    }
    if (setjmp(h->jump)) {
        return es_png_fail(h);
    }
    png_set_expand(h->png);
    if (h->bit_depth == 16) {
        png_set_swap(h->png);
    }
    png_set_interlace_handling(h->png);
    png_read_update_info(h->png, h->info);
    if (png_get_rowbytes(h->png, h->info) != row_bytes) {
        snprintf(h->message, sizeof h->message, "row size mismatch: libpng %zu, buffer %zu",
                 (size_t)png_get_rowbytes(h->png, h->info), row_bytes);
        return ES_ERR_CORRUPT;
    }
    h->rows = (png_bytep *)malloc(sizeof(png_bytep) * (h->height ? h->height : 1));
    if (h->rows == NULL) {
        snprintf(h->message, sizeof h->message, "out of memory for row pointers");
        return ES_ERR_MEMORY;
    }
    for (uint32_t y = 0; y < h->height; y++) {
        h->rows[y] = (png_bytep)out + (size_t)y * row_bytes;
    }
    if (setjmp(h->jump)) {
        return es_png_fail(h);
    }
    png_read_image(h->png, h->rows);
    /* Reading to IEND makes a truncated or corrupt tail an error, not a silent success. */
    png_read_end(h->png, NULL);
    return ES_OK;
}

const char *es_png_message(const es_png *h) {
    return h->message;
}

void es_png_destroy(es_png *h) {
    if (h == NULL) {
        return;
    }
    if (h->png != NULL) {
        png_destroy_read_struct(&h->png, h->info ? &h->info : NULL, NULL);
    }
    free(h->rows);
    free(h);
}
