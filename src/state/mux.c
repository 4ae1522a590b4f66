/*
 * Multiplexers (sweepmux/mux.h): creating a sweep's state file, its sessions, reading counts,
 * destroying. Structural changes go through store.c's write-new-file-and-rename path, under the
 * state file's lock so they never race a run.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"
#include "state/h5quiet.h"
#include "state/lock.h"
#include "state/mux_internal.h"
#include "spec/spec.h"
#include "state/store.h"
#include "sweepmux/mux.h"
#include "spec/template.h"
#include "core/value.h"

struct smx_mux {
    char *path;
    smx_spec *spec;
};

/* Bytes of a differing line shown, and how many of them come before its first difference. */
enum { DIFF_SHOWN = 80, DIFF_BEFORE = 30 };

/*
 * Where line P (LEN bytes) first differs from the most alike line of OTHER: the longest prefix
 * it shares with any of them. A changed line is found in the other text as its old version.
 */
static size_t first_difference(const char *p, size_t len, const char *other)
{
    size_t best = 0;
    for (const char *q = other; *q;) {
        const char *qe = strchr(q, '\n');
        size_t ql = qe ? (size_t)(qe - q) : strlen(q), k = 0;
        while (k < len && k < ql && p[k] == q[k])
            k++;
        if (k > best)
            best = k;
        q = qe ? qe + 1 : q + ql;
    }
    return best;
}

/* 1 if OTHER has a line equal to P (LEN bytes). */
static int has_line(const char *p, size_t len, const char *other)
{
    for (const char *q = other; *q;) {
        const char *qe = strchr(q, '\n');
        size_t ql = qe ? (size_t)(qe - q) : strlen(q);
        if (ql == len && !memcmp(p, q, len))
            return 1;
        q = qe ? qe + 1 : q + ql;
    }
    return 0;
}

/*
 * A readable account of how two spec texts differ: the lines only one of them has. A long line is
 * shown around its first difference (A3-10: cut at a fixed column, a change beyond it was
 * invisible), with "..." where it is cut.
 */
static void spec_diff(const char *old_text, const char *new_text, char *out, size_t cap)
{
    size_t used = 0;
    out[0] = '\0';
    const char *texts[2] = {old_text, new_text};
    const char signs[2] = {'-', '+'};
    for (int side = 0; side < 2; side++) {
        const char *p = texts[side], *other = texts[1 - side];
        int lineno = 1;
        while (*p && used + 2 * DIFF_SHOWN < cap) {
            const char *eol = strchr(p, '\n');
            size_t len = eol ? (size_t)(eol - p) : strlen(p);
            if (len && !has_line(p, len, other)) {
                size_t at = first_difference(p, len, other), from = 0;
                if (len > DIFF_SHOWN && at > DIFF_BEFORE)
                    from =
                        at - DIFF_BEFORE < len - DIFF_SHOWN ? at - DIFF_BEFORE : len - DIFF_SHOWN;
                size_t shown = len - from > DIFF_SHOWN ? DIFF_SHOWN : len - from;
                used += (size_t)snprintf(out + used, cap - used, "\n  %c line %d: %s%.*s%s",
                                         signs[side], lineno, from ? "..." : "", (int)shown,
                                         p + from, from + shown < len ? "..." : "");
            }
            p = eol ? eol + 1 : p + len;
            lineno++;
        }
    }
}

/* SMX_EINPUT naming FIELD (and the differing lines) for a given SPEC that means another sweep. */
static int refuse_changed(const char *state_path, const char *text, const smx_spec *spec,
                          const char *field)
{
    char diff[2048];
    spec_diff(text, smx__spec_text(spec, NULL), diff, sizeof diff);
    return smx__error(SMX_EINPUT,
                      "the spec differs from the one stored in %s in what its elements are or "
                      "how they run (%s); lines - stored, + given:%s\n"
                      "Run without a spec to resume with the stored one, use another state "
                      "file for a new sweep, or --extend if the new spec only adds elements",
                      state_path, field, diff);
}

/* The stored spec ST holds (TEXT) against SPEC, whose text differs: by meaning. */
static int compare_meaning(smx__store *st, const char *state_path, const char *text, smx_spec *spec,
                           char *changes, size_t cap)
{
    smx_spec *old = NULL;
    char field[2200];
    int rc = smx__mux_stored_spec(st, state_path, &old);
    int differ = rc == SMX_OK ? smx__spec_elements_diff(old, spec, field, sizeof field) : rc;
    if (differ > 0)
        rc = refuse_changed(state_path, text, spec, field);
    else if (differ < 0)
        rc = differ;
    else if (changes)
        smx__spec_settings_diff(old, spec, changes, cap);
    smx__spec_free(old);
    return rc;
}

int smx__mux_check_spec(const char *state_path, smx_spec *spec, char *changes, size_t cap)
{
    if (changes && cap)
        changes[0] = '\0';
    smx__store *st = NULL;
    int rc = smx__store_open(&st, state_path, SMX__STORE_READ);
    if (rc != SMX_OK)
        return rc;
    char *text = NULL, hash[65], *csv = NULL;
    size_t len = 0, csv_len = 0, nruns = 0;
    uint64_t *runs = NULL;
    rc = smx__store_spec(st, &text, &len, hash);
    if (rc == SMX_OK)
        rc = smx__store_inputs(st, &csv, &csv_len, &runs, &nruns);
    /* Another text may still be the same sweep: comments, layout and settings are not changes. */
    if (rc == SMX_OK && strcmp(hash, smx__spec_hash(spec)) != 0)
        rc = compare_meaning(st, state_path, text, spec, changes, cap);
    smx__store_close(st);
    free(runs);
    /* The same spec text with other CSV rows is another sweep too: the stored rows win. */
    size_t new_len = 0;
    const char *csv_path = NULL, *new_csv = smx__spec_csv(spec, &new_len, &csv_path);
    if (rc == SMX_OK && csv && new_csv && (new_len != csv_len || memcmp(csv, new_csv, csv_len)))
        rc = smx__error(SMX_EINPUT,
                        "the rows in %s differ from the ones stored in %s when the sweep was "
                        "created. Run without a spec (sweepmux run --state %s) to go on with the "
                        "stored rows, or --extend if the file only adds rows",
                        csv_path, state_path, state_path);
    free(csv);
    free(text);
    return rc;
}

static int file_exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0;
}

static int mux_new(smx_mux **out, const char *state_path, smx_spec *spec)
{
    smx_mux *m = calloc(1, sizeof *m);
    if (!m || !(m->path = strdup(state_path))) {
        free(m);
        smx__spec_free(spec);
        return smx__error_oom();
    }
    m->spec = spec;
    *out = m;
    return SMX_OK;
}

/* Creates (or opens, if it holds the same spec) STATE_PATH for SPEC; takes ownership of SPEC. */
static int create_with(smx_mux **out, const char *state_path, smx_spec *spec)
{
    *out = NULL;
    int rc;
    if (file_exists(state_path)) {
        /* A library caller's changed settings apply to its own handle only; the file keeps its
         * spec. */
        rc = smx__mux_check_spec(state_path, spec, NULL, 0);
    } else {
        char *cwd = getcwd(NULL, 0);
        rc = cwd ? smx__store_create_sweep(state_path, spec, NULL, 0, NULL, cwd)
                 : smx__error(SMX_EIO, "cannot get the current directory: %s", strerror(errno));
        free(cwd);
    }
    if (rc != SMX_OK) {
        smx__spec_free(spec);
        return rc;
    }
    return mux_new(out, state_path, spec);
}

static int mux_create_file(smx_mux **out, const char *state_path, const char *spec_path)
{
    if (!out || !state_path || !spec_path)
        return smx__error(SMX_EUSAGE, "smx_mux_create_file: NULL argument");
    smx_spec *spec = NULL;
    int rc = smx__spec_load(&spec, spec_path);
    return rc == SMX_OK ? create_with(out, state_path, spec) : rc;
}

int smx_mux_create_file(smx_mux **out, const char *state_path, const char *spec_path)
{
    SMX__H5_RESTORED(mux_create_file(out, state_path, spec_path));
}

static int mux_create_string(smx_mux **out, const char *state_path, const char *spec_yaml)
{
    if (!out || !state_path || !spec_yaml)
        return smx__error(SMX_EUSAGE, "smx_mux_create_string: NULL argument");
    smx_spec *spec = NULL;
    int rc = smx__spec_parse(&spec, spec_yaml, strlen(spec_yaml), "<string>", NULL);
    return rc == SMX_OK ? create_with(out, state_path, spec) : rc;
}

int smx_mux_create_string(smx_mux **out, const char *state_path, const char *spec_yaml)
{
    SMX__H5_RESTORED(mux_create_string(out, state_path, spec_yaml));
}

/* Appends S to the growing buffer as a YAML double-quoted scalar. */
static int yaml_quoted(char **buf, size_t *len, size_t *cap, const char *s)
{
    size_t need = *len + 4 * strlen(s) + 8;
    if (need > *cap) {
        size_t c = *cap ? *cap : 4096;
        while (c < need)
            c *= 2;
        char *b = realloc(*buf, c);
        if (!b)
            return smx__error_oom();
        *buf = b;
        *cap = c;
    }
    char *p = *buf + *len;
    *p++ = '"';
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') {
            *p++ = '\\';
            *p++ = (char)ch;
        } else if (ch < 0x20) {
            p += sprintf(p, "\\x%02x", ch);
        } else {
            *p++ = (char)ch;
        }
    }
    *p++ = '"';
    *p = '\0';
    *len = (size_t)(p - *buf);
    return SMX_OK;
}

static int append(char **buf, size_t *len, size_t *cap, const char *s)
{
    size_t n = strlen(s);
    if (*len + n + 1 > *cap) {
        size_t c = *cap ? *cap : 4096;
        while (c < *len + n + 1)
            c *= 2;
        char *b = realloc(*buf, c);
        if (!b)
            return smx__error_oom();
        *buf = b;
        *cap = c;
    }
    memcpy(*buf + *len, s, n + 1);
    *len += n;
    return SMX_OK;
}

static int mux_create_elements(smx_mux **out, const char *state_path, const char *name,
                               size_t nparams, const char *const *param_names, size_t nelements,
                               const smx_value *values)
{
    if (!out || !state_path || (nparams && !param_names) || (nelements && nparams && !values))
        return smx__error(SMX_EUSAGE, "smx_mux_create_elements: NULL argument");
    if (nparams == 0 || nelements == 0)
        return smx__error(SMX_EINPUT, "smx_mux_create_elements: need at least one parameter and "
                                      "one element");
    /* The elements become a `method: list` spec, so the state file describes itself. */
    char *buf = NULL, num[64];
    size_t len = 0, cap = 0;
    int rc = append(&buf, &len, &cap, "name: ");
    if (rc == SMX_OK)
        rc = yaml_quoted(&buf, &len, &cap, name ? name : "elements");
    /* The rows' keys name the parameters, in the order of the first row. */
    if (rc == SMX_OK)
        rc = append(&buf, &len, &cap, "\nmethod: list\nrows:\n");
    for (size_t i = 0; rc == SMX_OK && i < nelements; i++) {
        rc = append(&buf, &len, &cap, "  - {");
        for (size_t j = 0; rc == SMX_OK && j < nparams; j++) {
            const smx_value *v = &values[i * nparams + j];
            if (j)
                rc = append(&buf, &len, &cap, ", ");
            if (rc == SMX_OK)
                rc = yaml_quoted(&buf, &len, &cap, param_names[j]);
            if (rc == SMX_OK)
                rc = append(&buf, &len, &cap, ": ");
            if (rc != SMX_OK)
                break;
            if (v->type == SMX_VALUE_STRING) {
                rc = yaml_quoted(&buf, &len, &cap, v->u.s ? v->u.s : "");
            } else {
                smx__value_format(v, num, sizeof num);
                rc = append(&buf, &len, &cap, num);
            }
        }
        if (rc == SMX_OK)
            rc = append(&buf, &len, &cap, "}\n");
    }
    if (rc == SMX_OK)
        rc = smx_mux_create_string(out, state_path, buf);
    free(buf);
    return rc;
}

int smx_mux_create_elements(smx_mux **out, const char *state_path, const char *name, size_t nparams,
                            const char *const *param_names, size_t nelements,
                            const smx_value *values)
{
    SMX__H5_RESTORED(
        mux_create_elements(out, state_path, name, nparams, param_names, nelements, values));
}

int smx__mux_stored_spec(smx__store *st, const char *state_path, smx_spec **out)
{
    char *text = NULL, hash[65];
    size_t len = 0;
    *out = NULL;
    int rc = smx__store_spec(st, &text, &len, hash);
    free(text);
    if (rc == SMX_OK) {
        rc = smx__store_load_spec(st, out);
        /* The file's own text, not the user's input: a spec that does not parse is damage. The
         * message already says so (smx__spec_from_stored); only the code changes. */
        if (rc != SMX_OK && rc != SMX_EIO && rc != SMX_ENOMEM) {
            char msg[1024];
            snprintf(msg, sizeof msg, "%s", smx_error_last());
            rc = smx__error(SMX_EIO, "%s", msg);
        }
    }
    if (rc == SMX_OK && strcmp(smx__spec_hash(*out), hash) != 0)
        rc = smx__error(SMX_EIO,
                        "%s: the stored spec does not match its stored sha256 (%.12s... "
                        "stored, %.12s... computed): the file was edited or is damaged",
                        state_path, hash, smx__spec_hash(*out));
    if (rc != SMX_OK) {
        smx__spec_free(*out);
        *out = NULL;
    }
    return rc;
}

static int mux_open(smx_mux **out, const char *state_path)
{
    if (!out || !state_path)
        return smx__error(SMX_EUSAGE, "smx_mux_open: NULL argument");
    *out = NULL;
    smx__store *st = NULL;
    int rc = smx__store_open(&st, state_path, SMX__STORE_READ);
    if (rc != SMX_OK)
        return rc;
    smx_spec *spec = NULL;
    rc = smx__mux_stored_spec(st, state_path, &spec);
    smx__store_close(st);
    return rc == SMX_OK ? mux_new(out, state_path, spec) : rc;
}

int smx_mux_open(smx_mux **out, const char *state_path)
{
    SMX__H5_RESTORED(mux_open(out, state_path));
}

void smx_mux_free(smx_mux *m)
{
    if (!m)
        return;
    smx__spec_free(m->spec);
    free(m->path);
    free(m);
}

smx_spec *smx__mux_spec(smx_mux *m)
{
    return m->spec;
}

uint64_t smx_mux_count(const smx_mux *m)
{
    return m ? smx__spec_count(m->spec) : 0;
}

static int has_session(const char *path, const char *name, int *has)
{
    smx__store *st = NULL;
    char **names = NULL;
    size_t n = 0;
    *has = 0;
    int rc = smx__store_open(&st, path, SMX__STORE_READ);
    if (rc == SMX_OK)
        rc = smx__store_sessions(st, &names, &n);
    for (size_t i = 0; rc == SMX_OK && i < n; i++)
        if (!strcmp(names[i], name))
            *has = 1;
    smx__strv_free(names);
    smx__store_close(st);
    return rc;
}

int smx__mux_ensure_session(const char *path, const char *name, uint64_t n, const char *command)
{
    int has = 0;
    int rc = has_session(path, name, &has);
    if (rc != SMX_OK || has)
        return rc;
    rc = smx__store_check_session_name(name);
    if (rc != SMX_OK)
        return rc;
    /* Adding a session rewrites the file: only while no run holds it. */
    smx__lock *lock = NULL;
    rc = smx__lock_acquire(&lock, path, SMX__LOCK_STALE_SECONDS);
    if (rc != SMX_OK)
        return rc;
    rc = has_session(path, name, &has);
    if (rc == SMX_OK && !has)
        rc = smx__store_add_session(path, name, n, command);
    smx__lock_release(lock);
    return rc;
}

static int mux_session_create(smx_mux *m, const char *name, char **id)
{
    if (!m || !id)
        return smx__error(SMX_EUSAGE, "smx_mux_session_create: NULL argument");
    const char *nm = name && *name ? name : "default";
    int rc = smx__mux_ensure_session(m->path, nm, smx__spec_count(m->spec), NULL);
    if (rc != SMX_OK)
        return rc;
    size_t len = strlen(m->path) + strlen(nm) + 2;
    *id = malloc(len);
    if (!*id)
        return smx__error_oom();
    snprintf(*id, len, "%s#%s", m->path, nm);
    return SMX_OK;
}

int smx_mux_session_create(smx_mux *m, const char *name, char **id)
{
    SMX__H5_RESTORED(mux_session_create(m, name, id));
}

static int mux_sessions(smx_mux *m, char ***names, size_t *n)
{
    if (!m || !names || !n)
        return smx__error(SMX_EUSAGE, "smx_mux_sessions: NULL argument");
    smx__store *st = NULL;
    int rc = smx__store_open(&st, m->path, SMX__STORE_READ);
    if (rc == SMX_OK)
        rc = smx__store_sessions(st, names, n);
    smx__store_close(st);
    return rc;
}

int smx_mux_sessions(smx_mux *m, char ***names, size_t *n)
{
    SMX__H5_RESTORED(mux_sessions(m, names, n));
}

int smx__mux_stat_path(const char *path, const char *name, smx_stat *out)
{
    memset(out, 0, sizeof *out);
    smx__store *st = NULL;
    smx__records *sess = NULL;
    uint8_t *status = NULL;
    uint16_t *attempts = NULL;
    int rc = smx__store_open(&st, path, SMX__STORE_READ);
    if (rc == SMX_OK)
        rc = smx__records_open(st, name && *name ? name : "default", &sess);
    if (rc == SMX_OK) {
        uint64_t n = smx__records_count(sess);
        status = malloc(n ? n : 1);
        attempts = malloc(sizeof(uint16_t) * (n ? n : 1));
        if (!status || !attempts)
            rc = smx__error_oom();
        if (rc == SMX_OK)
            rc = smx__records_read_state(sess, status, attempts);
        out->total = n;
        for (uint64_t i = 0; rc == SMX_OK && i < n; i++) {
            switch (status[i]) {
            case SMX_STATUS_RUNNING:
                out->running++;
                break;
            case SMX_STATUS_DONE:
                out->done++;
                break;
            case SMX_STATUS_FAILED:
                out->failed++;
                break;
            default:
                out->pending++;
                break;
            }
        }
    }
    free(status);
    free(attempts);
    smx__store_close(st);
    return rc;
}

static int mux_stat(smx_mux *m, const char *name, smx_stat *out)
{
    if (!m || !out)
        return smx__error(SMX_EUSAGE, "smx_mux_stat: NULL argument");
    return smx__mux_stat_path(m->path, name, out);
}

int smx_mux_stat(smx_mux *m, const char *name, smx_stat *out)
{
    SMX__H5_RESTORED(mux_stat(m, name, out));
}

int smx_mux_done(smx_mux *m, const char *name)
{
    smx_stat st;
    if (smx_mux_stat(m, name, &st) != SMX_OK)
        return 0;
    return st.done + st.failed == st.total;
}

int smx__mux_check_sound(const char *path, const char *name)
{
    smx__store *st = NULL;
    smx_spec *spec = NULL;
    char **names = NULL;
    size_t n = 0;
    int rc = smx__store_open(&st, path, SMX__STORE_READ);
    if (rc == SMX_OK)
        rc = smx__mux_stored_spec(st, path, &spec);
    if (rc == SMX_OK)
        rc = smx__store_sessions(st, &names, &n);
    for (size_t i = 0; rc == SMX_OK && i < n; i++) {
        if (name && strcmp(names[i], name) != 0)
            continue;
        smx__records *s = NULL;
        int64_t meta[SMX__META_LEN];
        rc = smx__records_open(st, names[i], &s);
        if (rc == SMX_OK)
            rc = smx__records_meta(s, meta);
    }
    smx__strv_free(names);
    smx__spec_free(spec);
    smx__store_close(st);
    return rc;
}

int smx__mux_destroy_path(const char *path, const char *name)
{
    smx__lock *lock = NULL;
    int rc = smx__lock_acquire(&lock, path, SMX__LOCK_STALE_SECONDS);
    if (rc != SMX_OK)
        return rc;
    /* A damaged or foreign file is left as it is (remove it with rm if it must go). */
    rc = smx__mux_check_sound(path, name);
    if (rc == SMX_OK && name)
        rc = smx__store_destroy_session(path, name);
    else if (rc == SMX_OK && unlink(path) != 0)
        rc = smx__error(SMX_EIO, "cannot remove %s: %s", path, strerror(errno));
    smx__lock_release(lock);
    return rc;
}

static int mux_destroy(smx_mux *m, const char *name)
{
    if (!m)
        return smx__error(SMX_EUSAGE, "smx_mux_destroy: NULL handle");
    return smx__mux_destroy_path(m->path, name);
}

int smx_mux_destroy(smx_mux *m, const char *name)
{
    SMX__H5_RESTORED(mux_destroy(m, name));
}
