/* The command loop: see cmdloop.h. */
#include "exec/cmdloop.h"

#include <ctype.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
        (stopping && res->started && is_stop_signal(res->term_signal)))
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
    else if (res->timed_out)
        snprintf(tail, sizeof tail, "timed out\n%s", res->stderr_tail);
    else
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

int smx__cmdloop_run(smx_session *s, const smx__cmdloop_opts *o)
{
    /* Resolved once, so the runner's timeouts and a stop's kill_all use the same grace. */
    double kill_grace = o->kill_grace == 0 ? SMX__KILL_GRACE_DEFAULT : o->kill_grace;
    smx__runner_opts ro = {.slots = o->slots > 0 ? o->slots : 1,
                           .rank = s->rank,
                           .log_dir = o->log_dir,
                           .log_mode = o->log_mode,
                           .kill_grace = kill_grace,
                           .gpus_per_slot = o->gpus_per_slot,
                           .keep_launcher_env = o->keep_launcher_env,
                           .local_rank = o->local_rank,
                           .gpu_first_slot = o->gpu_first_slot,
                           .gpu_oversubscribe = o->gpu_oversubscribe,
                           .bind_slots = o->bind_slots};
    smx__runner *r = NULL;
    int rc = smx__runner_create(&r, &ro);
    if (rc != SMX_OK)
        return rc;
    smx__task_result *res = calloc((size_t)ro.slots, sizeof *res);
    if (!res) {
        smx__runner_free(r);
        return smx__error_oom();
    }
    /* Rank 0 of a multi-rank job wakes often: on networks without hardware atomics claims need it.
     */
    /*
     * Rank 0 of a multi-rank job wakes often: on networks without hardware atomics a claim waits
     * for its next MPI call. It backs off from 1 ms to 8 ms while nothing happens (no claim, no
     * report, no task ended), so an idle rank 0 stays well under 1 % of a core.
     */
    int busy_ms = s->size == 1 ? 50 : (s->rank == 0 ? 1 : 20);
    int idle_ms = s->size == 1 ? 50 : (s->rank == 0 ? 8 : 20);
    int wait_ms = busy_ms;
    uint64_t events = smx__session_events(s);
    int exhausted = 0, killed = 0, started_any = 0, unstartable = 0;
    char why[256] = "";
    double kill_at = 0;
    while (rc == SMX_OK) {
        while (!exhausted && smx__runner_free_slots(r) > 0) {
            smx_element *e = NULL;
            int nrc = smx_session_next(s, &e);
            if (nrc == SMX_ITEROVER) {
                exhausted = 1;
                break;
            }
            if (nrc != SMX_OK) {
                rc = nrc;
                break;
            }
            rc = start_task(s, r, e);
            if (rc != SMX_OK)
                break;
        }
        if (rc != SMX_OK || (exhausted && smx__runner_active(r) == 0))
            break;
        size_t n = 0;
        rc = smx__runner_wait(r, wait_ms, res, (size_t)ro.slots, &n);
        for (size_t i = 0; i < n && rc == SMX_OK; i++) {
            int lost = !res[i].started && !started_any;
            started_any |= res[i].started;
            if (lost && unstartable++ == 0)
                snprintf(why, sizeof why, "%s", res[i].spawn_error);
            rc = finish_task(&res[i], lost);
        }
        if (rc == SMX_OK && !started_any && unstartable >= UNSTARTABLE_MAX)
            rc = cannot_start(s, unstartable, why);
        /*
         * A task that failed with retries left is queued for this rank again, also after the
         * claims ran out: look for it (smx_session_next is cheap once exhausted) (A4-1).
         */
        if (n > 0 && !smx_session_stopping(s))
            exhausted = 0;
        if (rc == SMX_OK)
            rc = smx_session_progress(s);
        if (smx_session_stopping(s)) {
            exhausted = 1;
            if (kill_at == 0)
                kill_at = smx__clock_wall() + o->grace; /* the grace starts when we learn of it */
            if (!killed && smx__clock_wall() >= kill_at && smx__runner_active(r) > 0) {
                smx__runner_kill_all(r, ro.kill_grace);
                killed = 1;
            }
        }
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
    if (rc == SMX_OK && !started_any && unstartable > 0)
        rc = cannot_start(s, unstartable, why);
    if (rc != SMX_OK) {
        /* Leave nothing running behind an error; the elements go back to pending at close. */
        int saved = rc;
        char msg[1024];
        snprintf(msg, sizeof msg, "%s", smx_error_last());
        smx__runner_free(r);
        r = NULL;
        smx__error(saved, "%s", msg);
    }
    smx__runner_free(r);
    free(res);
    return rc;
}
