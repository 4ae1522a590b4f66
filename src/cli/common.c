/* Helpers shared by the subcommands. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "sweepmux/errors.h"

int smx_cli_exit_code(int rc)
{
    switch (rc) {
    case SMX_OK:
        return SMX_EXIT_COMPLETE;
    case SMX_EINPUT:
    case SMX_ENOTFOUND: /* a state file or session named on the command line does not exist */
    case SMX_EUSAGE:
        return SMX_EXIT_INPUT;
    case SMX_ESTOPPED:
        return SMX_EXIT_STOPPED;
    case SMX_ELOCKED:
        return SMX_EXIT_LOCKED;
    default:
        return SMX_EXIT_OTHER;
    }
}

int smx_cli_fail(int rc)
{
    const char *msg = smx_error_last();
    fprintf(stderr, "sweepmux: %s\n", msg[0] ? msg : smx_error_name(rc));
    return smx_cli_exit_code(rc);
}

double smx_cli_duration(const char *text)
{
    const char *p = text;
    double total = 0;
    int parts = 0;
    while (*p) {
        char *end;
        if (!isdigit((unsigned char)*p) && *p != '.')
            return -1;
        double v = strtod(p, &end);
        if (end == p)
            return -1;
        p = end;
        double unit = 1;
        switch (*p) {
        case 's':
            unit = 1;
            p++;
            break;
        case 'm':
            unit = 60;
            p++;
            break;
        case 'h':
            unit = 3600;
            p++;
            break;
        case 'd':
            unit = 86400;
            p++;
            break;
        case '\0':
            if (parts)
                return -1;
            break;
        default:
            return -1;
        }
        total += v * unit;
        parts++;
    }
    return parts ? total : -1;
}
