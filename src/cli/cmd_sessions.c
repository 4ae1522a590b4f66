/* sweepmux sessions: the sessions of a state file with their counts. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "options.h"
#include "state/inspect.h"
#include "sweepmux/errors.h"
#include "spec/template.h"

static int sessions_main(int argc, char **argv);

const smx_cli_command smx_cli_cmd_sessions = {
    .name = "sessions",
    .summary = "list the sessions of a state file",
    .synopsis = "RUN.h5",
    .description = "One line per session: name, total, done, failed, running, pending.",
    .min_args = 1,
    .max_args = 1,
    .args_name = "RUN.h5",
    .fn = sessions_main,
};

static int sessions_main(int argc, char **argv)
{
    smx_cli_parsed p;
    int prc = smx_cli_args(&smx_cli_cmd_sessions, argc, argv, NULL, &p);
    if (prc != SMX_CLI_PROCEED)
        return prc;
    const char *path = p.args[0];
    smx__inspect *in = NULL;
    char **names = NULL;
    size_t n = 0;
    int rc = smx__inspect_open_file(&in, path);
    if (rc == SMX_OK)
        rc = smx__inspect_sessions(in, &names, &n);
    if (rc == SMX_OK)
        printf("%-24s %12s %12s %12s %12s %12s\n", "session", "total", "done", "failed", "running",
               "pending");
    for (size_t i = 0; i < n && rc == SMX_OK; i++) {
        smx_stat s;
        rc = smx__inspect_counts(in, names[i], &s, NULL);
        if (rc == SMX_OK)
            printf("%-24s %12llu %12llu %12llu %12llu %12llu\n", names[i],
                   (unsigned long long)s.total, (unsigned long long)s.done,
                   (unsigned long long)s.failed, (unsigned long long)s.running,
                   (unsigned long long)s.pending);
    }
    smx__strv_free(names);
    smx__inspect_close(in);
    return rc == SMX_OK ? SMX_EXIT_COMPLETE : smx_cli_fail(rc);
}
