/* Internal error reporting: sets the per-thread message that smx_error_last() returns. */
#ifndef SMX_ERROR_H
#define SMX_ERROR_H

#include "sweepmux/errors.h"

#if defined(__GNUC__)
#define SMX__PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define SMX__PRINTF(a, b)
#endif

/*
 * Records CODE with a printf-style message as the calling thread's last error and returns CODE,
 * so that a failure site reads `return smx__error(SMX_EINPUT, "%s:%d:%d: ...", ...);`.
 */
int smx__error(int code, const char *fmt, ...) SMX__PRINTF(2, 3);

/* Prefixes the current message with "PREFIX: " (adding context on the way up) and returns CODE. */
int smx__error_prefix(int code, const char *fmt, ...) SMX__PRINTF(2, 3);

/* Records an out-of-memory error and returns SMX_ENOMEM. */
int smx__error_oom(void);

#endif
