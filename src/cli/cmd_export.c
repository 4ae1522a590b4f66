/* sweepmux export: one row per element with its parameters, status, attempts, times and results. */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/result.h"
#include "core/status.h"
#include "cli.h"
#include "core/error.h"
#include "core/value.h"
#include "options.h"
#include "export_spec.h"
#include "render.h"
#include "state/inspect.h"

static const char *const formats[] = {"csv", "json", "spec", NULL};

typedef struct export_args {
    const char *session;
    int status; /* index into smx__status_names (= the stored status), or -1 for all */
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
     .choices = smx__status_names,
     .help = "only the elements in this state"},
    {.name = "format",
     .type = SMX_OPT_ENUM,
     .offset = offsetof(export_args, format),
     .choices = formats,
     .help = "CSV with a header row (default), a JSON array of objects, or a list-sweep spec "
             "of the elements that check and run accept"},
    {0}};

static int export_main(int argc, char **argv);

const smx_cli_command smx_cli_cmd_export = {
    .name = "export",
    .summary = "one row per element as CSV or JSON",
    .synopsis = "RUN.h5 [--session NAME] [--status STATE] [--format csv|json|spec]",
    .description =
        "One row per element: index, each parameter, status, attempts, exit_code, signal, rank,\n"
        "host, job, t_start, t_end (unix seconds), duration, and one column per result name.\n"
        "CSV has a header row; JSON is an array of objects (null where there is no value).\n"
        "--format spec writes the elements (with --status, those in that state) as a sweep of\n"
        "their own: method list, one row of stored parameter values per element, and the\n"
        "original command and settings (sweepmux export RUN.h5 --status failed --format spec\n"
        "> retry.yaml; sweepmux run retry.yaml --state retry.h5).",
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

/* A result: empty (CSV) or null (JSON) when not reported; nan, inf and -inf as reported (quoted
 * in JSON, which has no such numbers). */
static void number(FILE *f, double v, int json)
{
    if (smx__result_is_missing(v)) {
        fputs(json ? "null" : "", f);
        return;
    }
    if (isnan(v) || isinf(v)) {
        const char *t = isnan(v) ? "nan" : v > 0 ? "inf" : "-inf";
        fprintf(f, json ? "\"%s\"" : "%s", t);
        return;
    }
    smx_value x = {SMX_VALUE_FLOAT, {.f = v}};
    char buf[64];
    smx__value_format(&x, buf, sizeof buf);
    fputs(buf, f);
}

/* What every row needs: the open file, the tables rows point into, and a values buffer. */
typedef struct export_ctx {
    smx__inspect *in;
    size_t np;       /* parameters */
    smx_value *vals; /* the parameter values of one slice of elements, element by element */
    char rnames[SMX__RESULT_COLUMNS][SMX__RESULT_NAME_MAX];
    int nres; /* result columns in use */
    char (*hosts)[SMX__HOST_NAME_MAX];
    smx__job *jobs; /* ring of SMX__JOBS_MAX */
    int json;
    uint64_t rows; /* rows written so far */
} export_ctx;

/* Elements read at a time: bounded memory on any session size. */
#define EXPORT_SLICE 16384

static const char *const fixed_columns[] = {"status", "attempts", "exit_code", "signal",
                                            "rank",   "host",     "job",       "t_start",
                                            "t_end",  "duration"};

static int export_open(export_ctx *x, const char *path, const char *session)
{
    int64_t njobs = 0;
    memset(x, 0, sizeof *x);
    int rc = smx__inspect_open(&x->in, path, session);
    if (rc != SMX_OK)
        return rc;
    /* The parameter values are the stored ones, bit for bit: never recomputed from the spec. */
    rc = smx__inspect_nparams(x->in, &x->np);
    if (rc == SMX_OK && !(x->vals = calloc(EXPORT_SLICE * (x->np ? x->np : 1), sizeof *x->vals)))
        rc = smx__error_oom();
    if (rc == SMX_OK)
        rc = smx__inspect_result_names(x->in, x->rnames, &x->nres);
    if (rc == SMX_OK)
        rc = smx__inspect_hosts(x->in, &x->hosts);
    if (rc == SMX_OK)
        rc = smx__inspect_jobs(x->in, &x->jobs, &njobs);
    return rc;
}

static void export_close(export_ctx *x)
{
    free(x->vals);
    free(x->hosts);
    free(x->jobs);
    smx__inspect_close(x->in);
}

static void csv_header(const export_ctx *x)
{
    fputs("index", stdout);
    for (size_t j = 0; j < x->np; j++) {
        fputc(',', stdout);
        csv_field(stdout, smx__inspect_param_name(x->in, j));
    }
    for (size_t k = 0; k < sizeof fixed_columns / sizeof *fixed_columns; k++)
        printf(",%s", fixed_columns[k]);
    for (int k = 0; k < x->nres; k++) {
        fputc(',', stdout);
        csv_field(stdout, x->rnames[k]);
    }
    fputc('\n', stdout);
}

static const char *host_of(const export_ctx *x, const smx__record *r)
{
    return r->host > 0 && r->host <= SMX__HOSTS_MAX ? x->hosts[r->host - 1] : "";
}

static const char *job_of(const export_ctx *x, const smx__record *r)
{
    return r->job > 0 && r->job <= SMX__JOBS_MAX ? x->jobs[r->job - 1].id : "";
}

static int has_run(const smx__record *r)
{
    return smx__status_is_final(r->status);
}

static void json_params(export_ctx *x, const smx_value *vals)
{
    char buf[4096];
    for (size_t j = 0; j < x->np; j++) {
        const smx_value *v = &vals[j];
        printf(", ");
        smx_json_string(stdout, smx__inspect_param_name(x->in, j));
        printf(": ");
        smx__value_format(v, buf, sizeof buf);
        if (v->type == SMX_VALUE_STRING)
            smx_json_string(stdout, buf);
        else if (v->type == SMX_VALUE_FLOAT && (isnan(v->u.f) || isinf(v->u.f)))
            printf("null");
        else
            fputs(buf, stdout);
    }
}

static void json_row(export_ctx *x, uint64_t index, const smx__record *r, const smx_value *vals)
{
    int ran = has_run(r);
    printf("%s\n{\"index\": %llu", x->rows ? "," : "", (unsigned long long)index);
    json_params(x, vals);
    printf(", \"status\": \"%s\", \"attempts\": %u", smx__status_name(r->status), r->attempts);
    if (ran) {
        printf(", \"exit_code\": ");
        if (r->exit_code >= 0 && !r->term_signal)
            printf("%d", r->exit_code);
        else
            printf("null");
        printf(", \"signal\": %d, \"rank\": %d, \"host\": ", r->term_signal, r->rank);
        smx_json_string(stdout, host_of(x, r));
        printf(", \"job\": ");
        smx_json_string(stdout, job_of(x, r));
        printf(", \"t_start\": %.3f, \"t_end\": %.3f, \"duration\": %.3f", r->t_start, r->t_end,
               r->t_end - r->t_start);
    } else {
        printf(", \"exit_code\": null, \"signal\": null, \"rank\": null, \"host\": "
               "null, \"job\": null, \"t_start\": null, \"t_end\": null, "
               "\"duration\": null");
    }
    for (int k = 0; k < x->nres; k++) {
        printf(", ");
        smx_json_string(stdout, x->rnames[k]);
        printf(": ");
        if (ran)
            number(stdout, r->results[k], 1);
        else
            printf("null");
    }
    printf("}");
}

static void csv_row(export_ctx *x, uint64_t index, const smx__record *r, const smx_value *vals)
{
    char buf[4096];
    int ran = has_run(r);
    printf("%llu", (unsigned long long)index);
    for (size_t j = 0; j < x->np; j++) {
        smx__value_format(&vals[j], buf, sizeof buf);
        fputc(',', stdout);
        csv_field(stdout, buf);
    }
    printf(",%s,%u", smx__status_name(r->status), r->attempts);
    if (ran) {
        if (r->exit_code >= 0 && !r->term_signal)
            printf(",%d", r->exit_code);
        else
            printf(",");
        printf(",%d,%d,", r->term_signal, r->rank);
        csv_field(stdout, host_of(x, r));
        fputc(',', stdout);
        csv_field(stdout, job_of(x, r));
        printf(",%.3f,%.3f,%.3f", r->t_start, r->t_end, r->t_end - r->t_start);
    } else {
        printf(",,,,,,,,");
    }
    for (int k = 0; k < x->nres; k++) {
        fputc(',', stdout);
        if (ran)
            number(stdout, r->results[k], 0);
    }
    fputc('\n', stdout);
}

/* Every element in STATUS (-1: all), read in slices so that memory stays bounded. */
static int export_rows(export_ctx *x, int status)
{
    const uint64_t chunk = EXPORT_SLICE;
    uint64_t n = smx__inspect_count(x->in);
    smx__record *recs = malloc(sizeof *recs * chunk);
    if (!recs)
        return smx__error_oom();
    int rc = SMX_OK;
    for (uint64_t s = 0; rc == SMX_OK && s < n; s += chunk) {
        uint64_t c = n - s < chunk ? n - s : chunk;
        rc = smx__inspect_records(x->in, s, c, recs);
        if (rc == SMX_OK)
            rc = smx__inspect_values(x->in, s, c, x->vals);
        for (uint64_t i = 0; rc == SMX_OK && i < c; i++) {
            if (status >= 0 && recs[i].status != status)
                continue;
            if (x->json)
                json_row(x, s + i, &recs[i], x->vals + i * x->np);
            else
                csv_row(x, s + i, &recs[i], x->vals + i * x->np);
            x->rows++;
        }
    }
    free(recs);
    return rc;
}

/* --format spec (export_spec.c). */
static int export_as_spec(const char *path, const char *session, int status)
{
    smx__inspect *in = NULL;
    int rc = smx__inspect_open(&in, path, session);
    if (rc == SMX_OK)
        rc = smx_cli_export_spec(in, status, stdout);
    smx__inspect_close(in);
    if (rc != SMX_OK)
        return smx_cli_fail(rc);
    if (fflush(stdout) != 0) {
        perror("sweepmux export");
        return SMX_EXIT_OTHER;
    }
    return SMX_EXIT_COMPLETE;
}

static int export_main(int argc, char **argv)
{
    export_args args = {.status = -1};
    smx_cli_parsed p;
    int prc = smx_cli_args(&smx_cli_cmd_export, argc, argv, &args, &p);
    if (prc != SMX_CLI_PROCEED)
        return prc;
    if (!strcmp(formats[args.format], "spec"))
        return export_as_spec(p.args[0], args.session, args.status);
    export_ctx x;
    int rc = export_open(&x, p.args[0], args.session);
    x.json = !strcmp(formats[args.format], "json");
    if (rc == SMX_OK && x.json)
        fputs("[", stdout);
    else if (rc == SMX_OK)
        csv_header(&x);
    if (rc == SMX_OK)
        rc = export_rows(&x, args.status);
    if (rc == SMX_OK && x.json)
        fputs("\n]\n", stdout);
    export_close(&x);
    if (rc != SMX_OK)
        return smx_cli_fail(rc);
    if (fflush(stdout) != 0) {
        perror("sweepmux export");
        return SMX_EXIT_OTHER;
    }
    return SMX_EXIT_COMPLETE;
}
