/* JPEG decoding through the libjpeg API (libjpeg-turbo) with the setjmp kept inside this file.
 * Gray stays 1 channel, colour is converted to RGB, Adobe CMYK/YCCK come out as CMYK with
 * the Adobe inversion undone (255 - v). "Premature end of JPEG file" (JWRN_JPEG_EOF), a
 * warning in libjpeg, is an error here: a truncated scan must not pass for a complete one. */

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>

#include "CCodecShims.h"

struct es_jpeg_error {
    struct jpeg_error_mgr pub;
    struct es_jpeg *owner;
};

struct es_jpeg {
    struct jpeg_decompress_struct cinfo;
    struct es_jpeg_error err;
    jmp_buf jump;
    int created;
    int started;
    int invert;       /* Adobe-inverted CMYK: write 255 - v */
    es_status status; /* set before the longjmp */
    uint32_t height;
    JSAMPROW *rows;
    char message[ES_MESSAGE_CAPACITY];
    char warning[ES_MESSAGE_CAPACITY];
};

static es_status es_jpeg_classify(int code) {
    switch (code) {
    case JERR_BAD_PRECISION:
    case JERR_ARITH_NOTIMPL:
    case JERR_NOT_COMPILED:
    case JERR_CONVERSION_NOTIMPL:
    case JERR_NOTIMPL:
        return ES_ERR_UNSUPPORTED;
    case JERR_INPUT_EMPTY:
    case JERR_INPUT_EOF:
    case JWRN_JPEG_EOF:
        return ES_ERR_TRUNCATED;
    case JERR_OUT_OF_MEMORY:
        return ES_ERR_MEMORY;
    case JERR_IMAGE_TOO_BIG:
    case JERR_WIDTH_OVERFLOW:
        return ES_ERR_TOO_LARGE;
    default:
        return ES_ERR_CORRUPT;
    }
}

static void es_jpeg_error_exit(j_common_ptr cinfo) {
    struct es_jpeg *h = ((struct es_jpeg_error *)cinfo->err)->owner;
    (*cinfo->err->format_message)(cinfo, h->message);
    h->status = es_jpeg_classify(cinfo->err->msg_code);
    longjmp(h->jump, 1);
}

static void es_jpeg_emit_message(j_common_ptr cinfo, int level) {
    struct es_jpeg *h = ((struct es_jpeg_error *)cinfo->err)->owner;
    if (level >= 0) {
        return; /* trace messages */
    }
    if (cinfo->err->msg_code == JWRN_JPEG_EOF) {
        (*cinfo->err->format_message)(cinfo, h->message);
        h->status = ES_ERR_TRUNCATED;
        longjmp(h->jump, 1);
    }
    cinfo->err->num_warnings++;
    if (h->warning[0] == 0) {
        (*cinfo->err->format_message)(cinfo, h->warning);
    }
}

static void es_jpeg_output_message(j_common_ptr cinfo) {
    (void)cinfo; /* never print */
}

es_jpeg *es_jpeg_create(void) {
    return (es_jpeg *)calloc(1, sizeof(es_jpeg));
}

es_status es_jpeg_open(es_jpeg *h, const uint8_t *data, size_t size, es_image_info *info) {
    memset(info, 0, sizeof *info);
    struct jpeg_decompress_struct *cinfo = &h->cinfo;
    cinfo->err = jpeg_std_error(&h->err.pub);
    h->err.owner = h;
    h->err.pub.error_exit = es_jpeg_error_exit;
    h->err.pub.emit_message = es_jpeg_emit_message;
    h->err.pub.output_message = es_jpeg_output_message;
    if (setjmp(h->jump)) {
        return h->status;
    }
    jpeg_create_decompress(cinfo);
    h->created = 1;
    jpeg_mem_src(cinfo, data, (unsigned long)size);
    jpeg_read_header(cinfo, TRUE);

    info->photometric = ES_PHOTO_RGB;
    switch (cinfo->jpeg_color_space) {
    case JCS_GRAYSCALE:
        cinfo->out_color_space = JCS_GRAYSCALE;
        info->photometric = ES_PHOTO_MIN_IS_BLACK;
        break;
    case JCS_CMYK:
    case JCS_YCCK:
        cinfo->out_color_space = JCS_CMYK;
        info->photometric = ES_PHOTO_CMYK;
        h->invert = cinfo->saw_Adobe_marker;
        break;
    default:
        cinfo->out_color_space = JCS_RGB;
        break;
    }
    jpeg_calc_output_dimensions(cinfo);
    info->width = cinfo->output_width;
    info->height = cinfo->output_height;
    info->channels = (uint32_t)cinfo->output_components;
    info->bits_in_file = (uint32_t)cinfo->data_precision;
    info->bytes_per_sample = 1;
    info->sample_kind = ES_SAMPLE_UINT;
    info->page_count = 1;
    if (cinfo->X_density > 0 && cinfo->Y_density > 0
        && (cinfo->density_unit == 1 || cinfo->density_unit == 2)) {
        double per_mm = cinfo->density_unit == 1 ? 25.4 : 10.0;
        info->has_pixel_size = 1;
        info->pixel_size_x_mm = per_mm / (double)cinfo->X_density;
        info->pixel_size_y_mm = per_mm / (double)cinfo->Y_density;
    }
    h->height = cinfo->output_height;
    return ES_OK;
}

es_status es_jpeg_read(es_jpeg *h, void *out, size_t row_bytes) {
    struct jpeg_decompress_struct *cinfo = &h->cinfo;
    if (!h->created) {
        snprintf(h->message, sizeof h->message, "es_jpeg_read called before a successful open");
        return ES_ERR_CORRUPT;
    }
    h->rows = (JSAMPROW *)malloc(sizeof(JSAMPROW) * (h->height ? h->height : 1));
    if (h->rows == NULL) {
        snprintf(h->message, sizeof h->message, "out of memory for row pointers");
        return ES_ERR_MEMORY;
    }
    for (uint32_t y = 0; y < h->height; y++) {
        h->rows[y] = (JSAMPROW)((uint8_t *)out + (size_t)y * row_bytes);
    }
    if (setjmp(h->jump)) {
        return h->status;
    }
    jpeg_start_decompress(cinfo);
    h->started = 1;
    if ((size_t)cinfo->output_width * (size_t)cinfo->output_components != row_bytes
        || cinfo->output_height != h->height) {
        snprintf(h->message, sizeof h->message, "output size changed after the header");
        return ES_ERR_CORRUPT;
    }
    while (cinfo->output_scanline < cinfo->output_height) {
        JDIMENSION line = cinfo->output_scanline;
        if (jpeg_read_scanlines(cinfo, h->rows + line, cinfo->output_height - line) == 0) {
            snprintf(h->message, sizeof h->message, "jpeg_read_scanlines made no progress");
            return ES_ERR_TRUNCATED;
        }
    }
    jpeg_finish_decompress(cinfo);
    h->started = 0;
    if (h->invert) {
        uint8_t *p = (uint8_t *)out;
        size_t n = row_bytes * (size_t)h->height;
        for (size_t i = 0; i < n; i++) {
            p[i] = (uint8_t)(255 - p[i]);
        }
    }
    return ES_OK;
}

const char *es_jpeg_message(const es_jpeg *h) {
    return h->message;
}

void es_jpeg_destroy(es_jpeg *h) {
    if (h == NULL) {
        return;
    }
    if (h->created) {
        /* jpeg_destroy never calls error_exit. */
        jpeg_destroy_decompress(&h->cinfo);
    }
    free(h->rows);
    free(h);
}
