/* One rank's part of `sweepmux run`: see sweep.h. */
#include "sweep.h"

#include <stdio.h>
#include <string.h>

#include "exec/progress.h"
#include "exec/cmdloop.h"
#include "session/session_internal.h"
#include "sweepmux/errors.h"

/* Runs the command loop on the open session S; a failure here stops the whole run. */
static int command_loop(smx_session *s, const smx__sweep_opts *o, smx_progress *prog)
{
    smx__cmdloop_opts wo = {.slots = o->slots,
                            .log_dir = o->logs,
                            .log_mode = o->log_mode,
                            .grace = o->grace,
                            .kill_grace = SMX__KILL_GRACE_DEFAULT,
                            .gpus_per_slot = o->gpus,
                            .tick = smx_progress_tick,
                            .tick_arg = prog,
                            .keep_launcher_env = o->keep_launcher_env,
                            .local_rank = o->local_rank,
                            .gpu_first_slot = o->gpu_first_slot,
                            .gpu_oversubscribe = o->gpu_oversubscribe,
                            .bind_slots = o->bind_slots};
    int rc = SMX_OK;
    /* Validated by rank 0 before the session opened; every rank renders commands. */
    if (o->cmd_argc)
        rc = smx__spec_set_command((smx_spec *)smx__session_spec(s), o->cmd_argc, o->cmd_argv);
    if (rc == SMX_OK)
        rc = smx__cmdloop_run(s, &wo);
    if (rc != SMX_OK) {
        /* Rank 0 says it at once; another rank's message goes to rank 0 with the stop, and rank 0
         * prints it for the job (see smx__sweep_run). */
        if (s->rank == 0)
            fprintf(stderr, "sweepmux: rank 0: %s\n", smx_error_last());
        smx__session_stop_on_error(s, smx_error_last());
    }
    return rc;
}

int smx__sweep_run(const smx__sweep_opts *o, smx__sweep_result *out)
{
    smx_session *s = NULL;
    memset(out, 0, sizeof *out);
    out->rc =
        smx__session_open(&s, o->state, o->session, MPI_COMM_WORLD, &o->session_opts, o->slots);
    if (out->rc != SMX_OK)
        return out->rc;
    out->opened = 1;
    int rank = s->rank;
    const char *why = "";
    smx__session_claims(s, &why);
    if (rank == 0 && why[0])
        fprintf(stderr,
                "sweepmux: warning: %s; claims go to rank 0 as point-to-point messages instead "
                "(correct, but each waits for rank 0's next poll). For MPI one-sided claims with "
                "Open MPI: export OMPI_MCA_osc=pt2pt under srun, or mpirun --mca osc pt2pt\n",
                why);
    if (o->on_session)
        o->on_session(s);
    smx_progress prog;
    smx_progress_init(&prog, o->progress);
    int wrc = command_loop(s, o, &prog);
    char s_error[512] = "";
    if (wrc != SMX_OK)
        snprintf(s_error, sizeof s_error, "%s", smx_error_last());
    smx__outcome oc;
    int rc = smx__session_close_ex(s, &oc);
    if (o->on_session)
        o->on_session(NULL);
    if (rank == 0)
        smx_progress_end(&prog);
    /* A rank's error that stopped the run: rank 0 reports it for everyone; the rank itself only
     * if it never reached rank 0. */
    if (wrc != SMX_OK && rank != 0 && (rc == SMX_OK || rc == SMX_ESTOPPED) && !oc.message[0])
        fprintf(stderr, "sweepmux: rank %d: %s\n", rank, s_error);
    if (rank == 0 && rc == SMX_ESTOPPED && oc.message[0])
        fprintf(stderr, "sweepmux: %s\n", oc.message);
    out->halted = oc.halted;
    out->stat = oc.stat;
    out->durable = oc.durable;
    snprintf(out->reason, sizeof out->reason, "%s", oc.reason);
    if (wrc != SMX_OK && (rc == SMX_OK || rc == SMX_ESTOPPED)) {
        rc = wrc; /* the stop was ours: report why */
        out->reported = 1;
    }
    out->rc = rc;
    return rc;
}
