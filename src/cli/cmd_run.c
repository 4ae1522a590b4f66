/* sweepmux run: start or resume a sweep, under mpirun/srun or alone. */
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "options.h"
#include "core/error.h"
#include "state/extend.h"
#include "state/mux_internal.h"
#include "outcome.h"
#include "progress.h"
#include "session/session_internal.h"
#include "exec/slurm.h"
#include "spec/spec.h"
#include "state/store.h"
#include "exec/worker.h"

static smx_session *volatile g_session;
static volatile sig_atomic_t g_early_stop;
static const char *volatile g_early_reason;

static void on_signal(int sig)
{
    const char *reason = sig == SIGUSR1   ? "signal SIGUSR1"
                         : sig == SIGUSR2 ? "signal SIGUSR2"
                         : sig == SIGTERM ? "signal SIGTERM"
                                          : "signal SIGINT";
    if (g_session)
        smx_session_request_stop(g_session, reason);
    g_early_reason = reason;
    g_early_stop = 1;
}

/* How the run was asked for: the option table below fills it. */
typedef struct halt_rule {
    long n;      /* stop after this many failed elements (0: no such rule) */
    double frac; /* or once this fraction of finished ones failed (0: no such rule) */
} halt_rule;

typedef struct run_args {
    const char *spec_path, *state, *session, *logs;
    int log_mode; /* index into log_modes */
    int slots, chunk, no_rank0, retries, retry_failed, gpus, extend, keep_env;
    double max_time, grace, progress, sync_interval;
    halt_rule halt;
    int cmd_argc;
    char **cmd_argv;
} run_args;

static const char *const log_modes[] = {"rank", "task", "none", NULL};

/* --halt-on-failures N or P%. */
static int parse_halt(const char *v, void *dest, const char **expected)
{
    halt_rule *h = dest;
    size_t l = strlen(v);
    char *end;
    *expected = "N >= 1 failed elements or P% with 0 < P <= 100";
    errno = 0;
    if (l > 1 && v[l - 1] == '%') {
        double f = strtod(v, &end);
        if (end != v + l - 1 || !(f > 0 && f <= 100) || !(v[0] >= '0' && v[0] <= '9'))
            return -1;
        h->frac = f / 100.0;
        return 0;
    }
    long n = strtol(v, &end, 10);
    if (!(v[0] >= '0' && v[0] <= '9') || *end || errno || n < 1)
        return -1;
    h->n = n;
    return 0;
}

#define RUN_OPT(field) .offset = offsetof(run_args, field)
static const smx_opt run_opts[] = {
    {.name = "state",
     RUN_OPT(state),
     .type = SMX_OPT_STRING,
     .metavar = "FILE",
     .required = 1,
     .help = "the state file (required)"},
    {.name = "session",
     RUN_OPT(session),
     .type = SMX_OPT_STRING,
     .metavar = "NAME",
     .help = "session to run (default: default)"},
    {.name = "slots",
     RUN_OPT(slots),
     .type = SMX_OPT_INT,
     .metavar = "K",
     .min = 1,
     .help = "tasks at once on each rank (default 1)"},
    {.name = "chunk",
     RUN_OPT(chunk),
     .type = SMX_OPT_INT,
     .metavar = "K",
     .min = 1,
     .help = "elements per claim (default: guided, large first, 1 at the end)"},
    {.name = "no-rank0-tasks",
     RUN_OPT(no_rank0),
     .type = SMX_OPT_FLAG,
     .help = "rank 0 only coordinates (default: it runs tasks too)"},
    {.name = "logs",
     RUN_OPT(logs),
     .type = SMX_OPT_STRING,
     .metavar = "DIR",
     .help = "task output directory (default: RUN.logs beside the state file)"},
    {.name = "log-mode",
     RUN_OPT(log_mode),
     .type = SMX_OPT_ENUM,
     .choices = log_modes,
     .help = "rank: one file per rank (default); task: one per task; none"},
    {.name = "max-time",
     RUN_OPT(max_time),
     .type = SMX_OPT_DURATION,
     .metavar = "DUR",
     .help = "stop handing out work after DUR (90, 90s, 10m, 2h, 1h30m); exit 3"},
    {.name = "grace",
     RUN_OPT(grace),
     .type = SMX_OPT_DURATION,
     .metavar = "DUR",
     .help = "after a stop, running tasks get DUR to finish (default 10s)"},
    {.name = "retries",
     RUN_OPT(retries),
     .type = SMX_OPT_INT,
     .metavar = "N",
     .min = 0,
     .help = "extra attempts after a failure (default: the spec's retries)"},
    {.name = "retry-failed",
     RUN_OPT(retry_failed),
     .type = SMX_OPT_FLAG,
     .help = "run elements that failed in earlier jobs again"},
    {.name = "extend",
     RUN_OPT(extend),
     .type = SMX_OPT_FLAG,
     .help = "accept a SPEC that only adds elements to the stored one: records are kept (matched "
             "by parameter values), new elements run"},
    {.name = "halt-on-failures",
     RUN_OPT(halt),
     .type = SMX_OPT_CUSTOM,
     .metavar = "N|P%",
     .parse = parse_halt,
     .help = "stop after N failed elements, or when P% of finished ones failed"},
    {.name = "gpus-per-slot",
     RUN_OPT(gpus),
     .type = SMX_OPT_INT,
     .metavar = "N",
     .min = 1,
     .help = "set CUDA_VISIBLE_DEVICES to N devices per slot"},
    {.name = "keep-launcher-env",
     RUN_OPT(keep_env),
     .type = SMX_OPT_FLAG,
     .help = "tasks inherit mpirun's/srun's per-rank variables (OMPI_*, PMIX_*, PMI_*, "
             "SLURM_STEP_*, ...), which are removed by default"},
    {.name = "progress",
     RUN_OPT(progress),
     .type = SMX_OPT_DURATION,
     .metavar = "DUR",
     .help = "seconds between progress lines when not on a terminal (30)"},
    {.name = "sync-interval",
     RUN_OPT(sync_interval),
     .type = SMX_OPT_DURATION,
     .metavar = "DUR",
     .dmin_open = 1,
     .help = "seconds between fsyncs of the state file (1)"},
    {0}};

static int run_main(int argc, char **argv);

const smx_cli_command smx_cli_cmd_run = {
    .name = "run",
    .summary = "run (or resume) a sweep, under mpirun or alone",
    .synopsis = "[SPEC.yaml] --state RUN.h5 [options] [-- CMD ARG...]",
    .description =
        "Runs the sweep's command for every element, spread over the MPI ranks, and records every\n"
        "attempt in RUN.h5. If RUN.h5 already holds the session, the run resumes it: done "
        "elements\n"
        "are skipped, elements a dead job left running run again. Without SPEC the spec stored in\n"
        "RUN.h5 is used. A command after -- replaces the spec's command for this run. Start it as\n"
        "[mpirun -n P] sweepmux run ...",
    .epilog =
        "Durations: a number of seconds, or parts NUMBER+UNIT (d, h, m, s), larger units first:\n"
        "90, 1.5, 90s, 10m, 2h, 1h30m, 2d12h.\n"
        "Signals: SIGUSR1, SIGTERM or SIGINT stop the run (running tasks get --grace), everything\n"
        "becomes durable, exit 3. Send SIGUSR1 to mpirun: Open MPI forwards it to every rank,\n"
        "whereas SIGTERM makes mpirun tear the job down about a second later.\n"
        "Exit codes: 0 complete, 1 complete with failures (or halted), 2 input error, 3 stopped\n"
        "(resumable), 4 state file in use, 5 other error.\n",
    .opts = run_opts,
    .min_args = 0,
    .max_args = 1,
    .args_name = "SPEC.yaml",
    .command_after_dashdash = 1,
    .fn = run_main,
};

/* Parses the command line into A; returns SMX_CLI_PROCEED or the exit code. */
static int parse_args(int argc, char **argv, run_args *a)
{
    memset(a, 0, sizeof *a);
    a->session = "default";
    a->slots = 1;
    a->retries = -1;
    a->grace = 10;
    a->progress = 30;
    a->sync_interval = 1;
    smx_cli_parsed p;
    int rc = smx_cli_args(&smx_cli_cmd_run, argc, argv, a, &p);
    a->spec_path = p.nargs ? p.args[0] : NULL;
    a->cmd_argc = p.cmd_argc;
    a->cmd_argv = p.cmd_argv;
    return rc;
}

/*
 * Every rank, before anything is written: --gpus-per-slot must find slots * N devices in this
 * rank's CUDA_VISIBLE_DEVICES when that is set (without it devices are counted from 0).
 */
static int check_gpus(const run_args *a)
{
    const char *v = getenv("CUDA_VISIBLE_DEVICES");
    if (a->gpus <= 0 || !v || !*v)
        return SMX_OK;
    long have = 1;
    for (const char *p = v; *p; p++)
        have += *p == ',';
    long need = (long)(a->slots > 0 ? a->slots : 1) * a->gpus;
    if (have < need)
        return smx__error(SMX_EINPUT,
                          "--gpus-per-slot %d with %d slots needs %ld GPUs, but "
                          "CUDA_VISIBLE_DEVICES=%s lists %ld",
                          a->gpus, a->slots > 0 ? a->slots : 1, need, v, have);
    return SMX_OK;
}

/* A resume runs tasks in the directory the sweep was created in: refuse if it is not here. */
static int check_workdir(const char *state)
{
    smx__store *st = NULL;
    char *dir = NULL;
    int rc = smx__store_open(&st, state, SMX__STORE_READ);
    if (rc == SMX_OK)
        rc = smx__store_workdir(st, &dir);
    smx__store_close(st);
    struct stat sb;
    if (rc == SMX_OK && dir[0] && (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)))
        rc = smx__error(SMX_EINPUT,
                        "%s: the sweep's tasks run in %s (the directory it was created in, "
                        "which relative paths in its command resolve against), but that "
                        "directory %s here; run where it exists, or start a new sweep",
                        state, dir, stat(dir, &sb) != 0 ? "does not exist" : "is not a directory");
    free(dir);
    return rc;
}

/*
 * Rank 0, before the session opens: validate the spec, create the state file or check that the
 * given spec is the stored one, and add the session if it is new. Nothing is written on bad input.
 */
static int prepare(const run_args *a)
{
    smx_spec *spec = NULL;
    int rc = SMX_OK;
    struct stat sb;
    int exists = stat(a->state, &sb) == 0;
    if (a->spec_path) {
        rc = smx__spec_load(&spec, a->spec_path);
        if (rc == SMX_OK && a->cmd_argc)
            rc = smx__spec_set_command(spec, a->cmd_argc, a->cmd_argv);
        if (rc == SMX_OK && !smx__spec_has_command(spec))
            rc = smx__error(SMX_EINPUT,
                            "%s: the spec has no command; add `command:` or give one "
                            "after --",
                            a->spec_path);
        if (rc == SMX_OK && smx__spec_count(spec) > SMX__ELEMENTS_MAX)
            rc = smx__error(SMX_EINPUT, "%s: %llu elements; a state file holds at most %llu",
                            a->spec_path, (unsigned long long)smx__spec_count(spec),
                            (unsigned long long)SMX__ELEMENTS_MAX);
        if (rc == SMX_OK && exists) {
            rc = smx__mux_check_spec(a->state, spec);
            if (rc == SMX_EINPUT && a->extend) {
                uint64_t added = 0;
                rc = smx__extend(a->state, spec, &added);
                if (rc == SMX_OK)
                    fprintf(stderr, "sweepmux: extended %s by %llu elements\n", a->state,
                            (unsigned long long)added);
            }
        }
        if (rc == SMX_OK && !exists) {
            /* Tasks' relative paths resolve here, now and on every resume (README "State file"). */
            char *cwd = getcwd(NULL, 0);
            rc = cwd ? smx__store_create_sweep(a->state, spec, a->session, smx__spec_count(spec),
                                               NULL, cwd)
                     : smx__error(SMX_EIO, "cannot get the current directory: %s", strerror(errno));
            free(cwd);
        }
    } else if (!exists) {
        rc =
            smx__error(SMX_EINPUT, "%s does not exist; give a spec to start a new sweep", a->state);
    }
    if (rc == SMX_OK && exists)
        rc = check_workdir(a->state);
    if (rc == SMX_OK && exists) {
        smx_mux *m = NULL;
        rc = smx_mux_open(&m, a->state);
        smx_spec *stored = rc == SMX_OK ? smx__mux_spec(m) : NULL;
        if (rc == SMX_OK && a->cmd_argc)
            rc = smx__spec_set_command(stored, a->cmd_argc, a->cmd_argv);
        if (rc == SMX_OK && !smx__spec_has_command(stored))
            rc = smx__error(SMX_EINPUT, "the spec stored in %s has no command; give one after --",
                            a->state);
        if (rc == SMX_OK)
            rc = smx__mux_ensure_session(a->state, a->session, smx_mux_count(m), NULL);
        smx_mux_free(m);
    }
    for (size_t i = 0; spec && i < smx__spec_nwarnings(spec); i++)
        fprintf(stderr, "sweepmux: warning: %s\n", smx__spec_warning(spec, i));
    smx__spec_free(spec);
    return rc;
}

static char *default_logs(const char *state)
{
    size_t n = strlen(state);
    char *d = malloc(n + 8);
    if (!d)
        return NULL;
    memcpy(d, state, n + 1);
    if (n > 3 && !strcmp(d + n - 3, ".h5"))
        d[n - 3] = '\0';
    strcat(d, ".logs");
    return d;
}

static int run_main(int argc, char **argv)
{
    run_args a;
    int prc = parse_args(argc, argv, &a);
    if (prc != SMX_CLI_PROCEED)
        return prc;

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGUSR2, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    int provided = 0;
    if (MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
        fprintf(stderr, "sweepmux: MPI_Init_thread failed\n");
        return SMX_EXIT_OTHER;
    }
    int rank = 0, size = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);

    /* Rank 0 asks Slurm (squeue, at most once per job); everyone gets its answer. */
    smx__slurm slurm;
    memset(&slurm, 0, sizeof slurm);
    if (rank == 0)
        smx__slurm_detect(&slurm);
    MPI_Bcast(&slurm, sizeof slurm, MPI_BYTE, 0, MPI_COMM_WORLD);
    if (rank != 0) { /* srun's step size is per process: read it from this rank's environment */
        const char *st = getenv("SLURM_STEP_NUM_TASKS");
        slurm.step_ntasks = st && *st ? atol(st) : -1;
    }
    int rc = smx__slurm_check_size(&slurm, size), want_claims = -1;
    if (rc == SMX_OK && rank == 0) /* a bad SWEEPMUX_CLAIMS is a usage error: nothing written */
        rc = smx__claim_requested(&want_claims);
    if (rc == SMX_OK)
        rc = check_gpus(&a);
    /* Rank 0 writes only if no rank found a problem with its own environment. */
    int others = rc;
    MPI_Allreduce(&rc, &others, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    if (rc == SMX_OK && others != SMX_OK && rank == 0)
        rc = smx__error(others, "another rank refused to start (see its message)");
    if (rc == SMX_OK && rank == 0)
        rc = prepare(&a);
    /* Everyone learns rank 0's verdict; only rank 0 speaks. */
    int verdict[2] = {rc, 0};
    MPI_Allreduce(MPI_IN_PLACE, verdict, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    if (verdict[0] != SMX_OK) {
        if (rc != SMX_OK && rank == 0)
            smx_cli_fail(rc);
        else if (rc != SMX_OK && size > 1)
            fprintf(stderr, "sweepmux: rank %d: %s\n", rank, smx_error_last());
        MPI_Finalize();
        return smx_cli_exit_code(verdict[0]);
    }

    smx_session_options o = SMX_SESSION_OPTIONS_INIT;
    o.chunk = a.chunk;
    o.coordinator_iterates = !a.no_rank0;
    o.retry_failed = a.retry_failed;
    o.retries = a.retries;
    o.max_time = a.max_time;
    o.sync_interval = a.sync_interval;
    o.halt_failures = a.halt.n;
    o.halt_fraction = a.halt.frac;
    if (slurm.end_time > 0) /* stop early enough to be durable and gone before Slurm's SIGTERM */
        o.deadline = slurm.end_time - (a.grace > 15 ? a.grace : 15);
    if (slurm.job_id[0])
        o.job_id = slurm.job_id;

    smx_session *s = NULL;
    rc = smx__session_open(&s, a.state, a.session, MPI_COMM_WORLD, &o, a.slots);
    if (rc != SMX_OK) {
        if (rank == 0)
            smx_cli_fail(rc);
        MPI_Finalize();
        return smx_cli_exit_code(rc);
    }
    const char *why = "";
    smx__session_claims(s, &why);
    if (rank == 0 && why[0])
        fprintf(stderr,
                "sweepmux: warning: %s; claims go to rank 0 as point-to-point messages instead "
                "(correct, but each waits for rank 0's next poll). For MPI one-sided claims with "
                "Open MPI: export OMPI_MCA_osc=pt2pt under srun, or mpirun --mca osc pt2pt\n",
                why);
    /* Validated by rank 0 in prepare(); every rank renders commands, so every rank applies it. */
    if (a.cmd_argc)
        rc = smx__spec_set_command((smx_spec *)smx__session_spec(s), a.cmd_argc, a.cmd_argv);
    g_session = s;
    if (g_early_stop)
        smx_session_request_stop(s, g_early_reason);

    char *logs = a.logs ? strdup(a.logs) : default_logs(a.state);
    smx_progress prog;
    smx_progress_init(&prog, a.progress);
    smx__worker_opts wo = {a.slots,           logs,  SMX__LOG_PER_RANK, a.grace, 5.0, a.gpus,
                           smx_progress_tick, &prog, a.keep_env};
    if (!strcmp(log_modes[a.log_mode], "task"))
        wo.log_mode = SMX__LOG_PER_TASK;
    else if (!strcmp(log_modes[a.log_mode], "none"))
        wo.log_mode = SMX__LOG_NONE;
    int wrc = rc == SMX_OK ? smx__worker_run(s, &wo) : rc;
    if (wrc != SMX_OK) {
        fprintf(stderr, "sweepmux: rank %d: %s\n", rank, smx_error_last());
        smx_session_request_stop(s, "error");
    }
    smx__outcome out;
    rc = smx__session_close_ex(s, &out);
    g_session = NULL;
    free(logs);
    int code;
    if (rank == 0 && rc == SMX_ELOCKED) {
        /* The counts in memory were never written: only the message says what happened. */
        smx_progress_end(&prog);
    } else if (rank == 0) {
        smx_progress_end(&prog);
        fprintf(stderr, "sweepmux: %s: %llu done, %llu failed, %llu pending of %llu (%s)\n",
                a.state, (unsigned long long)out.stat.done, (unsigned long long)out.stat.failed,
                (unsigned long long)(out.stat.pending + out.stat.running),
                (unsigned long long)out.stat.total, out.reason);
    }
    if (wrc != SMX_OK && (rc == SMX_OK || rc == SMX_ESTOPPED))
        rc = wrc; /* the stop was ours: report why */
    if (rc == SMX_OK)
        code = out.stat.failed ? SMX_EXIT_FAILED : SMX_EXIT_COMPLETE;
    else if (rc == SMX_ESTOPPED)
        code = out.halted ? SMX_EXIT_FAILED : SMX_EXIT_STOPPED;
    else {
        if (rank == 0 && rc != wrc)
            smx_cli_fail(rc);
        code = smx_cli_exit_code(rc);
    }
    if (rank == 0)
        smx_cli_say_next(stderr, code, &out, a.state, a.session, size, slurm.job_id[0] != '\0');
    /* Exit codes 1 and 3 are outcomes every rank agrees on, not errors of a rank: only rank 0
     * returns them, so mpirun reports one non-zero process (rank 0, whose last line explains it)
     * and srun's exit code, the largest of its tasks', is still rank 0's. */
    if (rank != 0 && (code == SMX_EXIT_FAILED || code == SMX_EXIT_STOPPED))
        code = SMX_EXIT_COMPLETE;
    MPI_Finalize();
    return code;
}
