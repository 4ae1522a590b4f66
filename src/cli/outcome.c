/* The last line of `sweepmux run`: see outcome.h. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "outcome.h"

/* " --session NAME" when SESSION is not the default one, else "". */
static void session_opt(char *buf, size_t n, const char *session)
{
    if (session && strcmp(session, "default"))
        snprintf(buf, n, " --session %s", session);
    else
        buf[0] = '\0';
}

void smx_cli_say_next(FILE *f, int code, const smx__sweep_result *out, const char *state,
                      const char *session, int nranks, int slurm_job)
{
    char sess[96], again[512];
    session_opt(sess, sizeof sess, session);
    /* The same run again: the stored spec is used, so the state file is all it needs. */
    if (slurm_job)
        snprintf(again, sizeof again,
                 "submit the same job again (slurm/sweepmux.sbatch does it by itself)");
    else
        snprintf(again, sizeof again, "run it again: %ssweepmux run --state %s%s",
                 nranks > 1 ? "mpirun -n P " : "", state, sess);
    unsigned long long failed = out->stat.failed, left = out->stat.pending + out->stat.running;
    if (code == SMX_EXIT_STOPPED) {
        fprintf(f,
                "sweepmux: stopped (%s) with %llu elements left; nothing is lost. Exit code 3 "
                "means resumable, although mpirun and Slurm report it as a failure: to carry "
                "on, %s\n",
                out->reason, left, again);
    } else if (code == SMX_EXIT_FAILED && out->halted) {
        fprintf(f,
                "sweepmux: halted by --halt-on-failures after %llu failed elements (%llu not "
                "run; exit code 1, which mpirun and Slurm report as a failure). See why: "
                "sweepmux status %s%s; to carry on, fix the cause and %s (add --retry-failed to "
                "retry the failed ones)\n",
                failed, left, state, sess, again);
    } else if (code == SMX_EXIT_FAILED) {
        fprintf(f,
                "sweepmux: the sweep is complete, but %llu elements failed (exit code 1, which "
                "mpirun and Slurm report as a failure). See why: sweepmux status %s%s; to run "
                "them again: sweepmux requeue %s%s --status failed, then the same run command\n",
                failed, state, sess, state, sess);
    }
    fflush(f);
}
