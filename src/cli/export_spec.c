/* sweepmux export --format spec: the elements in one state as a list sweep of their own (see
 * export_spec.h). The stored spec's settings (command, shell, env, workdir, timeout, retries,
 * description) are copied as they were written, found with libyaml's marks, so comments, quoting
 * and templates survive; the parameters become rows with the stored values. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "core/status.h"
#include "cli.h"
#include "core/error.h"
#include "core/value.h"
#include "export_spec.h"
#include "render.h"
#include "spec/spec.h"

#define SLICE 4096

/* Top-level keys that describe the elements: replaced by `method: list` and the rows. */
static int element_key(const char *k)
{
    static const char *const keys[] = {"name",  "method", "parameters", "zip",
                                       "count", "seed",   "rows",       NULL};
    for (int i = 0; keys[i]; i++)
        if (!strcmp(k, keys[i]))
            return 1;
    return 0;
}

/* The byte offset in the UTF-8 TEXT of character INDEX: libyaml's marks count characters. */
static size_t byte_offset(const char *text, size_t len, size_t index)
{
    size_t b = 0;
    for (size_t c = 0; b < len; b++)
        if (((unsigned char)text[b] & 0xC0) != 0x80 && c++ == index)
            break;
    return b;
}

/* Writes the entry of the spec TEXT (LEN bytes) from character START to character END, without
 * its trailing blank space. */
static void copy_entry(const char *text, size_t len, size_t start, size_t end, FILE *out)
{
    start = byte_offset(text, len, start);
    end = byte_offset(text, len, end);
    while (end > start && strchr(" \t\r\n", text[end - 1]))
        end--;
    fprintf(out, "%.*s\n", (int)(end - start), text + start);
}

/* Writes the top-level entries of the spec TEXT that are settings, verbatim, to OUT. */
static int copy_settings(const char *text, size_t len, FILE *out)
{
    yaml_parser_t p;
    yaml_event_t ev;
    if (!yaml_parser_initialize(&p))
        return smx__error_oom();
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    /* DEPTH 1 is inside the root mapping, where events alternate between key and value. */
    int rc = SMX_OK, depth = 0, expect_key = 0, keep = 0, done = 0;
    size_t start = 0;
    while (!done && rc == SMX_OK) {
        if (!yaml_parser_parse(&p, &ev)) {
            rc = smx__error(SMX_EFORMAT, "the stored spec does not parse: %s", p.problem);
            break;
        }
        switch (ev.type) {
        case YAML_SCALAR_EVENT:
        case YAML_ALIAS_EVENT:
            if (depth == 1 && expect_key && ev.type == YAML_SCALAR_EVENT) {
                keep = !element_key((const char *)ev.data.scalar.value);
                start = ev.start_mark.index;
                expect_key = 0;
            } else if (depth == 1) {
                if (keep)
                    copy_entry(text, len, start, ev.end_mark.index, out);
                expect_key = 1;
            }
            break;
        case YAML_MAPPING_START_EVENT:
        case YAML_SEQUENCE_START_EVENT:
            if (depth++ == 0)
                expect_key = 1;
            break;
        case YAML_MAPPING_END_EVENT:
        case YAML_SEQUENCE_END_EVENT:
            if (--depth == 1) { /* a collection value ended */
                if (keep)
                    copy_entry(text, len, start, ev.end_mark.index, out);
                expect_key = 1;
            }
            break;
        case YAML_STREAM_END_EVENT:
            done = 1;
            break;
        default:
            break;
        }
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&p);
    return rc;
}

/* S as a double-quoted YAML string. */
static void quoted(FILE *out, const char *s)
{
    fputc('"', out);
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (*c == '"' || *c == '\\')
            fprintf(out, "\\%c", *c);
        else if (*c < 0x20)
            fprintf(out, "\\x%02x", *c);
        else
            fputc(*c, out);
    }
    fputc('"', out);
}

/* V as a YAML scalar that reads back as the same type and value. */
static void yaml_value(FILE *out, const smx_value *v)
{
    char buf[512];
    smx__value_format(v, buf, sizeof buf);
    if (v->type == SMX_VALUE_STRING) {
        quoted(out, v->u.s);
    } else if (v->type == SMX_VALUE_FLOAT && !strpbrk(buf, ".eEni")) {
        fprintf(out, "%s.0", buf); /* 1 would read back as an integer */
    } else {
        fputs(buf, out);
    }
}

/* A parameter name as a YAML key: plain when it is a simple word, else double-quoted. */
static void yaml_key(FILE *out, const char *k)
{
    if (k[strspn(k, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")] || !*k ||
        strchr("-0123456789", k[0]))
        quoted(out, k);
    else
        fputs(k, out);
}

int smx_cli_export_spec(smx__inspect *in, int status, FILE *out)
{
    const char *what = status >= 0 ? smx__status_name(status) : "all";
    const smx_spec *spec = smx__inspect_spec(in);
    size_t np = 0, len = 0;
    int rc = smx__inspect_nparams(in, &np);
    uint64_t n = smx__inspect_count(in), rows = 0;
    smx__record *recs = malloc(sizeof *recs * SLICE);
    smx_value *vals = malloc(sizeof *vals * SLICE * (np ? np : 1));
    if (rc == SMX_OK && (!recs || !vals))
        rc = smx__error_oom();
    /* Count first, so an empty selection writes nothing at all. */
    for (uint64_t s = 0; rc == SMX_OK && s < n; s += SLICE) {
        uint64_t c = n - s < SLICE ? n - s : SLICE;
        rc = smx__inspect_records(in, s, c, recs);
        for (uint64_t i = 0; rc == SMX_OK && i < c; i++)
            rows += status < 0 || recs[i].status == status;
    }
    if (rc == SMX_OK && rows == 0)
        rc = smx__error(SMX_EINPUT, "%s: no element of session '%s' is %s: no spec to write",
                        smx__inspect_path(in), smx__inspect_session(in), what);
    if (rc == SMX_OK) {
        fprintf(out,
                "# sweepmux export --format spec: the %llu %s elements of session '%s' of %s\n"
                "# (sweep '%s', %llu elements) as a list sweep; the comments give their indices "
                "there.\n",
                (unsigned long long)rows, what, smx__inspect_session(in), smx__inspect_path(in),
                smx__spec_name(spec), (unsigned long long)n);
        fprintf(out, "name: ");
        char name[256];
        snprintf(name, sizeof name, "%s-%s", smx__spec_name(spec), what);
        quoted(out, name);
        fputc('\n', out);
        const char *text = smx__spec_text(spec, &len);
        rc = copy_settings(text, len, out);
    }
    if (rc == SMX_OK)
        fprintf(out, "method: list\nrows:\n");
    for (uint64_t s = 0; rc == SMX_OK && s < n; s += SLICE) {
        uint64_t c = n - s < SLICE ? n - s : SLICE;
        rc = smx__inspect_records(in, s, c, recs);
        if (rc == SMX_OK)
            rc = smx__inspect_values(in, s, c, vals);
        for (uint64_t i = 0; rc == SMX_OK && i < c; i++) {
            if (status >= 0 && recs[i].status != status)
                continue;
            fprintf(out, "  - {");
            for (size_t j = 0; j < np; j++) {
                fprintf(out, "%s", j ? ", " : "");
                yaml_key(out, smx__inspect_param_name(in, j));
                fprintf(out, ": ");
                yaml_value(out, &vals[i * np + j]);
            }
            fprintf(out, "}  # element %llu\n", (unsigned long long)(s + i));
        }
    }
    free(recs);
    free(vals);
    return rc;
}
