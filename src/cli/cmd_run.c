/* sweepmux run: start or resume a sweep, under mpirun/srun or alone. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "core/error.h"
#include "core/limits.h"
#include "exec/runner.h"
#include "exec/slurm.h"
#include "exec/sweep.h"
#include "options.h"
#include "outcome.h"
#include "session/claim.h"
#include "session/mpicheck.h"
#include "spec/spec.h"
#include "state/prepare.h"

/* How the run was asked for: the option table below fills it. */
typedef struct halt_rule {
    long n;      /* stop after this many failed elements (0: no such rule) */
    double frac; /* or once this fraction of finished ones failed (0: no such rule) */
} halt_rule;

typedef struct run_args {
    const char *spec_path, *state, *session, *logs;
    int log_mode; /* index into log_modes */
    int slots, chunk, no_rank0, retries, retry_failed, gpus, gpu_oversub, bind_slots, extend;
    int keep_env;
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
     .max = SMX__RETRIES_MAX,
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
    {.name = "gpu-oversubscribe",
     RUN_OPT(gpu_oversub),
     .type = SMX_OPT_FLAG,
     .help = "let --gpus-per-slot hand out more device shares than the node has (wrap around)"},
    {.name = "bind-slots",
     RUN_OPT(bind_slots),
     .type = SMX_OPT_FLAG,
     .help =
         "pin each slot's tasks to its share of the CPUs this rank may use (sched_setaffinity)"},
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
        "Runs the sweep's command for every element, spread over the MPI ranks, and\n"
        "records every attempt in RUN.h5. If RUN.h5 already holds the session, the run\n"
        "resumes it: done elements are skipped, elements a dead job left running run\n"
        "again. Without SPEC the spec stored in RUN.h5 is used. A command after --\n"
        "replaces the spec's command for this run. Start it as [mpirun -n P] sweepmux run.",
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

/* Where this rank sits on its node, for SWEEPMUX_LOCAL_RANK and device shares. */
typedef struct node_place {
    int local_rank; /* index among the ranks of this node (MPI_COMM_TYPE_SHARED) */
    int first_slot; /* node-wide index of this rank's slot 0 */
} node_place;

/* FNV-1a hash of this rank's CUDA_VISIBLE_DEVICES ("" if unset), to compare lists across ranks. */
static uint64_t devices_hash(void)
{
    const char *cvd = getenv("CUDA_VISIBLE_DEVICES");
    uint64_t h = 1469598103934665603ull;
    for (const char *c = cvd ? cvd : ""; *c; c++)
        h = (h ^ (unsigned char)*c) * 1099511628211ull;
    return h;
}

/*
 * Collective over MPI_COMM_WORLD. Ranks of one node that see the same CUDA_VISIBLE_DEVICES share
 * those devices, so each takes the next SLOTS shares after the lower local ranks'; where the
 * launcher already gave each rank devices of its own (the lists differ), every rank starts at 0.
 */
static int place_on_node(node_place *p, int slots)
{
    MPI_Comm node = MPI_COMM_NULL;
    int rc = SMX_OK, rank = 0, before = 0, mine = slots > 0 ? slots : 1;
    uint64_t h = devices_hash(), lo = h, hi = h;
    SMX_MPI(MPI_Comm_rank(MPI_COMM_WORLD, &rank), "MPI_Comm_rank");
    SMX_MPI(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, &node),
            "finding the ranks of this node (MPI_Comm_split_type)");
    SMX_MPI(MPI_Comm_rank(node, &p->local_rank), "MPI_Comm_rank on the node communicator");
    SMX_MPI(MPI_Allreduce(&h, &lo, 1, MPI_UINT64_T, MPI_MIN, node), "comparing device lists");
    SMX_MPI(MPI_Allreduce(&h, &hi, 1, MPI_UINT64_T, MPI_MAX, node), "comparing device lists");
    SMX_MPI(MPI_Exscan(&mine, &before, 1, MPI_INT, MPI_SUM, node), "counting slots on the node");
    p->first_slot = lo == hi && p->local_rank > 0 ? before : 0;
done:
    if (node != MPI_COMM_NULL)
        MPI_Comm_free(&node);
    return rc;
}

/*
 * Rank 0, before the session opens: load and check the spec (printing its warnings), then make the
 * state file ready (state/prepare.h). Nothing is written on bad input.
 */
static int prepare(const run_args *a, const char *slurm_job)
{
    char job_id[40];
    if (slurm_job && *slurm_job)
        snprintf(job_id, sizeof job_id, "%s", slurm_job);
    else
        snprintf(job_id, sizeof job_id, "pid:%ld", (long)getpid());
    smx_spec *spec = NULL;
    int rc = SMX_OK, extended = 0;
    uint64_t added = 0;
    if (a->spec_path) {
        rc = smx__spec_load(&spec, a->spec_path);
        if (rc == SMX_OK && a->cmd_argc)
            rc = smx__spec_set_command(spec, a->cmd_argc, a->cmd_argv);
    }
    if (rc == SMX_OK) {
        smx__prepare p = {a->state,    a->session,  a->spec_path, spec,
                          a->cmd_argc, a->cmd_argv, a->extend,    job_id};
        rc = smx__prepare_state(&p, &extended, &added);
    }
    if (extended)
        fprintf(stderr, "sweepmux: extended %s by %llu elements\n", a->state,
                (unsigned long long)added);
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

/* The open session, for the signal handler; a signal that came before it opened stops it now. */
static void on_session(smx_session *s)
{
    g_session = s;
    if (s && g_early_stop)
        smx_session_request_stop(s, g_early_reason);
}

/*
 * Called before MPI_Init (a signal during a slow start-up must stop, not kill, the rank) and again
 * after it: MPICH's MPI_Init installs a SIGUSR1 handler of its own, which would replace ours.
 */
static void catch_stop_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGUSR2, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
}

/* Descriptors one slot holds (stdout and stderr scratch files, the task's pidfd, a task log),
 * and what the rank needs besides (HDF5, MPI, its own log). */
enum { FDS_PER_SLOT = 4, FDS_BASE = 64 };

/*
 * This rank's checks of what would otherwise fail only after the state file was written (A2-11):
 * a log directory that is a file, more slots than the process may open files for.
 */
static int check_rank_env(const run_args *a, const char *logs)
{
    struct stat sb;
    if (!logs)
        return smx__error_oom();
    if (stat(logs, &sb) == 0 && !S_ISDIR(sb.st_mode))
        return smx__error(SMX_EINPUT, "--logs %s: exists and is not a directory", logs);
    struct rlimit rl;
    unsigned long long need =
        (unsigned long long)(a->slots > 0 ? a->slots : 1) * FDS_PER_SLOT + FDS_BASE;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && need > rl.rlim_cur)
        return smx__error(SMX_EINPUT,
                          "--slots %d needs about %llu open files, more than this process may "
                          "open (%llu, see ulimit -n); use fewer slots per rank and more ranks",
                          a->slots, need, (unsigned long long)rl.rlim_cur);
    return SMX_OK;
}

/*
 * Collective. Open MPI binds each of up to two ranks to a single core, and a rank's tasks inherit
 * its binding: `mpirun -n 1 sweepmux run --slots 2` runs both slots on one core, at half the
 * speed of two ranks. Rank 0 warns once if any rank runs more slots than the CPUs its launcher
 * left it while the node has more.
 */
static void warn_narrow_binding(int slots, int rank, int size)
{
    int allowed = 0, online = 0;
    int mine = INT_MAX, fewest = INT_MAX; /* CPUs of a rank that has fewer than its slots */
    if (smx__runner_cpus(&allowed, &online) == 0 && slots > allowed && allowed < online)
        mine = allowed;
    if (MPI_Allreduce(&mine, &fewest, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD) != MPI_SUCCESS)
        return; /* only a warning */
    if (rank == 0 && fewest != INT_MAX)
        fprintf(stderr,
                "sweepmux: warning: %s %d slots on %d CPU%s (the launcher's binding), so the tasks "
                "share %s; launch with `mpirun --bind-to none` or `srun --cpu-bind=none`, or use "
                "more ranks and fewer slots\n",
                size > 1 ? "a rank runs" : "this rank runs", slots, fewest, fewest == 1 ? "" : "s",
                fewest == 1 ? "it" : "them");
}

/*
 * Before the session: Slurm's view of the job (rank 0 asks, everyone gets the answer), the job
 * size check, and rank 0's prepare(). Every rank returns rank 0's verdict; only the rank that
 * failed speaks.
 */
static int before_session(const run_args *a, const char *logs, int rank, int size,
                          smx__slurm *slurm, node_place *place)
{
    memset(slurm, 0, sizeof *slurm);
    if (rank == 0)
        smx__slurm_detect(slurm);
    MPI_Bcast(slurm, sizeof *slurm, MPI_BYTE, 0, MPI_COMM_WORLD);
    if (rank != 0) { /* srun's step size is per process: read it from this rank's environment */
        const char *st = getenv("SLURM_STEP_NUM_TASKS");
        slurm->step_ntasks = st && *st ? atol(st) : -1;
    }
    int rc = smx__slurm_check_size(slurm, size), want_claims = -1;
    if (rc == SMX_OK && rank == 0) /* a bad SWEEPMUX_CLAIMS is a usage error: nothing written */
        rc = smx__claim_requested(&want_claims);
    /* Placement on the node (collective), then each rank checks its own device share. */
    int placed = place_on_node(place, a->slots);
    smx__runner_opts gpu = {.slots = a->slots > 0 ? a->slots : 1,
                            .gpus_per_slot = a->gpus,
                            .local_rank = place->local_rank,
                            .gpu_first_slot = place->first_slot,
                            .gpu_oversubscribe = a->gpu_oversub};
    if (rc == SMX_OK)
        rc = placed;
    if (rc == SMX_OK)
        rc = smx__runner_gpu_check(&gpu);
    if (rc == SMX_OK)
        rc = check_rank_env(a, logs);
    /* Rank 0 writes only if no rank found a problem with its own environment. */
    int others = rc;
    MPI_Allreduce(&rc, &others, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    if (rc == SMX_OK && others != SMX_OK && rank == 0)
        rc = smx__error(others, "another rank refused to start (see its message)");
    if (rc == SMX_OK && rank == 0)
        rc = prepare(a, slurm->job_id);
    warn_narrow_binding(a->slots > 0 ? a->slots : 1, rank, size);
    int verdict = rc;
    MPI_Allreduce(MPI_IN_PLACE, &verdict, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    if (rc != SMX_OK && rank == 0)
        smx_cli_fail(rc);
    else if (rc != SMX_OK && size > 1)
        fprintf(stderr, "sweepmux: rank %d: %s\n", rank, smx_error_last());
    return verdict;
}

static void sweep_options(const run_args *a, const smx__slurm *slurm, const node_place *place,
                          smx__sweep_opts *o)
{
    smx_session_options so = SMX_SESSION_OPTIONS_INIT;
    so.chunk = a->chunk;
    so.coordinator_iterates = !a->no_rank0;
    so.retry_failed = a->retry_failed;
    so.retries = a->retries;
    so.max_time = a->max_time;
    so.sync_interval = a->sync_interval;
    so.halt_failures = a->halt.n;
    so.halt_fraction = a->halt.frac;
    if (slurm->end_time > 0) /* stop early enough to be durable and gone before Slurm's SIGTERM */
        so.deadline = slurm->end_time - (a->grace > 15 ? a->grace : 15);
    if (slurm->job_id[0])
        so.job_id = slurm->job_id;
    static const smx__log_mode modes[] = {SMX__LOG_PER_RANK, SMX__LOG_PER_TASK, SMX__LOG_NONE};
    *o = (smx__sweep_opts){.state = a->state,
                           .session = a->session,
                           .session_opts = so,
                           .slots = a->slots,
                           .cmd_argc = a->cmd_argc,
                           .cmd_argv = a->cmd_argv,
                           .log_mode = modes[a->log_mode],
                           .grace = a->grace,
                           .gpus = a->gpus,
                           .keep_launcher_env = a->keep_env,
                           .local_rank = place->local_rank,
                           .gpu_first_slot = place->first_slot,
                           .gpu_oversubscribe = a->gpu_oversub,
                           .bind_slots = a->bind_slots,
                           .progress = a->progress,
                           .on_session = on_session};
}

/*
 * The summary line: the counts the state file holds. After a failed write some elements finished
 * in memory only; the line says how many, since the next run does them again.
 */
static void say_counts(const run_args *a, const smx__sweep_result *r)
{
    const smx_stat *d = &r->durable;
    uint64_t ran = r->stat.done + r->stat.failed, kept = d->done + d->failed;
    unsigned long long lost = ran > kept ? ran - kept : 0;
    fprintf(stderr, "sweepmux: %s: %llu done, %llu failed, %llu pending of %llu", a->state,
            (unsigned long long)d->done, (unsigned long long)d->failed,
            (unsigned long long)(d->pending + d->running), (unsigned long long)d->total);
    if (lost)
        fprintf(stderr, " in the file; %llu more finished but were not written (%s)\n", lost,
                r->reason);
    else
        fprintf(stderr, " (%s)\n", r->reason);
}

/* The exit code of a finished sweep; rank 0 also prints the summary line. */
static int sweep_exit(const run_args *a, int rank, const smx__sweep_result *r)
{
    /* After a lost lock the counts in memory were never written: only the message says what
     * happened. */
    if (rank == 0 && r->opened && r->rc != SMX_ELOCKED)
        say_counts(a, r);
    if (r->rc == SMX_OK)
        return r->stat.failed ? SMX_EXIT_FAILED : SMX_EXIT_COMPLETE;
    if (r->rc == SMX_ESTOPPED)
        return r->halted ? SMX_EXIT_FAILED : SMX_EXIT_STOPPED;
    if (rank == 0 && !r->reported)
        smx_cli_fail(r->rc);
    return smx_cli_exit_code(r->rc);
}

static int run_main(int argc, char **argv)
{
    run_args a;
    int prc = parse_args(argc, argv, &a);
    if (prc != SMX_CLI_PROCEED)
        return prc;
    catch_stop_signals();
    int provided = 0, rank = 0, size = 1;
    if (MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
        fprintf(stderr, "sweepmux: MPI_Init_thread failed\n");
        return SMX_EXIT_OTHER;
    }
    catch_stop_signals();
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    smx__slurm slurm;
    node_place place = {0, 0};
    char *logs = a.logs ? strdup(a.logs) : default_logs(a.state);
    int rc = before_session(&a, logs, rank, size, &slurm, &place);
    if (rc != SMX_OK) {
        free(logs);
        MPI_Finalize();
        return smx_cli_exit_code(rc);
    }
    smx__sweep_opts o;
    sweep_options(&a, &slurm, &place, &o);
    o.logs = logs;
    smx__sweep_result r;
    smx__sweep_run(&o, &r);
    free(logs);
    int code = sweep_exit(&a, rank, &r);
    if (rank == 0 && r.opened)
        smx_cli_say_next(stderr, code, &r, a.state, a.session, size, slurm.job_id[0] != '\0');
    /* Exit codes 1 and 3 are outcomes every rank agrees on, not errors of a rank: only rank 0
     * returns them, so mpirun reports one non-zero process (rank 0, whose last line explains it)
     * and srun's exit code, the largest of its tasks', is still rank 0's. */
    if (rank != 0 && (code == SMX_EXIT_FAILED || code == SMX_EXIT_STOPPED))
        code = SMX_EXIT_COMPLETE;
    MPI_Finalize();
    return code;
}
