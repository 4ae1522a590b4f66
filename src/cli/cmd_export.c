/* sweepmux export: one row per element with its parameters, status, attempts, times and results. */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "options.h"
#include "core/error.h"
#include "inspect.h"
#include "state/params.h"
#include "core/value.h"

static const char *const status_names[] = {"pending", "running", "done", "failed", NULL};
static const char *const formats[] = {"csv", "json", NULL};

typedef struct export_args {
    const char *session;
    int status; /* index into status_names (= the stored status), or -1 for all */
    int format; /* index into formats */
} export_args;

static const smx_opt export_opts[] = {
    {.name = "session",
     .type = SMX_OPT_STRING,
     .offset = offsetof(export_args, session),
     .metavar = "NAME",
     .help = "the session (default: default, or the only one)"},
    {.name = "status",
     .type = SMX_OPT_ENUM,
     .offset = offsetof(export_args, status),
     .choices = status_names,
     .help = "only the elements in this state"},
    {.name = "format",
     .type = SMX_OPT_ENUM,
     .offset = offsetof(export_args, format),
     .choices = formats,
     .help = "CSV with a header row (default), or a JSON array of objects"},
    {0}};

static int export_main(int argc, char **argv);

const smx_cli_command smx_cli_cmd_export = {
    .name = "export",
    .summary = "one row per element as CSV or JSON",
    .synopsis = "RUN.h5 [--session NAME] [--status STATE] [--format csv|json]",
    .description =
        "One row per element: index, each parameter, status, attempts, exit_code, signal, rank,\n"
        "host, job, t_start, t_end (unix seconds), duration, and one column per result name.\n"
        "CSV has a header row; JSON is an array of objects (null where there is no value).",
    .opts = export_opts,
    .min_args = 1,
    .max_args = 1,
    .args_name = "RUN.h5",
    .fn = export_main,
};

/* A CSV field: quoted when it holds a comma, quote, CR or LF (RFC 4180). */
static void csv_field(FILE *f, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static void number(FILE *f, double v, int json)
{
    if (isnan(v) || isinf(v)) {
        fputs(json ? "null" : "", f);
        return;
    }
    smx_value x = {SMX_VALUE_FLOAT, {.f = v}};
    char buf[64];
    smx__value_format(&x, buf, sizeof buf);
    fputs(buf, f);
}

static int export_main(int argc, char **argv)
{
    export_args args = {.status = -1};
    smx_cli_parsed p;
    int prc = smx_cli_args(&smx_cli_cmd_export, argc, argv, &args, &p);
    if (prc != SMX_CLI_PROCEED)
        return prc;
    const char *path = p.args[0], *session = args.session;
    int want = args.status;
    smx_inspect in;
    int rc = smx_inspect_open(&in, path, session);
    if (rc != SMX_OK)
        return smx_cli_fail(rc);
    int json = !strcmp(formats[args.format], "json");
    char rnames[SMX__RESULTS_MAX][SMX__RESULT_NAME_MAX];
    char(*hosts)[SMX__HOST_NAME_MAX] = calloc(SMX__HOSTS_MAX, SMX__HOST_NAME_MAX);
    smx__job *jobs = calloc(SMX__JOBS_MAX, sizeof *jobs);
    const uint64_t chunk = 16384;
    smx__record *recs = malloc(sizeof *recs * chunk);
    /* The parameter values are the stored ones, bit for bit: never recomputed from the spec. */
    smx__params *pp = NULL;
    rc = smx__store_params(in.st, &pp);
    size_t np = rc == SMX_OK ? smx__params_count(pp) : 0;
    smx_value *vals = calloc(chunk * (np ? np : 1), sizeof *vals);
    if (!hosts || !jobs || !recs || !vals)
        rc = smx__error_oom();
    if (rc == SMX_OK)
        rc = smx__sess_result_names(in.sess, rnames);
    if (rc == SMX_OK)
        rc = smx__sess_hosts(in.sess, hosts);
    if (rc == SMX_OK)
        rc = smx__sess_jobs(in.sess, jobs);
    int nres = 0;
    while (rc == SMX_OK && nres < SMX__RESULTS_MAX && rnames[nres][0])
        nres++;
    const char *fixed[] = {"status", "attempts", "exit_code", "signal", "rank",
                           "host",   "job",      "t_start",   "t_end",  "duration"};
    if (rc == SMX_OK && !json) {
        fputs("index", stdout);
        for (size_t j = 0; j < np; j++) {
            fputc(',', stdout);
            csv_field(stdout, smx__params_name(pp, j));
        }
        for (size_t k = 0; k < sizeof fixed / sizeof *fixed; k++)
            printf(",%s", fixed[k]);
        for (int k = 0; k < nres; k++) {
            fputc(',', stdout);
            csv_field(stdout, rnames[k]);
        }
        fputc('\n', stdout);
    }
    if (rc == SMX_OK && json)
        fputs("[", stdout);
    uint64_t n = rc == SMX_OK ? smx__sess_count(in.sess) : 0, rows = 0;
    char buf[4096];
    for (uint64_t s = 0; rc == SMX_OK && s < n; s += chunk) {
        uint64_t c = n - s < chunk ? n - s : chunk;
        rc = smx__sess_read_records(in.sess, s, c, recs);
        if (rc == SMX_OK && np)
            rc = smx__params_read(pp, s, c, vals);
        for (uint64_t i = 0; rc == SMX_OK && i < c; i++) {
            smx__record *r = &recs[i];
            if (want >= 0 && r->status != want)
                continue;
            uint64_t index = s + i;
            const smx_value *v = vals + i * np;
            int ran = r->status == 2 || r->status == 3;
            const char *host = r->host > 0 && r->host <= SMX__HOSTS_MAX ? hosts[r->host - 1] : "";
            const char *job = r->job > 0 && r->job <= SMX__JOBS_MAX ? jobs[r->job - 1].id : "";
            if (json) {
                printf("%s\n{\"index\": %llu", rows ? "," : "", (unsigned long long)index);
                for (size_t j = 0; j < np; j++) {
                    printf(", ");
                    smx_json_string(stdout, smx__params_name(pp, j));
                    printf(": ");
                    smx__value_format(&v[j], buf, sizeof buf);
                    if (v[j].type == SMX_VALUE_STRING)
                        smx_json_string(stdout, buf);
                    else if (v[j].type == SMX_VALUE_FLOAT && (isnan(v[j].u.f) || isinf(v[j].u.f)))
                        printf("null");
                    else
                        fputs(buf, stdout);
                }
                printf(", \"status\": \"%s\", \"attempts\": %u", smx_status_name(r->status),
                       r->attempts);
                if (ran) {
                    printf(", \"exit_code\": ");
                    if (r->exit_code >= 0 && !r->term_signal)
                        printf("%d", r->exit_code);
                    else
                        printf("null");
                    printf(", \"signal\": %d, \"rank\": %d, \"host\": ", r->term_signal, r->rank);
                    smx_json_string(stdout, host);
                    printf(", \"job\": ");
                    smx_json_string(stdout, job);
                    printf(", \"t_start\": %.3f, \"t_end\": %.3f, \"duration\": %.3f", r->t_start,
                           r->t_end, r->t_end - r->t_start);
                } else {
                    printf(", \"exit_code\": null, \"signal\": null, \"rank\": null, \"host\": "
                           "null, \"job\": null, \"t_start\": null, \"t_end\": null, "
                           "\"duration\": null");
                }
                for (int k = 0; k < nres; k++) {
                    printf(", ");
                    smx_json_string(stdout, rnames[k]);
                    printf(": ");
                    if (ran)
                        number(stdout, r->results[k], 1);
                    else
                        printf("null");
                }
                printf("}");
            } else {
                printf("%llu", (unsigned long long)index);
                for (size_t j = 0; j < np; j++) {
                    smx__value_format(&v[j], buf, sizeof buf);
                    fputc(',', stdout);
                    csv_field(stdout, buf);
                }
                printf(",%s,%u", smx_status_name(r->status), r->attempts);
                if (ran) {
                    if (r->exit_code >= 0 && !r->term_signal)
                        printf(",%d", r->exit_code);
                    else
                        printf(",");
                    printf(",%d,%d,", r->term_signal, r->rank);
                    csv_field(stdout, host);
                    fputc(',', stdout);
                    csv_field(stdout, job);
                    printf(",%.3f,%.3f,%.3f", r->t_start, r->t_end, r->t_end - r->t_start);
                } else {
                    printf(",,,,,,,,");
                }
                for (int k = 0; k < nres; k++) {
                    fputc(',', stdout);
                    if (ran)
                        number(stdout, r->results[k], 0);
                }
                fputc('\n', stdout);
            }
            rows++;
        }
    }
    if (rc == SMX_OK && json)
        fputs("\n]\n", stdout);
    free(hosts);
    free(jobs);
    free(recs);
    free(vals);
    smx__params_close(pp);
    smx_inspect_close(&in);
    if (rc != SMX_OK)
        return smx_cli_fail(rc);
    if (fflush(stdout) != 0) {
        perror("sweepmux export");
        return SMX_EXIT_OTHER;
    }
    return SMX_EXIT_COMPLETE;
}
