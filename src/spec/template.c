/*
 * Templates: `{name}`, `{index}`, `{{` and `}}`. A template is compiled once when the spec is
 * parsed (so an unknown placeholder is reported with its line and column) into literal pieces and
 * placeholders, and rendered per element without parsing again.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "spec/spec_impl.h"
#include "spec/template.h"
#include "core/value.h"

/* Where a template error is: LINE/COL advanced over the text before the offending character. */
SMX__PRINTF(4, 5)
static int tfail(const smx__where *w, const char *text, size_t at, const char *fmt, ...)
{
    int line = w->line, col = w->col;
    for (size_t i = 0; i < at; i++) {
        unsigned char ch = (unsigned char)text[i];
        if (ch == '\n') {
            line++;
            col = 1;
        } else if ((ch & 0xC0) != 0x80) {
            col++; /* columns count characters, not bytes, as libyaml's marks do */
        }
    }
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (w->file)
        return smx__error(SMX_EINPUT, "%s:%d:%d: %s", w->file, line, col, msg);
    return smx__error(SMX_EINPUT, "command-line argument %d, column %d: %s", w->argn, col, msg);
}

static int seg_add(smx__tmpl *t, char *lit, int param)
{
    smx__seg *s = realloc(t->segs, (t->nsegs + 1) * sizeof *s);
    if (!s) {
        free(lit);
        return smx__error_oom();
    }
    t->segs = s;
    s[t->nsegs].lit = lit;
    s[t->nsegs].param = param;
    t->nsegs++;
    return 0;
}

void smx__template_clear(smx__tmpl *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->nsegs; i++)
        free(t->segs[i].lit);
    free(t->segs);
    free(t->src);
    memset(t, 0, sizeof *t);
}

int smx__template_compile(const smx__param *params, size_t nparams, const char *text,
                          const smx__where *where, smx__tmpl *out)
{
    size_t len = strlen(text);
    memset(out, 0, sizeof *out);
    char *buf = malloc(len + 1);
    if (!buf || !(out->src = strdup(text))) {
        free(buf);
        return smx__error_oom();
    }
    size_t bl = 0;
    int rc = 0;
    for (size_t i = 0; i < len && !rc;) {
        char ch = text[i];
        if (ch == '}') {
            if (text[i + 1] == '}') {
                buf[bl++] = '}';
                i += 2;
                continue;
            }
            rc = tfail(where, text, i, "a single '}'; write '}}' for a literal brace");
            break;
        }
        if (ch != '{') {
            buf[bl++] = ch;
            i++;
            continue;
        }
        if (text[i + 1] == '{') {
            buf[bl++] = '{';
            i += 2;
            continue;
        }
        const char *close = strchr(text + i + 1, '}');
        const char *open = strchr(text + i + 1, '{');
        if (!close || (open && open < close)) {
            rc = tfail(where, text, i,
                       "unterminated placeholder '{'; close it with '}' or write '{{' for a "
                       "literal brace");
            break;
        }
        size_t nlen = (size_t)(close - (text + i + 1));
        char name[160];
        snprintf(name, sizeof name, "%.*s", (int)(nlen < 150 ? nlen : 150), text + i + 1);
        int param;
        if (!strcmp(name, "index")) {
            param = -1;
        } else if (nlen >= 150 || (param = smx__param_find(params, nparams, name)) < 0) {
            char known[512];
            size_t off = 0;
            known[0] = '\0';
            for (size_t p = 0; p < nparams && off < sizeof known; p++)
                off += (size_t)snprintf(known + off, sizeof known - off, "{%s}, ", params[p].name);
            rc = tfail(where, text, i,
                       "unknown placeholder '{%s}'; expected one of %s{index} (write '{{' and "
                       "'}}' for literal braces)",
                       name, known);
            break;
        }
        if (bl) {
            buf[bl] = '\0';
            char *lit = strdup(buf);
            if (!lit || (rc = seg_add(out, lit, 0)))
                rc = rc ? rc : smx__error_oom();
            bl = 0;
        }
        if (!rc)
            rc = seg_add(out, NULL, param);
        i += nlen + 2;
    }
    if (!rc && bl) {
        buf[bl] = '\0';
        char *lit = strdup(buf);
        rc = lit ? seg_add(out, lit, 0) : smx__error_oom();
    }
    free(buf);
    if (rc)
        smx__template_clear(out);
    return rc;
}

/* ------------------------------------------------------------------------------------------ */
/* Rendering */

typedef struct sbuf {
    char *p;
    size_t n, cap;
    int oom;
} sbuf;

static void sb_add(sbuf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->n + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

static void sb_str(sbuf *b, const char *s)
{
    sb_add(b, s, strlen(s));
}

enum how { RAW, SHELL, PATHPART };

/* Single quotes make everything literal in sh except the single quote itself ('\''). A value that
 * needs no quoting is left bare so that the script stays readable. */
static void shell_quote(sbuf *b, const char *s)
{
    if (*s &&
        strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_@%+=:,./-") ==
            strlen(s)) {
        sb_str(b, s);
        return;
    }
    sb_add(b, "'", 1);
    for (; *s; s++) {
        if (*s == '\'')
            sb_add(b, "'\\''", 4);
        else
            sb_add(b, s, 1);
    }
    sb_add(b, "'", 1);
}

static void path_part(sbuf *b, const char *s)
{
    if (!*s) {
        sb_add(b, "_", 1);
        return;
    }
    for (size_t i = 0; s[i]; i++) {
        char c = s[i];
        int ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                 c == '.' || c == '_' || c == '+' || c == '-';
        if (i == 0 && c == '.')
            ok = 0; /* no hidden names, no "." or ".." */
        sb_add(b, ok ? &c : "_", 1);
    }
}

static void render(sbuf *b, const smx__tmpl *t, uint64_t index, const smx_value *vals, enum how how)
{
    for (size_t i = 0; i < t->nsegs; i++) {
        const smx__seg *s = &t->segs[i];
        if (s->lit) {
            sb_str(b, s->lit);
            continue;
        }
        char small[64];
        const char *text = small;
        if (s->param < 0) {
            snprintf(small, sizeof small, "%" PRIu64, index);
        } else if (vals[s->param].type == SMX_VALUE_STRING) {
            text = vals[s->param].u.s ? vals[s->param].u.s : "";
        } else {
            smx__value_format(&vals[s->param], small, sizeof small);
        }
        if (how == SHELL)
            shell_quote(b, text);
        else if (how == PATHPART)
            path_part(b, text);
        else
            sb_str(b, text);
    }
}

static char *render_str(const smx__tmpl *t, uint64_t index, const smx_value *vals, enum how how)
{
    sbuf b = {0};
    sb_add(&b, "", 0);
    render(&b, t, index, vals, how);
    if (b.oom) {
        free(b.p);
        return NULL;
    }
    return b.p;
}

void smx__strv_free(char **v)
{
    if (!v)
        return;
    for (size_t i = 0; v[i]; i++)
        free(v[i]);
    free(v);
}

int smx__template_argv(const smx_spec *spec, uint64_t index, const smx_value *vals, char ***argv)
{
    if (!spec || !argv || (!vals && spec->nparams))
        return smx__error(SMX_EUSAGE, "smx__template_argv: NULL argument");
    *argv = NULL;
    if (!spec->has_command)
        return smx__error(SMX_EINPUT,
                          "%s: the spec has no 'command'; give one in the spec or "
                          "after '--'",
                          spec->filename);
    size_t n = spec->shell ? 3 : spec->ncommand;
    char **v = calloc(n + 1, sizeof *v);
    if (!v)
        return smx__error_oom();
    if (spec->shell) {
        /* The literal text of the template is shell syntax written by the user; only the
         * substituted values are quoted. */
        sbuf b = {0};
        sb_add(&b, "", 0);
        for (size_t i = 0; i < spec->ncommand; i++) {
            if (i)
                sb_add(&b, " ", 1);
            render(&b, &spec->command[i], index, vals, SHELL);
        }
        v[0] = strdup("/bin/sh");
        v[1] = strdup("-c");
        v[2] = b.oom ? NULL : b.p;
        if (b.oom)
            free(b.p);
    } else {
        for (size_t i = 0; i < n; i++)
            v[i] = render_str(&spec->command[i], index, vals, RAW);
    }
    for (size_t i = 0; i < n; i++)
        if (!v[i]) {
            for (size_t j = 0; j < n; j++)
                free(v[j]);
            free(v);
            return smx__error_oom();
        }
    *argv = v;
    return 0;
}

int smx__template_env(const smx_spec *spec, uint64_t index, const smx_value *vals, char ***env)
{
    if (!spec || !env)
        return smx__error(SMX_EUSAGE, "smx__template_env: NULL argument");
    *env = NULL;
    char **v = calloc(spec->nenv + 1, sizeof *v);
    if (!v)
        return smx__error_oom();
    for (size_t i = 0; i < spec->nenv; i++) {
        sbuf b = {0};
        sb_str(&b, spec->env[i].name);
        sb_add(&b, "=", 1);
        render(&b, &spec->env[i].value, index, vals, RAW);
        if (b.oom) {
            free(b.p);
            smx__strv_free(v);
            return smx__error_oom();
        }
        v[i] = b.p;
    }
    *env = v;
    return 0;
}

int smx__template_workdir(const smx_spec *spec, uint64_t index, const smx_value *vals, char **dir)
{
    if (!spec || !dir)
        return smx__error(SMX_EUSAGE, "smx__template_workdir: NULL argument");
    *dir = NULL;
    if (!spec->has_workdir)
        return 0;
    if (!(*dir = render_str(&spec->workdir, index, vals, PATHPART)))
        return smx__error_oom();
    return 0;
}
