/* TIFF decoding through libtiff from memory, with errors captured per handle.
 * Policy (conformance/expected.json): samples as stored, no photometric inversion, palette
 * indices kept, planar-separate interleaved, YCbCr-JPEG decoded to RGB (JPEGCOLORMODE_RGB),
 * 1..7-bit samples one byte each unscaled, 9..15-bit as uint16. The Orientation tag is
 * reported; the Swift side applies it. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tiffio.h>

#include "CCodecShims.h"
#include "tiff_errors.h"

struct es_tiff {
    TIFF *tif;
    es_tiff_log log;
    const uint8_t *data;
    uint64_t size;
    uint64_t pos;
    uint64_t max_alloc;
    int opened;
    /* Geometry of the selected page. */
    uint32_t width, height;
    uint16_t spp, bps, planar;
    uint32_t out_bytes;     /* bytes per decoded sample */
    int tiled;
    uint32_t tile_w, tile_h, rows_per_strip;
    uint16_t *palette[3];
    uint32_t palette_count;
    char message[ES_MESSAGE_CAPACITY];
};

/* ---- in-memory client I/O ---- */

static tmsize_t es_tiff_read_proc(thandle_t fd, void *buf, tmsize_t size) {
    es_tiff *h = (es_tiff *)fd;
    if (size <= 0 || h->pos >= h->size) {
        return 0;
    }
    uint64_t n = (uint64_t)size;
    if (n > h->size - h->pos) {
        n = h->size - h->pos;
    }
    memcpy(buf, h->data + h->pos, (size_t)n);
    h->pos += n;
    return (tmsize_t)n;
}

static tmsize_t es_tiff_write_proc(thandle_t fd, void *buf, tmsize_t size) {
    (void)fd; (void)buf; (void)size;
    return 0;
}

static toff_t es_tiff_seek_proc(thandle_t fd, toff_t off, int whence) {
    es_tiff *h = (es_tiff *)fd;
    uint64_t base;
    switch (whence) {
    case SEEK_SET: base = 0; break;
    case SEEK_CUR: base = h->pos; break;
    case SEEK_END: base = h->size; break;
    default: return (toff_t)-1;
    }
    /* Offsets past the end are allowed (reads there return 0 bytes); wrap-around is not. */
    if (off > UINT64_MAX - base) {
        return (toff_t)-1;
    }
    h->pos = base + off;
    return (toff_t)h->pos;
}

static int es_tiff_close_proc(thandle_t fd) {
    (void)fd;
    return 0;
}

static toff_t es_tiff_size_proc(thandle_t fd) {
    return (toff_t)((es_tiff *)fd)->size;
}

static int es_tiff_map_proc(thandle_t fd, void **base, toff_t *size) {
    (void)fd; (void)base; (void)size;
    return 0;
}

static void es_tiff_unmap_proc(thandle_t fd, void *base, toff_t size) {
    (void)fd; (void)base; (void)size;
}

/* ---- helpers ---- */

es_tiff *es_tiff_create(void) {
    return (es_tiff *)calloc(1, sizeof(es_tiff));
}

static es_status es_tiff_fail(es_tiff *h, es_status status, const char *fallback) {
    if (h->log.error_count > 0) {
        snprintf(h->message, sizeof h->message, "%s", h->log.error);
    } else {
        snprintf(h->message, sizeof h->message, "%s", fallback);
    }
    return status;
}

/* A strip or tile that decoded short: names the rows it covers. libtiff's own message for
 * an encoded-strip read quotes its current scanline, which is (uint32)-1 there, so it is kept
 * only when it does not quote that. */
static es_status es_tiff_fail_short(es_tiff *h, const char *what, uint32_t index,
                                    uint64_t first_row, uint64_t rows) {
    char cause[ES_MESSAGE_CAPACITY] = "";
    if (h->log.error_count > 0 && strstr(h->log.error, "4294967295") == NULL) {
        snprintf(cause, sizeof cause, " (%s)", h->log.error);
    }
    snprintf(h->message, sizeof h->message,
             "truncated or corrupt %s data: %s %u (rows %llu to %llu) decoded short%s",
             what, what, index, (unsigned long long)first_row,
             (unsigned long long)(first_row + rows - 1), cause);
    return ES_ERR_CORRUPT;
}

const char *es_tiff_message(const es_tiff *h) {
    return h->message;
}

void es_tiff_destroy(es_tiff *h) {
    if (h == NULL) {
        return;
    }
    if (h->tif != NULL) {
        TIFFClose(h->tif);
    }
    free(h);
}

void es_tiff_palette(const es_tiff *h, uint16_t *out) {
    for (uint32_t i = 0; i < h->palette_count; i++) {
        out[3 * i] = h->palette[0][i];
        out[3 * i + 1] = h->palette[1][i];
        out[3 * i + 2] = h->palette[2][i];
    }
}

/* ---- open ---- */

es_status es_tiff_open(es_tiff *h, const uint8_t *data, size_t size, uint32_t page,
                       uint64_t max_alloc, es_image_info *info) {
    memset(info, 0, sizeof *info);
    h->data = data;
    h->size = size;
    h->pos = 0;
    h->max_alloc = max_alloc;
    TIFFOpenOptions *opts = es_tiff_log_options(&h->log, (tmsize_t)max_alloc);
    if (opts == NULL) {
        snprintf(h->message, sizeof h->message, "TIFFOpenOptionsAlloc failed");
        return ES_ERR_MEMORY;
    }
    /* "m": no memory mapping, libtiff reads through es_tiff_read_proc only. */
    h->tif = TIFFClientOpenExt("memory", "rm", (thandle_t)h, es_tiff_read_proc,
                               es_tiff_write_proc, es_tiff_seek_proc, es_tiff_close_proc,
                               es_tiff_size_proc, es_tiff_map_proc, es_tiff_unmap_proc, opts);
    TIFFOpenOptionsFree(opts);
    if (h->tif == NULL) {
        return es_tiff_fail(h, ES_ERR_CORRUPT, "libtiff could not read the first directory");
    }
    TIFF *tif = h->tif;
    tdir_t pages = TIFFNumberOfDirectories(tif);
    info->page_count = (uint32_t)pages;
    if (pages == 0) {
        return es_tiff_fail(h, ES_ERR_CORRUPT, "no readable directory");
    }
    if (page >= (uint32_t)pages) {
        snprintf(h->message, sizeof h->message, "page %u requested, the file has %u page(s)",
                 page, (unsigned)pages);
        return ES_ERR_PAGE;
    }
    if (page != 0 && !TIFFSetDirectory(tif, (tdir_t)page)) {
        return es_tiff_fail(h, ES_ERR_CORRUPT, "TIFFSetDirectory failed");
    }

    uint32_t width = 0, height = 0;
    if (!TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &width)
        || !TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &height)) {
        return es_tiff_fail(h, ES_ERR_CORRUPT, "ImageWidth or ImageLength missing");
    }
    uint16_t bps = 1, spp = 1, format = SAMPLEFORMAT_UINT, planar = PLANARCONFIG_CONTIG;
    uint16_t photometric = PHOTOMETRIC_MINISBLACK, compression = COMPRESSION_NONE;
    TIFFGetFieldDefaulted(tif, TIFFTAG_BITSPERSAMPLE, &bps);
    TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLESPERPIXEL, &spp);
    TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLEFORMAT, &format);
    TIFFGetFieldDefaulted(tif, TIFFTAG_PLANARCONFIG, &planar);
    TIFFGetFieldDefaulted(tif, TIFFTAG_COMPRESSION, &compression);
    if (!TIFFGetField(tif, TIFFTAG_PHOTOMETRIC, &photometric)) {
        photometric = spp >= 3 ? PHOTOMETRIC_RGB : PHOTOMETRIC_MINISBLACK;
    }
    if (spp == 0 || bps == 0) {
        snprintf(h->message, sizeof h->message, "SamplesPerPixel %u, BitsPerSample %u",
                 spp, bps);
        return ES_ERR_CORRUPT;
    }
    if (spp == 1) {
        planar = PLANARCONFIG_CONTIG;
    }

    info->width = width;
    info->height = height;
    info->bits_in_file = bps;
    info->channels = spp;

    /* Photometric reading. */
    switch (photometric) {
    case PHOTOMETRIC_MINISWHITE: info->photometric = ES_PHOTO_MIN_IS_WHITE; break;
    case PHOTOMETRIC_MINISBLACK: info->photometric = ES_PHOTO_MIN_IS_BLACK; break;
    case PHOTOMETRIC_RGB: info->photometric = ES_PHOTO_RGB; break;
    case PHOTOMETRIC_PALETTE: info->photometric = ES_PHOTO_PALETTE; break;
    case PHOTOMETRIC_SEPARATED: info->photometric = ES_PHOTO_CMYK; break;
    default: info->photometric = ES_PHOTO_OTHER; break;
    }
    if (photometric == PHOTOMETRIC_YCBCR) {
        if (compression == COMPRESSION_JPEG) {
            /* libjpeg converts to RGB and upsamples; strip and tile sizes follow. */
            if (!TIFFSetField(tif, TIFFTAG_JPEGCOLORMODE, JPEGCOLORMODE_RGB)) {
                return es_tiff_fail(h, ES_ERR_CORRUPT, "cannot set JPEGCOLORMODE_RGB");
            }
            info->photometric = ES_PHOTO_RGB;
        } else if (compression != COMPRESSION_OJPEG) {
            uint16_t sub_h = 1, sub_v = 1;
            TIFFGetFieldDefaulted(tif, TIFFTAG_YCBCRSUBSAMPLING, &sub_h, &sub_v);
            if (sub_h != 1 || sub_v != 1) {
                snprintf(h->message, sizeof h->message,
                         "YCbCr with %ux%u chroma subsampling outside JPEG compression",
                         sub_h, sub_v);
                return ES_ERR_UNSUPPORTED;
            }
        }
    }

    /* Sample type of the decoded buffer. */
    if (format == SAMPLEFORMAT_VOID) {
        format = SAMPLEFORMAT_UINT;
    }
    if (format == SAMPLEFORMAT_IEEEFP) {
        if (bps != 32 && bps != 64) {
            snprintf(h->message, sizeof h->message, "%u-bit floating-point samples", bps);
            return ES_ERR_UNSUPPORTED;
        }
        info->sample_kind = ES_SAMPLE_FLOAT;
        info->bytes_per_sample = bps / 8;
    } else if (format == SAMPLEFORMAT_INT) {
        if (bps != 8 && bps != 16 && bps != 32) {
            snprintf(h->message, sizeof h->message, "%u-bit signed integer samples", bps);
            return ES_ERR_UNSUPPORTED;
        }
        info->sample_kind = ES_SAMPLE_INT;
        info->bytes_per_sample = bps / 8;
    } else if (format == SAMPLEFORMAT_UINT) {
        if (bps <= 8) {
            info->bytes_per_sample = 1;
        } else if (bps <= 16) {
            info->bytes_per_sample = 2;
        } else if (bps == 32) {
            info->bytes_per_sample = 4;
        } else {
            snprintf(h->message, sizeof h->message, "%u-bit unsigned integer samples", bps);
            return ES_ERR_UNSUPPORTED;
        }
        info->sample_kind = ES_SAMPLE_UINT;
    } else {
        snprintf(h->message, sizeof h->message, "SampleFormat %u", format);
        return ES_ERR_UNSUPPORTED;
    }

    uint16_t extra_count = 0;
    uint16_t *extra = NULL;
    if (TIFFGetField(tif, TIFFTAG_EXTRASAMPLES, &extra_count, &extra) && extra_count > 0
        && extra != NULL) {
        uint16_t last = extra[extra_count - 1];
        info->has_alpha = last == EXTRASAMPLE_ASSOCALPHA || last == EXTRASAMPLE_UNASSALPHA;
    }

    uint16_t orientation = 0;
    if (TIFFGetField(tif, TIFFTAG_ORIENTATION, &orientation)) {
        info->orientation = orientation;
    }

    float xres = 0, yres = 0;
    uint16_t unit = RESUNIT_INCH;
    if (TIFFGetField(tif, TIFFTAG_XRESOLUTION, &xres) && xres > 0) {
        if (!TIFFGetField(tif, TIFFTAG_YRESOLUTION, &yres) || !(yres > 0)) {
            yres = xres;
        }
        TIFFGetFieldDefaulted(tif, TIFFTAG_RESOLUTIONUNIT, &unit);
        if (unit == RESUNIT_INCH || unit == RESUNIT_CENTIMETER) {
            double per = unit == RESUNIT_INCH ? 25.4 : 10.0;
            info->has_pixel_size = 1;
            info->pixel_size_x_mm = per / (double)xres;
            info->pixel_size_y_mm = per / (double)yres;
        }
    }

    if (photometric == PHOTOMETRIC_PALETTE && bps <= 16) {
        uint16_t *r = NULL, *g = NULL, *b = NULL;
        if (TIFFGetField(tif, TIFFTAG_COLORMAP, &r, &g, &b) && r && g && b) {
            h->palette[0] = r;
            h->palette[1] = g;
            h->palette[2] = b;
            h->palette_count = 1u << bps;
            info->palette_count = h->palette_count;
        }
    }

    h->width = width;
    h->height = height;
    h->spp = spp;
    h->bps = bps;
    h->planar = planar;
    h->out_bytes = info->bytes_per_sample;
    h->tiled = TIFFIsTiled(tif);
    if (h->tiled) {
        if (!TIFFGetField(tif, TIFFTAG_TILEWIDTH, &h->tile_w)
            || !TIFFGetField(tif, TIFFTAG_TILELENGTH, &h->tile_h)
            || h->tile_w == 0 || h->tile_h == 0) {
            return es_tiff_fail(h, ES_ERR_CORRUPT, "tiled page without a valid tile size");
        }
    } else {
        h->rows_per_strip = height;
        TIFFGetFieldDefaulted(tif, TIFFTAG_ROWSPERSTRIP, &h->rows_per_strip);
        if (h->rows_per_strip == 0 || h->rows_per_strip > height) {
            h->rows_per_strip = height;
        }
    }
    h->opened = 1;
    return ES_OK;
}

/* ---- read ---- */

/* Copies `count` samples of `bps` bits starting at `src` (a byte-aligned row) to `dst`,
 * one every `stride` output samples. Bit-packed samples are read most significant bit
 * first; whole-byte samples are already in host order (libtiff swabs them). */
static void es_tiff_copy_samples(const uint8_t *src, uint32_t count, uint32_t bps,
                                 uint32_t out_bytes, uint8_t *dst, size_t stride) {
    if (bps == out_bytes * 8) {
        if (stride == 1) {
            memcpy(dst, src, (size_t)count * out_bytes);
        } else {
            for (uint32_t k = 0; k < count; k++) {
                memcpy(dst + (size_t)k * stride * out_bytes, src + (size_t)k * out_bytes,
                       out_bytes);
            }
        }
        return;
    }
    uint64_t acc = 0;
    uint32_t nbits = 0;
    uint32_t mask = (1u << bps) - 1u;
    for (uint32_t k = 0; k < count; k++) {
        while (nbits < bps) {
            acc = (acc << 8) | *src++;
            nbits += 8;
        }
        uint32_t v = (uint32_t)(acc >> (nbits - bps)) & mask;
        nbits -= bps;
        if (out_bytes == 1) {
            dst[(size_t)k * stride] = (uint8_t)v;
        } else {
            ((uint16_t *)dst)[(size_t)k * stride] = (uint16_t)v;
        }
    }
}

/* Copies a decoded chunk (strip or tile) of `chunk_w` columns into the output at (x0, y0),
 * `rows` rows and `cols` valid columns, for output channel `plane` (separate planes) or all
 * channels (contiguous). */
static void es_tiff_place(es_tiff *h, const uint8_t *chunk, uint32_t chunk_w, uint32_t rows,
                          uint32_t cols, uint32_t x0, uint32_t y0, int separate,
                          uint32_t plane, uint8_t *out, size_t row_bytes) {
    uint32_t per_pixel = separate ? 1 : h->spp;
    size_t chunk_row = ((size_t)chunk_w * per_pixel * h->bps + 7) / 8;
    size_t stride = separate ? h->spp : 1;
    for (uint32_t r = 0; r < rows; r++) {
        uint8_t *dst = out + (size_t)(y0 + r) * row_bytes
                       + ((size_t)x0 * h->spp + (separate ? plane : 0)) * h->out_bytes;
        es_tiff_copy_samples(chunk + (size_t)r * chunk_row, cols * per_pixel, h->bps,
                             h->out_bytes, dst, stride);
    }
}

es_status es_tiff_read(es_tiff *h, void *out_ptr, size_t row_bytes) {
    if (!h->opened) {
        snprintf(h->message, sizeof h->message, "es_tiff_read called before a successful open");
        return ES_ERR_CORRUPT;
    }
    TIFF *tif = h->tif;
    uint8_t *out = (uint8_t *)out_ptr;
    int separate = h->planar == PLANARCONFIG_SEPARATE;
    uint32_t planes = separate ? h->spp : 1;
    uint32_t per_pixel = separate ? 1 : h->spp;
    if (row_bytes != (size_t)h->width * h->spp * h->out_bytes) {
        snprintf(h->message, sizeof h->message, "row size mismatch");
        return ES_ERR_CORRUPT;
    }

    if (!h->tiled) {
        size_t strip_row = ((size_t)h->width * per_pixel * h->bps + 7) / 8;
        tmsize_t strip_size = TIFFStripSize(tif);
        size_t need = strip_row * h->rows_per_strip;
        if (strip_size <= 0 || (uint64_t)strip_size < need) {
            return es_tiff_fail(h, ES_ERR_CORRUPT, "strip size inconsistent with the header");
        }
        if (h->max_alloc > 0 && (uint64_t)strip_size > h->max_alloc) {
            snprintf(h->message, sizeof h->message, "strip of %lld bytes exceeds the limit",
                     (long long)strip_size);
            return ES_ERR_TOO_LARGE;
        }
        uint32_t strips_per_plane = (h->height + h->rows_per_strip - 1) / h->rows_per_strip;
        if (TIFFNumberOfStrips(tif) < strips_per_plane * planes) {
            return es_tiff_fail(h, ES_ERR_CORRUPT, "fewer strips than the image needs");
        }
        /* Whole-byte contiguous samples decode straight into the output rows. */
        int direct = !separate && h->bps == h->out_bytes * 8 && strip_row == row_bytes;
        uint8_t *temp = NULL;
        if (!direct) {
            temp = (uint8_t *)malloc((size_t)strip_size);
            if (temp == NULL) {
                snprintf(h->message, sizeof h->message, "out of memory for a strip buffer");
                return ES_ERR_MEMORY;
            }
        }
        for (uint32_t plane = 0; plane < planes; plane++) {
            for (uint32_t s = 0; s < strips_per_plane; s++) {
                uint32_t y0 = s * h->rows_per_strip;
                uint32_t rows = h->height - y0 < h->rows_per_strip ? h->height - y0
                                                                    : h->rows_per_strip;
                size_t want = strip_row * rows;
                uint32_t index = plane * strips_per_plane + s;
                uint8_t *dst = direct ? out + (size_t)y0 * row_bytes : temp;
                tmsize_t got = TIFFReadEncodedStrip(tif, index, dst, (tmsize_t)want);
                if (got < 0 || (size_t)got < want) {
                    free(temp);
                    return es_tiff_fail_short(h, "strip", index, y0, rows);
                }
                if (!direct) {
                    es_tiff_place(h, temp, h->width, rows, h->width, 0, y0, separate, plane,
                                  out, row_bytes);
                }
            }
        }
        free(temp);
        return ES_OK;
    }

    tmsize_t tile_size = TIFFTileSize(tif);
    size_t tile_row = ((size_t)h->tile_w * per_pixel * h->bps + 7) / 8;
    size_t need = tile_row * h->tile_h;
    if (tile_size <= 0 || (uint64_t)tile_size < need) {
        return es_tiff_fail(h, ES_ERR_CORRUPT, "tile size inconsistent with the header");
    }
    if (h->max_alloc > 0 && (uint64_t)tile_size > h->max_alloc) {
        snprintf(h->message, sizeof h->message, "tile of %lld bytes exceeds the limit",
                 (long long)tile_size);
        return ES_ERR_TOO_LARGE;
    }
    uint8_t *temp = (uint8_t *)malloc((size_t)tile_size);
    if (temp == NULL) {
        snprintf(h->message, sizeof h->message, "out of memory for a tile buffer");
        return ES_ERR_MEMORY;
    }
    for (uint32_t plane = 0; plane < planes; plane++) {
        for (uint64_t y0 = 0; y0 < h->height; y0 += h->tile_h) {
            for (uint64_t x0 = 0; x0 < h->width; x0 += h->tile_w) {
                uint32_t index = TIFFComputeTile(tif, (uint32_t)x0, (uint32_t)y0, 0,
                                                 (uint16_t)plane);
                if (index >= TIFFNumberOfTiles(tif)) {
                    free(temp);
                    return es_tiff_fail(h, ES_ERR_CORRUPT, "fewer tiles than the image needs");
                }
                tmsize_t got = TIFFReadEncodedTile(tif, index, temp, tile_size);
                uint32_t rows = (uint32_t)(h->height - y0 < h->tile_h ? h->height - y0
                                                                     : h->tile_h);
                if (got < 0 || (size_t)got < need) {
                    free(temp);
                    return es_tiff_fail_short(h, "tile", index, y0, rows);
                }
                uint32_t cols = (uint32_t)(h->width - x0 < h->tile_w ? h->width - x0
                                                                    : h->tile_w);
                es_tiff_place(h, temp, h->tile_w, rows, cols, (uint32_t)x0, (uint32_t)y0,
                              separate, plane, out, row_bytes);
            }
        }
    }
    free(temp);
    return ES_OK;
}
