/* sweepmux status: where a sweep stands, from the durable state (safe while a run holds the file).
 */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "options.h"
#include "core/error.h"
#include "inspect.h"
#include "state/mux_internal.h"
#include "session/session_internal.h"
#include "spec/template.h"

typedef struct status_args {
    const char *session;
    int json, failures;
} status_args;

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
                                      {0}};

static int status_main(int argc, char **argv);

const smx_cli_command smx_cli_cmd_status = {
    .name = "status",
    .summary = "counts by state, rate, jobs and recent failures",
    .synopsis = "RUN.h5 [--session NAME] [--json] [--failures N]",
    .description =
        "Counts by state (pending, running, done, failed), the rate and ETA of the latest job, "
        "the\n"
        "jobs that worked on the session and why each stopped, and the most recent failures with\n"
        "the tail of their stderr. Reads only durable state and never blocks a running sweep.\n"
        "--json prints one object with at least the integer keys total, pending, running, done,\n"
        "failed (plus session, sessions, jobs, failures, rate, eta_seconds).",
    .opts = status_opts,
    .min_args = 1,
    .max_args = 1,
    .args_name = "RUN.h5",
    .fn = status_main,
};

typedef struct job_stat {
    double rate;     /* elements finished per second by the latest job */
    double eta;      /* seconds, or -1 */
    uint64_t by_job; /* elements the latest job finished */
} job_stat;

/* Rate of the latest job: its finished records over its run time so far. */
static int latest_rate(smx_inspect *in, const smx__job *job, int row, const smx_stat *st,
                       job_stat *js)
{
    memset(js, 0, sizeof *js);
    js->eta = -1;
    uint64_t n = smx__sess_count(in->sess);
    const uint64_t chunk = 65536;
    smx__record *recs = malloc(sizeof *recs * chunk);
    if (!recs)
        return smx__error_oom();
    int rc = SMX_OK;
    for (uint64_t s = 0; s < n && rc == SMX_OK; s += chunk) {
        uint64_t c = n - s < chunk ? n - s : chunk;
        rc = smx__sess_read_records(in->sess, s, c, recs);
        for (uint64_t i = 0; rc == SMX_OK && i < c; i++)
            if ((recs[i].status == 2 || recs[i].status == 3) && recs[i].job == row + 1)
                js->by_job++;
    }
    free(recs);
    double end = job->t_end > 0 ? job->t_end : smx__wall();
    if (end > job->t_start && js->by_job)
        js->rate = (double)js->by_job / (end - job->t_start);
    if (js->rate > 0 && job->t_end <= 0)
        js->eta = (double)(st->pending + st->running) / js->rate;
    return rc;
}

static int status_main(int argc, char **argv)
{
    status_args args = {.failures = 5};
    smx_cli_parsed p;
    int prc = smx_cli_args(&smx_cli_cmd_status, argc, argv, &args, &p);
    if (prc != SMX_CLI_PROCEED)
        return prc;
    const char *path = p.args[0], *session = args.session;
    int json = args.json;
    long nfail = args.failures;
    smx_inspect in;
    int rc = smx_inspect_open(&in, path, session);
    if (rc != SMX_OK)
        return smx_cli_fail(rc);

    smx_stat st;
    smx__job *jobs = calloc(SMX__JOBS_MAX, sizeof *jobs);
    smx__failure *fails = calloc(SMX__FAILURES_MAX, sizeof *fails);
    int64_t meta[SMX__META_LEN] = {0};
    char **names = NULL;
    size_t nsess = 0;
    if (!jobs || !fails)
        rc = smx__error_oom();
    if (rc == SMX_OK)
        rc = smx__mux_stat_path(path, in.session, &st);
    if (rc == SMX_OK)
        rc = smx__sess_jobs(in.sess, jobs);
    if (rc == SMX_OK)
        rc = smx__sess_failures(in.sess, fails);
    if (rc == SMX_OK)
        rc = smx__sess_meta(in.sess, meta);
    if (rc == SMX_OK)
        rc = smx__store_sessions(in.st, &names, &nsess);
    int64_t njobs = rc == SMX_OK ? meta[SMX__META_N_JOBS] : 0;
    int latest = njobs > 0 ? (int)((njobs - 1) % SMX__JOBS_MAX) : -1;
    job_stat js = {0, -1, 0};
    if (rc == SMX_OK && latest >= 0)
        rc = latest_rate(&in, &jobs[latest], latest, &st, &js);
    smx_stat *others = calloc(nsess ? nsess : 1, sizeof *others);
    for (size_t i = 0; rc == SMX_OK && others && i < nsess; i++)
        rc = smx__mux_stat_path(path, names[i], &others[i]);
    if (rc != SMX_OK) {
        free(jobs);
        free(fails);
        free(others);
        smx__strv_free(names);
        smx_inspect_close(&in);
        return smx_cli_fail(rc);
    }

    int64_t nf = meta[SMX__META_N_FAILURES];
    int64_t first_fail = nf > nfail ? nf - nfail : 0;
    if (nf - first_fail > SMX__FAILURES_MAX)
        first_fail = nf - SMX__FAILURES_MAX;
    int64_t first_job = njobs > SMX__JOBS_MAX ? njobs - SMX__JOBS_MAX : 0;
    char t1[32], t2[32];
    if (json) {
        printf("{\"state\": ");
        smx_json_string(stdout, path);
        printf(", \"sweep\": ");
        smx_json_string(stdout, smx__spec_name(in.spec));
        printf(", \"session\": ");
        smx_json_string(stdout, in.session);
        printf(", \"total\": %llu, \"pending\": %llu, \"running\": %llu, \"done\": %llu, "
               "\"failed\": %llu, \"complete\": %s",
               (unsigned long long)st.total, (unsigned long long)st.pending,
               (unsigned long long)st.running, (unsigned long long)st.done,
               (unsigned long long)st.failed, st.done + st.failed == st.total ? "true" : "false");
        printf(", \"rate\": %.6g, \"eta_seconds\": ", js.rate);
        if (js.eta >= 0)
            printf("%.1f", js.eta);
        else
            printf("null");
        printf(", \"sessions\": [");
        for (size_t i = 0; i < nsess; i++) {
            printf("%s{\"name\": ", i ? ", " : "");
            smx_json_string(stdout, names[i]);
            printf(", \"total\": %llu, \"pending\": %llu, \"running\": %llu, \"done\": %llu, "
                   "\"failed\": %llu}",
                   (unsigned long long)others[i].total, (unsigned long long)others[i].pending,
                   (unsigned long long)others[i].running, (unsigned long long)others[i].done,
                   (unsigned long long)others[i].failed);
        }
        printf("], \"jobs\": [");
        for (int64_t k = first_job; k < njobs; k++) {
            smx__job *j = &jobs[k % SMX__JOBS_MAX];
            printf("%s{\"id\": ", k > first_job ? ", " : "");
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
        printf("], \"failures\": [");
        for (int64_t k = first_fail; k < nf; k++) {
            smx__failure *f = &fails[k % SMX__FAILURES_MAX];
            printf("%s{\"index\": %llu, \"attempt\": %d, \"exit_code\": %d, \"signal\": %d, "
                   "\"stderr_tail\": ",
                   k > first_fail ? ", " : "", (unsigned long long)f->index, f->attempt,
                   f->exit_code, f->term_signal);
            smx_json_string(stdout, f->tail);
            printf("}");
        }
        printf("]}\n");
    } else {
        double pct = st.total ? 100.0 * (double)(st.done + st.failed) / (double)st.total : 100;
        printf("%s: sweep '%s', session '%s'\n", path, smx__spec_name(in.spec), in.session);
        printf("  %llu elements: %llu done, %llu failed, %llu running, %llu pending (%.1f%% "
               "finished)%s\n",
               (unsigned long long)st.total, (unsigned long long)st.done,
               (unsigned long long)st.failed, (unsigned long long)st.running,
               (unsigned long long)st.pending, pct,
               st.done + st.failed == st.total ? ", complete" : "");
        if (latest >= 0) {
            printf("  latest job: %llu finished, %.2f/s", (unsigned long long)js.by_job, js.rate);
            if (js.eta >= 0)
                printf(", ETA %.0fs", js.eta);
            printf("\n");
        }
        if (njobs > 0) {
            printf("  jobs:\n");
            for (int64_t k = first_job; k < njobs; k++) {
                smx__job *j = &jobs[k % SMX__JOBS_MAX];
                smx_format_time(j->t_start, t1, sizeof t1);
                smx_format_time(j->t_end, t2, sizeof t2);
                char code[16];
                snprintf(code, sizeof code, "%d", j->exit_code);
                printf("    %-3lld %-16s %-20s %s -> %s  %d ranks  exit %s  %s%s%s\n",
                       (long long)k + 1, j->id, j->host, t1,
                       j->t_end > 0 ? t2 : "(running or died)", j->ranks,
                       j->exit_code >= 0 ? code : "-", j->reason, j->claims[0] ? "  claims " : "",
                       j->claims);
            }
        }
        if (nf > 0) {
            printf("  recent failures (%lld in all):\n", (long long)nf);
            for (int64_t k = first_fail; k < nf; k++) {
                smx__failure *f = &fails[k % SMX__FAILURES_MAX];
                if (f->term_signal)
                    printf("    element %llu attempt %d: killed by signal %d\n",
                           (unsigned long long)f->index, f->attempt, f->term_signal);
                else
                    printf("    element %llu attempt %d: exit %d\n", (unsigned long long)f->index,
                           f->attempt, f->exit_code);
                /* The tail, indented, at most its last 5 lines. */
                const char *t = f->tail + strlen(f->tail);
                int lines = 0;
                while (t > f->tail && lines < 6)
                    if (*--t == '\n')
                        lines++;
                if (*t == '\n')
                    t++;
                while (*t) {
                    const char *e = strchr(t, '\n');
                    int len = e ? (int)(e - t) : (int)strlen(t);
                    if (len)
                        printf("      | %.*s\n", len, t);
                    t += len + (e ? 1 : 0);
                }
            }
        }
        if (nsess > 1) {
            printf("  sessions:\n");
            for (size_t i = 0; i < nsess; i++)
                printf("    %-20s %llu/%llu done, %llu failed\n", names[i],
                       (unsigned long long)others[i].done, (unsigned long long)others[i].total,
                       (unsigned long long)others[i].failed);
        }
    }
    free(jobs);
    free(fails);
    free(others);
    smx__strv_free(names);
    smx_inspect_close(&in);
    return SMX_EXIT_COMPLETE;
}
