/* sweepmux status: where a sweep stands, from the durable state (safe while a run holds the file).
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "core/error.h"
#include "options.h"
#include "render.h"
#include "spec/template.h"
#include "state/inspect.h"
#include "status_by.h"

typedef struct status_args {
    const char *session;
    int json, failures;
    const char *by, *metric; /* --by view (cmd_status_by.c) */
    int best, watch;         /* --best: 0 min, 1 max; --watch (watch.c) */
} status_args;

static const char *const best_choices[] = {"min", "max", NULL};

static const smx_opt status_opts[] = {{.name = "session",
                                       .type = SMX_OPT_STRING,
                                       .offset = offsetof(status_args, session),
                                       .metavar = "NAME",
                                       .help = "the session (default: default, or the only one)"},
                                      {.name = "json",
                                       .type = SMX_OPT_FLAG,
                                       .offset = offsetof(status_args, json),
                                       .help = "print one JSON object instead of text"},
                                      {.name = "failures",
                                       .type = SMX_OPT_INT,
                                       .offset = offsetof(status_args, failures),
                                       .metavar = "N",
                                       .help = "show the N most recent failures (default 5)"},
                                      {.name = "by",
                                       .type = SMX_OPT_STRING,
                                       .offset = offsetof(status_args, by),
                                       .metavar = "P[,Q...]",
                                       .help = "counts and the metric for each value (or "
                                               "combination) of these parameters, best first"},
                                      {.name = "metric",
                                       .type = SMX_OPT_STRING,
                                       .offset = offsetof(status_args, metric),
                                       .metavar = "NAME",
                                       .help = "the result --by summarises (default: the first)"},
                                      {.name = "best",
                                       .type = SMX_OPT_ENUM,
                                       .offset = offsetof(status_args, best),
                                       .choices = best_choices,
                                       .help = "for --by: the lowest (default) or highest mean "
                                               "of the metric is best"},
                                      {.name = "watch",
                                       .type = SMX_OPT_FLAG,
                                       .offset = offsetof(status_args, watch),
                                       .help = "redraw a live view every SECONDS (default 2) "
                                               "until the sweep is complete; q or Ctrl-C quits"},
                                      {0}};

static int status_main(int argc, char **argv);

const smx_cli_command smx_cli_cmd_status = {
    .name = "status",
    .summary = "counts by state, rate, jobs and recent failures",
    .synopsis = "RUN.h5 [--session NAME] [--json] [--failures N] [--by P[,Q...] [--metric NAME] "
                "[--best min|max]] [--watch [SECONDS]]",
    .description =
        "Counts by state (pending, running, done, failed), the rate and ETA of the latest job, "
        "the\n"
        "jobs that worked on the session and why each stopped, and the most recent failures with\n"
        "the tail of their stderr. Reads only durable state and never blocks a running sweep.\n"
        "--json prints one object with at least the integer keys total, pending, running, done,\n"
        "failed (plus session, sessions, jobs, failures, rate, eta_seconds).",
    .opts = status_opts,
    .min_args = 1,
    .max_args = 2, /* RUN.h5 and, after --watch, SECONDS */
    .args_name = "RUN.h5",
    .fn = status_main,
};

/* Everything status shows, gathered before anything is printed. */
typedef struct status_view {
    const char *path;
    smx__inspect *in;
    smx_stat st;
    smx__job *jobs; /* ring of SMX__JOBS_MAX */
    int64_t njobs;
    smx__failure *fails; /* ring of SMX__FAILURES_MAX */
    int64_t nfails;
    char **changes; /* accepted spec edits, oldest first */
    size_t nchanges;
    char **names; /* every session of the file */
    size_t nsess;
    smx_stat *others; /* counts of each of names */
    int latest;       /* ring row of the latest job, or -1 */
    uint64_t by_job;  /* elements the latest job finished */
    double rate;      /* per second, by the latest job */
    double eta;       /* seconds, or -1 */
} status_view;

static void view_free(status_view *v)
{
    free(v->jobs);
    free(v->fails);
    free(v->others);
    smx__strv_free(v->names);
    smx__strv_free(v->changes);
    smx__inspect_close(v->in);
}

/* The latest job's rate: what it finished over its run time so far, and the ETA it implies. */
static int latest_rate(status_view *v)
{
    v->latest = v->njobs > 0 ? (int)((v->njobs - 1) % SMX__JOBS_MAX) : -1;
    v->eta = -1;
    if (v->latest < 0)
        return SMX_OK;
    int rc = smx__inspect_latest_finished(v->in, &v->by_job);
    const smx__job *job = &v->jobs[v->latest];
    double end = job->t_end > 0 ? job->t_end : (double)time(NULL);
    if (end > job->t_start && v->by_job)
        v->rate = (double)v->by_job / (end - job->t_start);
    if (v->rate > 0 && job->t_end <= 0)
        v->eta = (double)(v->st.pending + v->st.running) / v->rate;
    return rc;
}

/* Counts of every session of the file (the open one's are already in V->st). */
static int session_counts(status_view *v)
{
    int rc = smx__inspect_sessions(v->in, &v->names, &v->nsess);
    if (rc == SMX_OK && !(v->others = calloc(v->nsess ? v->nsess : 1, sizeof *v->others)))
        rc = smx__error_oom();
    for (size_t i = 0; rc == SMX_OK && i < v->nsess; i++) {
        if (!strcmp(v->names[i], smx__inspect_session(v->in)))
            v->others[i] = v->st;
        else
            rc = smx__inspect_counts(v->in, v->names[i], &v->others[i], NULL);
    }
    return rc;
}

static int gather(status_view *v, const char *path, const char *session)
{
    memset(v, 0, sizeof *v);
    v->path = path;
    int rc = smx__inspect_open(&v->in, path, session);
    if (rc == SMX_OK)
        rc = smx__inspect_counts(v->in, NULL, &v->st, NULL);
    if (rc == SMX_OK)
        rc = smx__inspect_jobs(v->in, &v->jobs, &v->njobs);
    if (rc == SMX_OK)
        rc = smx__inspect_failures(v->in, &v->fails, &v->nfails);
    if (rc == SMX_OK)
        rc = latest_rate(v);
    if (rc == SMX_OK)
        rc = session_counts(v);
    if (rc == SMX_OK)
        rc = smx__inspect_spec_changes(v->in, &v->changes, &v->nchanges);
    return rc;
}

/* The first job and failure to show: jobs as far as the ring reaches, the last NFAIL failures. */
static int64_t first_job(const status_view *v)
{
    return v->njobs > SMX__JOBS_MAX ? v->njobs - SMX__JOBS_MAX : 0;
}

static int64_t first_failure(const status_view *v, long nfail)
{
    int64_t first = v->nfails > nfail ? v->nfails - nfail : 0;
    if (v->nfails - first > SMX__FAILURES_MAX)
        first = v->nfails - SMX__FAILURES_MAX;
    return first;
}

static void json_counts(const smx_stat *st)
{
    printf("\"total\": %llu, \"pending\": %llu, \"running\": %llu, \"done\": %llu, "
           "\"failed\": %llu",
           (unsigned long long)st->total, (unsigned long long)st->pending,
           (unsigned long long)st->running, (unsigned long long)st->done,
           (unsigned long long)st->failed);
}

static void json_jobs(const status_view *v)
{
    for (int64_t k = first_job(v); k < v->njobs; k++) {
        const smx__job *j = &v->jobs[k % SMX__JOBS_MAX];
        printf("%s{\"id\": ", k > first_job(v) ? ", " : "");
        smx_json_string(stdout, j->id);
        printf(", \"host\": ");
        smx_json_string(stdout, j->host);
        printf(", \"start\": %.3f, \"end\": ", j->t_start);
        if (j->t_end > 0)
            printf("%.3f", j->t_end);
        else
            printf("null");
        printf(", \"ranks\": %d, \"exit_code\": ", j->ranks);
        if (j->exit_code >= 0)
            printf("%d", j->exit_code);
        else
            printf("null");
        printf(", \"reason\": ");
        smx_json_string(stdout, j->reason);
        printf(", \"claims\": ");
        if (j->claims[0])
            smx_json_string(stdout, j->claims);
        else
            printf("null");
        printf("}");
    }
}

static void json_failures(const status_view *v, long nfail)
{
    int64_t first = first_failure(v, nfail);
    for (int64_t k = first; k < v->nfails; k++) {
        const smx__failure *f = &v->fails[k % SMX__FAILURES_MAX];
        printf("%s{\"index\": %llu, \"attempt\": %d, \"exit_code\": %d, \"signal\": %d, "
               "\"stderr_tail\": ",
               k > first ? ", " : "", (unsigned long long)f->index, f->attempt, f->exit_code,
               f->term_signal);
        smx_json_string(stdout, f->tail);
        printf("}");
    }
}

static void render_json(const status_view *v, long nfail)
{
    printf("{\"state\": ");
    smx_json_string(stdout, v->path);
    printf(", \"sweep\": ");
    smx_json_string(stdout, smx__spec_name(smx__inspect_spec(v->in)));
    printf(", \"session\": ");
    smx_json_string(stdout, smx__inspect_session(v->in));
    printf(", ");
    json_counts(&v->st);
    printf(", \"complete\": %s", v->st.done + v->st.failed == v->st.total ? "true" : "false");
    printf(", \"rate\": %.6g, \"eta_seconds\": ", v->rate);
    if (v->eta >= 0)
        printf("%.1f", v->eta);
    else
        printf("null");
    printf(", \"sessions\": [");
    for (size_t i = 0; i < v->nsess; i++) {
        printf("%s{\"name\": ", i ? ", " : "");
        smx_json_string(stdout, v->names[i]);
        printf(", ");
        json_counts(&v->others[i]);
        printf("}");
    }
    printf("], \"jobs\": [");
    json_jobs(v);
    printf("], \"failures\": [");
    json_failures(v, nfail);
    printf("], \"spec_changes\": [");
    for (size_t i = 0; i < v->nchanges; i++) {
        printf("%s", i ? ", " : "");
        smx_json_string(stdout, v->changes[i]);
    }
    printf("]}\n");
}

static void text_jobs(const status_view *v)
{
    char t1[32], t2[32], code[16];
    printf("  jobs:\n");
    for (int64_t k = first_job(v); k < v->njobs; k++) {
        const smx__job *j = &v->jobs[k % SMX__JOBS_MAX];
        smx_format_time(j->t_start, t1, sizeof t1);
        smx_format_time(j->t_end, t2, sizeof t2);
        snprintf(code, sizeof code, "%d", j->exit_code);
        printf("    %-3lld %-16s %-20s %s -> %s  %d ranks  exit %s  %s%s%s\n", (long long)k + 1,
               j->id, j->host, t1, j->t_end > 0 ? t2 : "(running or died)", j->ranks,
               j->exit_code >= 0 ? code : "-", j->reason, j->claims[0] ? "  claims " : "",
               j->claims);
    }
}

/* A failure's stderr tail, indented, at most its last 5 lines. */
static void text_tail(const char *tail)
{
    const char *t = tail + strlen(tail);
    int lines = 0;
    while (t > tail && lines < 6)
        if (*--t == '\n')
            lines++;
    if (*t == '\n')
        t++;
    while (*t) {
        const char *e = strchr(t, '\n');
        int len = e ? (int)(e - t) : (int)strlen(t);
        if (len) {
            fputs("      | ", stdout);
            smx_print_text(stdout, t, (size_t)len);
            fputc('\n', stdout);
        }
        t += len + (e ? 1 : 0);
    }
}

static void text_failures(const status_view *v, long nfail)
{
    printf("  recent failures (%lld in all):\n", (long long)v->nfails);
    for (int64_t k = first_failure(v, nfail); k < v->nfails; k++) {
        const smx__failure *f = &v->fails[k % SMX__FAILURES_MAX];
        if (f->term_signal)
            printf("    element %llu attempt %d: killed by signal %d\n",
                   (unsigned long long)f->index, f->attempt, f->term_signal);
        else
            printf("    element %llu attempt %d: exit %d\n", (unsigned long long)f->index,
                   f->attempt, f->exit_code);
        text_tail(f->tail);
    }
}

static void render_text(const status_view *v, long nfail)
{
    const smx_stat *st = &v->st;
    double pct = st->total ? 100.0 * (double)(st->done + st->failed) / (double)st->total : 100;
    printf("%s: sweep '%s', session '%s'\n", v->path, smx__spec_name(smx__inspect_spec(v->in)),
           smx__inspect_session(v->in));
    printf("  %llu elements: %llu done, %llu failed, %llu running, %llu pending (%.1f%% "
           "finished)%s\n",
           (unsigned long long)st->total, (unsigned long long)st->done,
           (unsigned long long)st->failed, (unsigned long long)st->running,
           (unsigned long long)st->pending, pct,
           st->done + st->failed == st->total ? ", complete" : "");
    if (v->latest >= 0) {
        printf("  latest job: %llu finished, %.2f/s", (unsigned long long)v->by_job, v->rate);
        if (v->eta >= 0)
            printf(", ETA %.0fs", v->eta);
        printf("\n");
    }
    if (v->njobs > 0)
        text_jobs(v);
    if (v->nfails > 0)
        text_failures(v, nfail);
    if (v->nchanges > 0) {
        printf("  spec settings changed:\n");
        for (size_t i = 0; i < v->nchanges; i++)
            printf("    %s\n", v->changes[i]);
    }
    if (v->nsess > 1) {
        printf("  sessions:\n");
        for (size_t i = 0; i < v->nsess; i++)
            printf("    %-20s %llu/%llu done, %llu failed\n", v->names[i],
                   (unsigned long long)v->others[i].done, (unsigned long long)v->others[i].total,
                   (unsigned long long)v->others[i].failed);
    }
}

/* A usage error of status: one line, exit 2. */
static int usage_error(const char *msg, const char *arg)
{
    fprintf(stderr, "sweepmux status: %s%s%s%s\n", msg, arg ? " '" : "", arg ? arg : "",
            arg ? "'" : "");
    return SMX_EXIT_INPUT;
}

/* --watch and --by: their own views (status_by.h); SMX_CLI_PROCEED for the plain status. */
static int other_views(const status_args *a, const smx_cli_parsed *p)
{
    if (p->nargs > 1 && !a->watch)
        return usage_error("unexpected argument (only --watch takes SECONDS):", p->args[1]);
    if (a->watch) {
        char *end = NULL;
        double secs = p->nargs > 1 ? strtod(p->args[1], &end) : 2.0;
        if (p->nargs > 1 && (end == p->args[1] || *end || !(secs >= 0.1 && secs <= 3600)))
            return usage_error("--watch SECONDS is a number from 0.1 to 3600, not", p->args[1]);
        if (a->json || a->by)
            return usage_error("--watch is a live text view: not with --json or --by", NULL);
        return smx_cli_status_watch(p->args[0], a->session, secs);
    }
    if (a->by)
        return smx_cli_status_by(p->args[0], a->session, a->by, a->metric, a->best, a->json);
    if (a->metric || a->best)
        return usage_error("--metric and --best go with --by", NULL);
    return SMX_CLI_PROCEED;
}

static int status_main(int argc, char **argv)
{
    status_args args = {.failures = 5};
    smx_cli_parsed p;
    int prc = smx_cli_args(&smx_cli_cmd_status, argc, argv, &args, &p);
    if (prc != SMX_CLI_PROCEED)
        return prc;
    prc = other_views(&args, &p);
    if (prc != SMX_CLI_PROCEED)
        return prc;
    status_view v;
    int rc = gather(&v, p.args[0], args.session);
    if (rc == SMX_OK && args.json)
        render_json(&v, args.failures);
    else if (rc == SMX_OK)
        render_text(&v, args.failures);
    view_free(&v);
    return rc == SMX_OK ? SMX_EXIT_COMPLETE : smx_cli_fail(rc);
}
