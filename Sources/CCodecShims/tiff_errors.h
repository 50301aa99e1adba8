#ifndef EQUISCAN_TIFF_ERRORS_H
#define EQUISCAN_TIFF_ERRORS_H

/* Per-call capture of libtiff errors and warnings (private to CCodecShims).
 * libtiff 4.5 lets each TIFF handle carry its own handlers (TIFFOpenOptions...ExtR); these
 * record the first message of each kind in an es_tiff_log and never print anything. */

#include <tiffio.h>

#include "CCodecShims.h"

typedef struct {
    char error[ES_MESSAGE_CAPACITY];
    char warning[ES_MESSAGE_CAPACITY];
    unsigned error_count;
    unsigned warning_count;
} es_tiff_log;

/* Options whose error and warning handlers write into `log`; free with TIFFOpenOptionsFree
 * after TIFFClientOpenExt / TIFFOpenExt. `max_alloc` (0 = libtiff's default) bounds every
 * single allocation libtiff makes for this handle. NULL when out of memory. */
TIFFOpenOptions *es_tiff_log_options(es_tiff_log *log, tmsize_t max_alloc);

/* Silences libtiff's process-wide handlers once, so that a message libtiff reports without a
 * handle (rare, in some codecs) is dropped instead of printed to stderr. */
void es_tiff_silence_global_handlers(void);

#endif
