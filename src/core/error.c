/* Per-thread error messages (libgit2 style): failing calls record, the caller decides what to
 * print. */
#include "core/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define SMX__ERRMSG_MAX 4096

static _Thread_local char last_msg[SMX__ERRMSG_MAX];
static _Thread_local int last_code;

int smx__error(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_msg, sizeof last_msg, fmt, ap);
    va_end(ap);
    last_code = code;
    return code;
}

int smx__error_prefix(int code, const char *fmt, ...)
{
    char prefix[1024];
    char old[SMX__ERRMSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, last_msg, sizeof old);
    /* "PREFIX: OLD", cut at the buffer's end. */
    size_t n = strlen(prefix);
    if (n > sizeof last_msg - 3)
        n = sizeof last_msg - 3;
    memcpy(last_msg, prefix, n);
    memcpy(last_msg + n, ": ", 2);
    size_t room = sizeof last_msg - n - 3;
    size_t olen = strnlen(old, room);
    memcpy(last_msg + n + 2, old, olen);
    last_msg[n + 2 + olen] = '\0';
    last_code = code;
    return code;
}

int smx__error_oom(void)
{
    return smx__error(SMX_ENOMEM, "out of memory");
}

const char *smx_error_last(void)
{
    return last_msg;
}

int smx_error_last_code(void)
{
    return last_code;
}

void smx_error_clear(void)
{
    last_msg[0] = '\0';
    last_code = SMX_OK;
}

const char *smx_error_name(int code)
{
    switch (code) {
    case SMX_OK:
        return "SMX_OK";
    case SMX_EINPUT:
        return "SMX_EINPUT";
    case SMX_ESTOPPED:
        return "SMX_ESTOPPED";
    case SMX_ELOCKED:
        return "SMX_ELOCKED";
    case SMX_EIO:
        return "SMX_EIO";
    case SMX_ENOTFOUND:
        return "SMX_ENOTFOUND";
    case SMX_EMPI:
        return "SMX_EMPI";
    case SMX_ENOMEM:
        return "SMX_ENOMEM";
    case SMX_EFORMAT:
        return "SMX_EFORMAT";
    case SMX_ESPAWN:
        return "SMX_ESPAWN";
    case SMX_EUSAGE:
        return "SMX_EUSAGE";
    case SMX_ITEROVER:
        return "SMX_ITEROVER";
    default:
        return "SMX_E?";
    }
}
