/*
 * List sweeps: rows written inline in the spec or read from a CSV file (relative to the spec's
 * directory, or as captured in a state file). Columns become the first parameters.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/value.h"
#include "spec/nodes.h"
#include "spec/parameters.h"
#include "spec/rows.h"
#include "spec/spec_impl.h"
#include "spec/textfile.h"
#include "spec/yaml_tree.h"

/* ------------------------------------------------------------------------------------------ */
/* Lists: inline rows and CSV files */

static smx__param *find_param(smx_spec *s, const char *name)
{
    for (size_t i = 0; i < s->nparams; i++)
        if (!strcmp(s->params[i].name, name))
            return &s->params[i];
    return NULL;
}

/* Sets up the row columns as the first parameters (in the order of the first row or header). */
static int add_columns(ctx *c, const char *const *names, const int *lines, const int *cols,
                       size_t n, const char *file)
{
    smx_spec *s = c->spec;
    size_t nconst = s->nparams;
    for (size_t i = 0; i < n; i++) {
        smx__param *dup = find_param(s, names[i]);
        if (dup)
            return smx__error(SMX_EINPUT,
                              "%s:%d:%d: column '%s' is also declared in 'parameters' (line %d); "
                              "give each parameter once",
                              file, lines[i], cols[i], names[i], dup->line);
        smx__param *p = smx__sp_param_add(c, names[i], lines[i], cols[i]);
        if (!p)
            return smx__error_oom();
        p->kind = SMX__P_ROW;
        p->column = i;
    }
    /* Rows first, constants after: rotate the constants to the end. */
    smx__param *tmp = malloc(s->nparams * sizeof *tmp);
    if (!tmp)
        return smx__error_oom();
    memcpy(tmp, s->params + nconst, n * sizeof *tmp);
    memcpy(tmp + n, s->params, nconst * sizeof *tmp);
    memcpy(s->params, tmp, s->nparams * sizeof *tmp);
    free(tmp);
    s->ncols = n;
    return 0;
}

/* The header of a list: names and where each was written. */
typedef struct colnames {
    const char **names;
    int *lines, *cols;
} colnames;

static int colnames_alloc(colnames *h, size_t n)
{
    h->names = malloc(n * sizeof *h->names);
    h->lines = malloc(n * sizeof *h->lines);
    h->cols = malloc(n * sizeof *h->cols);
    return h->names && h->lines && h->cols ? 0 : smx__error_oom();
}

static void colnames_free(colnames *h)
{
    free(h->names);
    free(h->lines);
    free(h->cols);
}

/* Every row a mapping whose keys are plain, distinct scalars. */
static int check_inline_rows(ctx *c, const ynode *rows)
{
    int rc;
    if (rows->nkids == 0)
        return smx__sp_fail(c, rows, "'rows' is empty; expected at least one row");
    for (size_t r = 0; r < rows->nkids; r++) {
        const ynode *row = rows->kids[r];
        if (row->type != Y_MAP)
            return smx__sp_fail(c, row,
                                "row %zu is %s; expected a mapping such as {lr: 0.1, depth: 4}",
                                r + 1, smx__sp_node_desc(row));
        char where[64];
        snprintf(where, sizeof where, "row %zu", r + 1);
        if ((rc = smx__sp_check_map(c, row, where, "key")))
            return rc;
    }
    if (rows->kids[0]->nkids == 0)
        return smx__sp_fail(c, rows->kids[0],
                            "row 1 is empty; expected parameter names and values");
    return 0;
}

/* Row 1's keys, in their order, are the columns. */
static int inline_columns(ctx *c, const ynode *first, size_t n)
{
    colnames h;
    int rc = colnames_alloc(&h, n);
    for (size_t i = 0; i < n && !rc; i++) {
        const ynode *k = first->kids[2 * i];
        h.names[i] = k->str;
        h.lines[i] = k->line;
        h.cols[i] = k->col;
        rc = smx__sp_check_param_name(c, k);
    }
    if (!rc)
        rc = add_columns(c, h.names, h.lines, h.cols, n, c->file);
    colnames_free(&h);
    return rc;
}

/* Row R's values into the rows table; every row has exactly row 1's keys. */
static int inline_row_values(ctx *c, const ynode *row, size_t r, size_t n)
{
    smx_spec *s = c->spec;
    int rc;
    for (size_t j = 0; j + 1 < row->nkids; j += 2) {
        const ynode *k = row->kids[j];
        smx__param *p = find_param(s, k->str);
        if (!p || p->kind != SMX__P_ROW)
            return smx__sp_fail(c, k,
                                "row %zu has key '%s' that row 1 does not have; every row "
                                "needs the same keys as row 1",
                                r + 1, k->str);
        char what[SMX__SP_MAX_NAME + 64];
        snprintf(what, sizeof what, "'%s' in row %zu", k->str, r + 1);
        if ((rc = smx__sp_get_value(c, row->kids[j + 1], what, &s->rows[r * n + p->column])))
            return rc;
    }
    if (row->nkids / 2 != n)
        for (size_t i = 0; i < n; i++)
            if (!smx__sp_map_get(row, s->params[i].name))
                return smx__sp_fail(c, row,
                                    "row %zu has no value for '%s'; every row needs the same "
                                    "keys as row 1",
                                    r + 1, s->params[i].name);
    return 0;
}

/* One type per inline column; a mix of ints and floats becomes floats. */
static int unify_inline_column(ctx *c, const ynode *rows, size_t i, size_t n)
{
    smx_spec *s = c->spec;
    size_t nrows = rows->nkids;
    smx_value_type t = s->rows[i].type;
    for (size_t r = 1; r < nrows; r++) {
        smx_value_type u = s->rows[r * n + i].type;
        if (smx__value_type_join(&t, u) == 0)
            continue;
        return smx__sp_fail(c, smx__sp_map_get(rows->kids[r], s->params[i].name),
                            "'%s' in row %zu is %s but in row 1 it is %s; give a column one "
                            "type (quote the values to make strings)",
                            s->params[i].name, r + 1, smx__sp_type_name(u),
                            smx__sp_type_name(s->rows[i].type));
    }
    s->params[i].type = t;
    if (t == SMX_VALUE_FLOAT)
        for (size_t r = 0; r < nrows; r++) {
            smx_value *v = &s->rows[r * n + i];
            if (v->type == SMX_VALUE_INT) {
                v->type = SMX_VALUE_FLOAT;
                v->u.f = (double)v->u.i;
            }
        }
    return 0;
}

int smx__sp_parse_inline_rows(ctx *c, const ynode *rows)
{
    smx_spec *s = c->spec;
    int rc;
    if ((rc = check_inline_rows(c, rows)))
        return rc;
    size_t n = rows->kids[0]->nkids / 2;
    if ((rc = inline_columns(c, rows->kids[0], n)))
        return rc;
    s->rows = calloc(rows->nkids * n, sizeof *s->rows);
    if (!s->rows)
        return smx__error_oom();
    s->count = rows->nkids;
    for (size_t r = 0; r < rows->nkids; r++)
        if ((rc = inline_row_values(c, rows->kids[r], r, n)))
            return rc;
    for (size_t i = 0; i < n; i++)
        if ((rc = unify_inline_column(c, rows, i, n)))
            return rc;
    return 0;
}

/* The CSV file's path (relative to the spec's directory) and its text: the copy captured in a
 * state file if there is one, since the file on disk may have changed or be elsewhere. */
static int csv_source(ctx *c, const ynode *f, char **path, char **text, size_t *len)
{
    int rc;
    if (f->str[0] == '/' || !c->basedir || !c->basedir[0])
        *path = strdup(f->str);
    else if (asprintf(path, "%s/%s", c->basedir, f->str) < 0)
        *path = NULL;
    if (!*path)
        return smx__error_oom();
    if (c->csv_text) {
        if (!(*text = malloc(c->csv_len + 1)))
            return smx__error_oom();
        memcpy(*text, c->csv_text, c->csv_len);
        (*text)[c->csv_len] = '\0';
        *len = c->csv_len;
        return 0;
    }
    if ((rc = smx__sp_read_file(*path, *path, text, len)))
        /* Name the spec's line too, so the user sees which reference is broken. */
        smx__error_prefix(rc, "%s:%d:%d: cannot read the rows' CSV file", c->file, f->line, f->col);
    return rc;
}

/* The header row: valid, distinct parameter names. */
static int csv_columns(ctx *c, const char *path, const cell *cells, size_t n)
{
    colnames h;
    int rc = colnames_alloc(&h, n);
    for (size_t i = 0; i < n && !rc; i++) {
        h.names[i] = cells[i].text;
        h.lines[i] = cells[i].line;
        h.cols[i] = cells[i].col;
        if (!smx__sp_valid_name(h.names[i]) || !strcmp(h.names[i], "index"))
            rc = smx__error(SMX_EINPUT,
                            "%s:%d:%d: invalid column name '%s'; expected a parameter name (a "
                            "letter or '_' then letters, digits, '_', '.', '-'; not 'index')",
                            path, h.lines[i], h.cols[i], h.names[i]);
        for (size_t j = 0; j < i && !rc; j++)
            if (!strcmp(h.names[i], h.names[j]))
                rc = smx__error(SMX_EINPUT,
                                "%s:%d:%d: duplicate column '%s'; each parameter "
                                "may appear once",
                                path, h.lines[i], h.cols[i], h.names[i]);
    }
    if (!rc)
        rc = add_columns(c, h.names, h.lines, h.cols, n, path);
    colnames_free(&h);
    return rc;
}

/* Every data row has one non-empty (or quoted) value per column. */
static int csv_check_rows(ctx *c, const char *path, const cell *cells, const size_t *rowlen,
                          size_t nrows, size_t n)
{
    size_t at = n;
    for (size_t r = 1; r < nrows; r++, at += n) {
        if (rowlen[r] != n)
            return smx__error(SMX_EINPUT,
                              "%s:%d:1: this row has %zu fields but the header has %zu; "
                              "every row needs one value per column",
                              path, cells[at].line, rowlen[r], n);
        for (size_t j = 0; j < n; j++) {
            const cell *ce = &cells[at + j];
            if (!ce->quoted && !ce->text[0])
                return smx__error(SMX_EINPUT,
                                  "%s:%d:%d: empty value for '%s'; every row needs a value (write "
                                  "\"\" for an empty string)",
                                  path, ce->line, ce->col, c->spec->params[j].name);
        }
    }
    return 0;
}

/* Column-wise inference: a column is integer if every unquoted cell is, else float if every
 * cell is a number, else boolean, else string (then every cell keeps its text). */
static int csv_type_column(ctx *c, const cell *cells, size_t ndata, size_t n, size_t j)
{
    smx_spec *s = c->spec;
    int all_int = 1, all_num = 1, all_bool = 1;
    for (size_t r = 0; r < ndata; r++) {
        const cell *ce = &cells[(r + 1) * n + j];
        ynode tmp = {.type = Y_SCALAR, .str = ce->text, .quoted = ce->quoted};
        smx_value v;
        enum skind k = smx__sp_classify(&tmp, &v);
        all_int &= k == K_INT;
        all_num &= (k == K_INT || (k == K_FLOAT && isfinite(v.u.f)));
        all_bool &= k == K_BOOL;
    }
    smx_value_type t = all_int    ? SMX_VALUE_INT
                       : all_num  ? SMX_VALUE_FLOAT
                       : all_bool ? SMX_VALUE_BOOL
                                  : SMX_VALUE_STRING;
    s->params[j].type = t;
    for (size_t r = 0; r < ndata; r++) {
        const cell *ce = &cells[(r + 1) * n + j];
        ynode tmp = {.type = Y_SCALAR, .str = ce->text, .quoted = ce->quoted};
        smx_value *v = &s->rows[r * n + j];
        if (t == SMX_VALUE_STRING) {
            v->type = SMX_VALUE_STRING;
            if (!(v->u.s = smx__sp_keep(c, ce->text)))
                return smx__error_oom();
            continue;
        }
        smx__sp_classify(&tmp, v);
        if (t == SMX_VALUE_FLOAT && v->type == SMX_VALUE_INT) {
            v->type = SMX_VALUE_FLOAT;
            v->u.f = (double)v->u.i;
        }
    }
    return 0;
}

/* The rows of a split CSV text: header, checks, then typed values column by column. */
static int csv_table(ctx *c, const char *path, const cell *cells, const size_t *rowlen,
                     size_t nrows)
{
    smx_spec *s = c->spec;
    int rc;
    if (nrows < 2)
        return smx__error(SMX_EINPUT,
                          "%s:1:1: the CSV file has %s; expected a header row of parameter names "
                          "and at least one row of values",
                          path, nrows ? "only a header" : "no rows");
    size_t n = rowlen[0], ndata = nrows - 1;
    if ((rc = csv_columns(c, path, cells, n)))
        return rc;
    if (!(s->rows = calloc(ndata * n, sizeof *s->rows)))
        return smx__error_oom();
    s->count = ndata;
    if ((rc = csv_check_rows(c, path, cells, rowlen, nrows, n)))
        return rc;
    for (size_t j = 0; j < n; j++)
        if ((rc = csv_type_column(c, cells, ndata, n, j)))
            return rc;
    return 0;
}

int smx__sp_parse_csv_rows(ctx *c, const ynode *m)
{
    smx_spec *s = c->spec;
    int rc;
    static const char *const keys[] = {"csv", NULL};
    if ((rc = smx__sp_check_map(c, m, "'rows'", "key")) ||
        (rc = smx__sp_check_keys(c, m, "'rows'", keys)))
        return rc;
    const ynode *f = smx__sp_map_get(m, "csv");
    if (!f)
        return smx__sp_fail(c, m,
                            "'rows' is a mapping without 'csv'; expected {csv: FILE} or a list of "
                            "rows");
    if ((rc = smx__sp_get_text(c, f, "'csv'", 0)))
        return rc;
    char *path = NULL, *text = NULL;
    size_t len = 0, ncells = 0, *rowlen = NULL, nrows = 0;
    cell *cells = NULL;
    if (!(rc = csv_source(c, f, &path, &text, &len)) &&
        !(rc = smx__sp_utf8_check(path, text, len)) &&
        !(rc = smx__sp_csv_split(path, text, len, &cells, &ncells, &rowlen, &nrows)))
        rc = csv_table(c, path, cells, rowlen, nrows);
    if (!rc) {
        /* Keep the text and where it was read from: a state file stores both, so that every later
         * run, status and export sees these rows and not whatever the file holds by then. */
        s->csv_text = text;
        s->csv_len = len;
        s->csv_path = path;
        text = NULL;
        path = NULL;
    }
    smx__sp_cells_free(cells, ncells);
    free(rowlen);
    free(text);
    free(path);
    return rc;
}
