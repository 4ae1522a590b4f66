/* sweepmux sessions: the sessions of a state file with their counts. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "core/error.h"
#include "state/mux_internal.h"
#include "state/store.h"
#include "spec/template.h"

static const char usage[] = "usage: sweepmux sessions RUN.h5\n"
                            "\n"
                            "One line per session: name, total, done, failed, running, pending.\n";

int smx_cli_sessions(int argc, char **argv)
{
    if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
        fputs(usage, stdout);
        return SMX_EXIT_COMPLETE;
    }
    if (argc != 2 || argv[1][0] == '-') {
        fputs(usage, stderr);
        return SMX_EXIT_INPUT;
    }
    smx__store *st = NULL;
    char **names = NULL;
    size_t n = 0;
    int rc = smx__store_open(&st, argv[1], SMX__STORE_READ);
    if (rc == SMX_OK)
        rc = smx__store_sessions(st, &names, &n);
    smx__store_close(st);
    if (rc != SMX_OK)
        return smx_cli_fail(rc);
    printf("%-24s %12s %12s %12s %12s %12s\n", "session", "total", "done", "failed", "running",
           "pending");
    for (size_t i = 0; i < n && rc == SMX_OK; i++) {
        smx_stat s;
        rc = smx__mux_stat_path(argv[1], names[i], &s);
        if (rc == SMX_OK)
            printf("%-24s %12llu %12llu %12llu %12llu %12llu\n", names[i],
                   (unsigned long long)s.total, (unsigned long long)s.done,
                   (unsigned long long)s.failed, (unsigned long long)s.running,
                   (unsigned long long)s.pending);
    }
    smx__strv_free(names);
    return rc == SMX_OK ? SMX_EXIT_COMPLETE : smx_cli_fail(rc);
}
