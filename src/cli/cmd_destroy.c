/* sweepmux destroy: remove one session, or the whole state file. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "core/error.h"
#include "state/mux_internal.h"

static const char usage[] =
    "usage: sweepmux destroy RUN.h5 [--session NAME]\n"
    "\n"
    "Removes session NAME from RUN.h5 (the other sessions keep their records), or without\n"
    "--session the whole state file. Refused (exit 4) while a run holds the file.\n";

int smx_cli_destroy(int argc, char **argv)
{
    const char *path = NULL, *session = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            fputs(usage, stdout);
            return SMX_EXIT_COMPLETE;
        } else if (!strcmp(argv[i], "--session") && i + 1 < argc) {
            session = argv[++i];
        } else if (argv[i][0] != '-' && !path) {
            path = argv[i];
        } else {
            fprintf(stderr, "sweepmux destroy: unexpected argument '%s'\n%s", argv[i], usage);
            return SMX_EXIT_INPUT;
        }
    }
    if (!path) {
        fputs(usage, stderr);
        return SMX_EXIT_INPUT;
    }
    int rc = smx__mux_destroy_path(path, session);
    if (rc != SMX_OK)
        return smx_cli_fail(rc);
    if (session)
        printf("destroyed session '%s' of %s\n", session, path);
    else
        printf("destroyed %s\n", path);
    return SMX_EXIT_COMPLETE;
}
