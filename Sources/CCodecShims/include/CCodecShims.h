#ifndef EQUISCAN_CCODECSHIMS_H
#define EQUISCAN_CCODECSHIMS_H

/* The only C code of EquiScan. libpng and libjpeg report errors by longjmp; a longjmp must
 * never cross a Swift frame, so every call into them that can fail runs inside a function of
 * this file that owns the setjmp and returns an error code plus the library's message.
 * libtiff errors are captured per call by handlers that record, never print. */

#include <stddef.h>
#include <stdint.h>

/* Size of the message buffers filled on failure. */
#define ES_MESSAGE_CAPACITY 512

#include "es_decode.h"
#include "es_encode.h"

#endif
