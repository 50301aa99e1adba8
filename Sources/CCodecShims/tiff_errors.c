/* libtiff error capture: messages are recorded in the caller's es_tiff_log, never printed. */

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "tiff_errors.h"

static void es_tiff_record(char *buffer, const char *module, const char *fmt, va_list ap) {
    char text[ES_MESSAGE_CAPACITY];
    vsnprintf(text, sizeof text, fmt, ap);
    if (module != NULL && module[0] != 0) {
        snprintf(buffer, ES_MESSAGE_CAPACITY, "%s: %s", module, text);
    } else {
        snprintf(buffer, ES_MESSAGE_CAPACITY, "%s", text);
    }
}

static int es_tiff_error_handler(TIFF *tif, void *user_data, const char *module,
                                 const char *fmt, va_list ap) {
    (void)tif;
    es_tiff_log *log = (es_tiff_log *)user_data;
    if (log != NULL) {
        /* The first error is the cause; later ones are usually its consequences. */
        if (log->error_count == 0) {
            es_tiff_record(log->error, module, fmt, ap);
        }
        log->error_count++;
    }
    return 1; /* handled: libtiff does not call the global handler */
}

static int es_tiff_warning_handler(TIFF *tif, void *user_data, const char *module,
                                   const char *fmt, va_list ap) {
    (void)tif;
    es_tiff_log *log = (es_tiff_log *)user_data;
    if (log != NULL) {
        if (log->warning_count == 0) {
            es_tiff_record(log->warning, module, fmt, ap);
        }
        log->warning_count++;
    }
    return 1;
}

TIFFOpenOptions *es_tiff_log_options(es_tiff_log *log, tmsize_t max_alloc) {
    es_tiff_silence_global_handlers();
    TIFFOpenOptions *opts = TIFFOpenOptionsAlloc();
    if (opts == NULL) {
        return NULL;
    }
    TIFFOpenOptionsSetErrorHandlerExtR(opts, es_tiff_error_handler, log);
    TIFFOpenOptionsSetWarningHandlerExtR(opts, es_tiff_warning_handler, log);
    if (max_alloc > 0) {
        TIFFOpenOptionsSetMaxSingleMemAlloc(opts, max_alloc);
    }
    return opts;
}

static pthread_once_t es_tiff_once = PTHREAD_ONCE_INIT;

static void es_tiff_silence(void) {
    TIFFSetErrorHandler(NULL);
    TIFFSetWarningHandler(NULL);
}

void es_tiff_silence_global_handlers(void) {
    pthread_once(&es_tiff_once, es_tiff_silence);
}
