/* The command loop: see cmdloop.h. */
#include "exec/cmdloop.h"

#include <ctype.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/error.h"
#include "exec/log.h"
#include "session/session_internal.h"
#include "spec/template.h"
#include "core/value.h"

/* The task's environment: the SWEEPMUX_* contract (README "Task environment") and the spec's env.
 */
static char **task_env(smx_session *s, smx_element *e, const smx_value *vals)
{
    const smx_spec *spec = smx__session_spec(s);
    size_t np = smx__spec_nparams(spec);
    char **extra = NULL;
    if (smx__template_env(spec, e->index, vals, &extra) != SMX_OK)
        return NULL;
    size_t nextra = 0;
    while (extra && extra[nextra])
        nextra++;
    char **env = calloc(5 + np + nextra + 1, sizeof(char *));
    if (!env) {
        smx__strv_free(extra);
        return NULL;
    }
    size_t k = 0;
    char buf[4096];
    snprintf(buf, sizeof buf, "SWEEPMUX_INDEX=%llu", (unsigned long long)e->index);
    env[k++] = strdup(buf);
    snprintf(buf, sizeof buf, "SWEEPMUX_SESSION=%s", s->name);
    env[k++] = strdup(buf);
    snprintf(buf, sizeof buf, "SWEEPMUX_ATTEMPT=%d", e->attempt);
    env[k++] = strdup(buf);
    snprintf(buf, sizeof buf, "SWEEPMUX_RANK=%d", s->rank);
    env[k++] = strdup(buf);
    for (size_t i = 0; i < np; i++) {
        const char *name = smx__spec_param_name(spec, i);
        int n = snprintf(buf, sizeof buf, "SWEEPMUX_PARAM_");
        for (const char *p = name; *p && n < 200; p++)
            buf[n++] = isalnum((unsigned char)*p) ? (char)toupper((unsigned char)*p) : '_';
        buf[n++] = '=';
        buf[n] = '\0';
        smx__value_format(&vals[i], buf + n, sizeof buf - (size_t)n);
        env[k++] = strdup(buf);
    }
    for (size_t i = 0; i < nextra; i++)
        env[k++] = strdup(extra[i]);
    env[k] = NULL;
    smx__strv_free(extra);
    for (size_t i = 0; i < k; i++)
        if (!env[i]) {
            smx__strv_free(env);
            return NULL;
        }
    return env;
}

/* Completes E with a failure that happened before anything ran (a template could not render). */
static int fail_unstarted(smx_element *e, const char *why)
{
    smx_completion c = SMX_COMPLETION_INIT;
    c.status = SMX_STATUS_FAILED;
    c.stderr_tail = why;
    return smx_element_complete_ex(e, &c);
}

/*
 * Relative paths of a task resolve against BASE, the directory the sweep was created in, wherever
 * this job was started: *WORKDIR (the spec's rendered workdir, or NULL) becomes BASE/WORKDIR, or
 * BASE. An empty BASE (not recorded) leaves it as it is.
 */
static int in_sweep_dir(const char *base, char **workdir)
{
    if (!base || !base[0] || (*workdir && (*workdir)[0] == '/'))
        return SMX_OK;
    char *joined = NULL;
    if (*workdir) {
        size_t n = strlen(base) + strlen(*workdir) + 2;
        if ((joined = malloc(n)))
            snprintf(joined, n, "%s/%s", base, *workdir);
    } else {
        joined = strdup(base);
    }
    if (!joined)
        return smx__error_oom();
    free(*workdir);
    *workdir = joined;
    return SMX_OK;
}

static int start_task(smx_session *s, smx__runner *r, smx_element *e)
{
    const smx_spec *spec = smx__session_spec(s);
    char **argv = NULL, **env = NULL, *workdir = NULL;
    const smx_value *vals = smx__element_values(e);
    int rc = vals ? SMX_OK : smx_error_last_code();
    if (rc == SMX_OK)
        rc = smx__template_argv(spec, e->index, vals, &argv);
    if (rc == SMX_OK)
        rc = smx__template_workdir(spec, e->index, vals, &workdir);
    if (rc == SMX_OK)
        rc = in_sweep_dir(smx__session_workdir(s), &workdir);
    /* A per-element working directory is created on demand (its components are sanitised). */
    if (rc == SMX_OK && workdir && smx__spec_has_workdir(spec))
        rc = smx__log_mkdirs(workdir);
    if (rc == SMX_OK) {
        env = task_env(s, e, vals);
        if (!env)
            rc = smx_error_last_code() ? smx_error_last_code() : SMX_ENOMEM;
    }
    if (rc != SMX_OK) {
        char why[512];
        snprintf(why, sizeof why, "sweepmux could not prepare the task: %s", smx_error_last());
        rc = fail_unstarted(e, why);
    } else {
        smx__task t = {e->index, e->attempt, argv, env, workdir, smx__spec_timeout(spec), e};
        rc = smx__runner_start(r, &t);
    }
    smx__strv_free(argv);
    smx__strv_free(env);
    free(workdir);
    return rc;
}

/* Signals a stop request may have carried to the task too (srun and mpirun forward to all). */
static int is_stop_signal(int sig)
{
    return sig == SIGUSR1 || sig == SIGUSR2 || sig == SIGTERM || sig == SIGINT;
}

/*
 * Whether a stop signal ended the task: it died of one, or it is a shell that exited 128 + N after
 * its child died of signal N (srun, scancel and Slurm's teardown of a step signal every process of
 * the step, the task's children too).
 */
static int ended_by_stop_signal(const smx__task_result *res)
{
    if (!res->started)
        return 0;
    if (res->term_signal)
        return is_stop_signal(res->term_signal);
    return res->exit_code > 128 && is_stop_signal(res->exit_code - 128);
}

/*
 * Whether this rank is stopping, or starts to within a second, after a stop signal ended a task.
 * The processes of a step are signalled one after another, the task possibly first: its end may
 * be reaped before the same signal reaches us, and it must not count as a failure of the element
 * then. Tasks that stop signals end are rare otherwise, so the wait costs nothing in practice.
 */
static int stop_follows(smx_session *s)
{
    for (int i = 0; i < 100 && !smx_session_stopping(s); i++) {
        struct timespec ts = {0, 10000000};
        nanosleep(&ts, NULL);
    }
    return smx_session_stopping(s);
}

/*
 * Attempts that could not start before any task of this rank started. They say nothing about the
 * elements (a missing program, a bad directory, an unmounted file system) and are not counted as
 * failures; after this many the job stops instead of burning the sweep.
 */
#define UNSTARTABLE_MAX 3

static int finish_task(const smx__task_result *res, int unstartable)
{
    smx_element *e = res->user;
    int stopping = smx_session_stopping(e->s);
    smx_completion c = SMX_COMPLETION_INIT;
    const char *names[SMX__REPORT_MAX_RESULTS];
    size_t n = res->nresults < SMX__REPORT_MAX_RESULTS ? res->nresults : SMX__REPORT_MAX_RESULTS;
    for (size_t i = 0; i < n; i++)
        names[i] = res->result_names[i];
    /*
     * Interrupted by a stop (ours, or the stop signal itself reaching the task): not a failure,
     * the element runs again on resume.
     */
    if (res->stopped || unstartable ||
        (ended_by_stop_signal(res) && (stopping || (!res->timed_out && stop_follows(e->s)))))
        c.status = SMX_STATUS_PENDING;
    else if (res->started && !res->timed_out && res->term_signal == 0 && res->exit_code == 0)
        c.status = SMX_STATUS_DONE;
    else
        c.status = SMX_STATUS_FAILED;
    c.exit_code = res->exit_code;
    c.term_signal = res->term_signal;
    c.t_start = res->t_start;
    c.t_end = res->t_end;
    c.nresults = n;
    c.result_names = names;
    c.result_values = res->result_values;
    char tail[SMX__TAIL_MAX];
    if (!res->started)
        snprintf(tail, sizeof tail, "could not start: %s", res->spawn_error);
    else if (res->timed_out) {
        /* The stderr tail is the END of the task's output: what the prefix displaces is its start.
         */
        size_t len = strlen(res->stderr_tail), keep = sizeof tail - sizeof "timed out\n";
        snprintf(tail, sizeof tail, "timed out\n%s",
                 res->stderr_tail + (len > keep ? len - keep : 0));
    } else
        snprintf(tail, sizeof tail, "%s", res->stderr_tail);
    c.stderr_tail = tail;
    return smx_element_complete_ex(e, &c);
}

/* The error that stops a job whose first N tasks could not start (WHY: the first reason). */
static int cannot_start(smx_session *s, int n, const char *why)
{
    const char *dir = smx__session_workdir(s);
    return smx__error(SMX_EINPUT,
                      "the first %d tasks could not start (%s); stopping, the elements stay "
                      "pending. Fix the command or its directory (tasks run in %s) and run again",
                      n, why, dir[0] ? dir : "the current directory");
}

/* What the command loop knows between its rounds. */
typedef struct {
    smx_session *s;
    const smx__cmdloop_opts *o;
    smx__runner *r;
    smx__task_result *res; /* one per slot: what a round of waiting collected */
    size_t slots;
    double kill_grace; /* resolved once, so timeouts and a stop's kill_all use the same grace */
    int exhausted;     /* smx_session_next said ITEROVER (or the job is stopping) */
    int killed;        /* the running tasks were told to stop after the grace */
    double kill_at;    /* when a stop's grace ends; 0 until the job learns of the stop */
    int started_any;   /* some task of this rank has started */
    int unstartable;   /* attempts that could not start before any task started */
    char why[256];     /* the first of their reasons */
} loop;

static int loop_open(loop *L, smx_session *s, const smx__cmdloop_opts *o)
{
    memset(L, 0, sizeof *L);
    L->s = s;
    L->o = o;
    L->kill_grace = o->kill_grace == 0 ? SMX__KILL_GRACE_DEFAULT : o->kill_grace;
    smx__runner_opts ro = {.slots = o->slots > 0 ? o->slots : 1,
                           .rank = s->rank,
                           .log_dir = o->log_dir,
                           .log_mode = o->log_mode,
                           .kill_grace = L->kill_grace,
                           .gpus_per_slot = o->gpus_per_slot,
                           .keep_launcher_env = o->keep_launcher_env,
                           .local_rank = o->local_rank,
                           .gpu_first_slot = o->gpu_first_slot,
                           .gpu_oversubscribe = o->gpu_oversubscribe,
                           .bind_slots = o->bind_slots};
    L->slots = (size_t)ro.slots;
    int rc = smx__runner_create(&L->r, &ro);
    if (rc != SMX_OK)
        return rc;
    if (!(L->res = calloc(L->slots, sizeof *L->res))) {
        smx__runner_free(L->r);
        L->r = NULL;
        return smx__error_oom();
    }
    return SMX_OK;
}

/*
 * Frees the runner (which stops every task still running) and keeps the error message RC had:
 * after an error nothing runs on behind it, and its elements go back to pending at close.
 */
static int loop_close(loop *L, int rc)
{
    char msg[1024];
    snprintf(msg, sizeof msg, "%s", smx_error_last());
    smx__runner_free(L->r);
    free(L->res);
    if (rc != SMX_OK)
        smx__error(rc, "%s", msg);
    return rc;
}

/* Claims elements and starts them while slots are free and claims last. */
static int fill_slots(loop *L)
{
    while (!L->exhausted && smx__runner_free_slots(L->r) > 0) {
        smx_element *e = NULL;
        int rc = smx_session_next(L->s, &e);
        if (rc == SMX_ITEROVER) {
            L->exhausted = 1;
            break;
        }
        if (rc == SMX_OK)
            rc = start_task(L->s, L->r, e);
        if (rc != SMX_OK)
            return rc;
    }
    return SMX_OK;
}

/* Waits up to WAIT_MS for tasks to end and completes their elements; *N says how many ended. */
static int reap(loop *L, int wait_ms, size_t *n)
{
    int rc = smx__runner_wait(L->r, wait_ms, L->res, L->slots, n);
    for (size_t i = 0; i < *n && rc == SMX_OK; i++) {
        int lost = !L->res[i].started && !L->started_any;
        L->started_any |= L->res[i].started;
        if (lost && L->unstartable++ == 0)
            snprintf(L->why, sizeof L->why, "%s", L->res[i].spawn_error);
        rc = finish_task(&L->res[i], lost);
    }
    if (rc == SMX_OK && !L->started_any && L->unstartable >= UNSTARTABLE_MAX)
        rc = cannot_start(L->s, L->unstartable, L->why);
    /*
     * A task that failed with retries left is queued for this rank again, also after the claims
     * ran out: look for it (smx_session_next is cheap once exhausted) (A4-1).
     */
    if (*n > 0 && !smx_session_stopping(L->s))
        L->exhausted = 0;
    return rc;
}

/* Once the job is stopping: claim nothing more, and stop the tasks when the grace has passed. */
static void obey_stop(loop *L)
{
    if (!smx_session_stopping(L->s))
        return;
    L->exhausted = 1;
    if (L->kill_at == 0)
        L->kill_at = smx__clock_wall() + L->o->grace; /* the grace starts when we learn of it */
    if (!L->killed && smx__clock_wall() >= L->kill_at && smx__runner_active(L->r) > 0) {
        smx__runner_kill_all(L->r, L->kill_grace);
        L->killed = 1;
    }
}

int smx__cmdloop_run(smx_session *s, const smx__cmdloop_opts *o)
{
    loop L;
    int rc = loop_open(&L, s, o);
    if (rc != SMX_OK)
        return rc;
    /*
     * Rank 0 of a multi-rank job wakes often: on networks without hardware atomics a claim waits
     * for its next MPI call. It backs off from 1 ms to 8 ms while nothing happens (no claim, no
     * report, no task ended), so an idle rank 0 stays well under 1 % of a core.
     */
    int busy_ms = s->size == 1 ? 50 : (s->rank == 0 ? 1 : 20);
    int idle_ms = s->size == 1 ? 50 : (s->rank == 0 ? 8 : 20);
    int wait_ms = busy_ms;
    uint64_t events = smx__session_events(s);
    while (rc == SMX_OK) {
        rc = fill_slots(&L);
        if (rc != SMX_OK || (L.exhausted && smx__runner_active(L.r) == 0))
            break;
        size_t n = 0;
        rc = reap(&L, wait_ms, &n);
        if (rc == SMX_OK)
            rc = smx_session_progress(s);
        obey_stop(&L);
        if (o->tick)
            o->tick(s, o->tick_arg);
        uint64_t now_events = smx__session_events(s);
        if (n > 0 || now_events != events)
            wait_ms = busy_ms;
        else if (wait_ms < idle_ms)
            wait_ms *= 2;
        events = now_events;
    }
    /* Ran out of elements before any could start: the same verdict. */
    if (rc == SMX_OK && !L.started_any && L.unstartable > 0)
        rc = cannot_start(s, L.unstartable, L.why);
    return loop_close(&L, rc);
}
