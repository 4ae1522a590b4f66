/* The record of accepted spec edits: see spec_log.h. */
#include "state/spec_log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/error.h"
#include "spec/template.h"

#define DSET "spec_changes"

static int h5_fail(const char *what, const char *where)
{
    return smx__error(SMX_EIO, "%s: cannot %s /" DSET, where, what);
}

static hid_t vl_type(void)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    if (t >= 0 && (H5Tset_size(t, H5T_VARIABLE) < 0 || H5Tset_cset(t, H5T_CSET_UTF8) < 0)) {
        H5Tclose(t);
        t = H5I_INVALID_HID;
    }
    return t;
}

static void close_all(hid_t d, hid_t sp, hid_t t)
{
    if (sp >= 0)
        H5Sclose(sp);
    if (d >= 0)
        H5Dclose(d);
    if (t >= 0)
        H5Tclose(t);
}

/* Copies the CNT strings of RAW into OUT[0 .. CNT-1]. */
static int dup_lines(char **raw, hssize_t cnt, char **out)
{
    for (hssize_t i = 0; i < cnt; i++)
        if (!(out[i] = strdup(raw[i] ? raw[i] : "")))
            return smx__error_oom();
    return SMX_OK;
}

/* Reads the dataset's lines into *V (NULL-terminated, malloc'd strings) and their number. */
static int read_lines(hid_t f, const char *where, char ***v, size_t *n)
{
    *v = NULL;
    *n = 0;
    htri_t has = H5Lexists(f, DSET, H5P_DEFAULT);
    if (has < 0)
        return h5_fail("look for", where);
    hid_t d = has ? H5Dopen2(f, DSET, H5P_DEFAULT) : H5I_INVALID_HID;
    hid_t sp = d >= 0 ? H5Dget_space(d) : H5I_INVALID_HID, t = vl_type();
    hssize_t cnt = sp >= 0 ? H5Sget_simple_extent_npoints(sp) : 0;
    if (t < 0 || (has && (d < 0 || sp < 0 || cnt < 0))) {
        close_all(d, sp, t);
        return h5_fail("open", where);
    }
    char **raw = calloc((size_t)cnt + 1, sizeof *raw);
    char **out = calloc((size_t)cnt + 1, sizeof *out);
    int rc = (!raw || !out) ? smx__error_oom() : SMX_OK;
    if (rc == SMX_OK && cnt > 0) {
        if (H5Dread(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw) < 0) {
            rc = h5_fail("read", where);
        } else {
            rc = dup_lines(raw, cnt, out);
            H5Dvlen_reclaim(t, sp, H5P_DEFAULT, raw);
        }
    }
    free(raw);
    close_all(d, sp, t);
    if (rc != SMX_OK) {
        smx__strv_free(out);
        return rc;
    }
    *v = out;
    *n = (size_t)cnt;
    return SMX_OK;
}

int smx__spec_log_read(smx__store *st, char ***lines, size_t *n)
{
    size_t k = 0;
    int rc = read_lines(smx__store_file_id(st), "the state file", lines, &k);
    if (n)
        *n = k;
    return rc;
}

/* "2026-11-29T20:50:00Z job ID on HOST: CHANGES" (malloc'd). */
static char *make_line(const char *job_id, const char *changes)
{
    char when[32], host[256] = "";
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    gethostname(host, sizeof host - 1);
    size_t len = strlen(when) + strlen(job_id) + strlen(host) + strlen(changes) + 32;
    char *line = malloc(len);
    if (line)
        snprintf(line, len, "%s job %s on %s: %s", when, job_id, host, changes);
    return line;
}

/* Creates /spec_changes in F holding the N strings of V. */
static int write_lines(hid_t f, char **v, size_t n)
{
    hsize_t dims[1] = {n};
    hid_t t = vl_type(), sp = H5Screate_simple(1, dims, NULL), d = H5I_INVALID_HID;
    if (t >= 0 && sp >= 0)
        d = H5Dcreate2(f, DSET, t, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    int rc = SMX_OK;
    if (d < 0)
        rc = h5_fail("create", "the new state file");
    else if (H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) < 0)
        rc = h5_fail("write", "the new state file");
    close_all(d, sp, t);
    return rc;
}

int smx__spec_log_write(smx__store *from, smx__store *to, const char *job_id, const char *changes)
{
    char **old = NULL;
    size_t n = 0;
    int rc = SMX_OK;
    if (from)
        rc = read_lines(smx__store_file_id(from), "the state file", &old, &n);
    int add = changes && *changes;
    if (rc != SMX_OK || (n == 0 && !add)) {
        smx__strv_free(old);
        return rc;
    }
    char **all = calloc(n + 2, sizeof *all);
    if (!all) {
        smx__strv_free(old);
        return smx__error_oom();
    }
    for (size_t i = 0; i < n; i++)
        all[i] = old[i];
    if (add && !(all[n] = make_line(job_id && *job_id ? job_id : "?", changes)))
        rc = smx__error_oom();
    if (rc == SMX_OK)
        rc = write_lines(smx__store_file_id(to), all, n + (size_t)add);
    free(all[n]);
    free(all);
    smx__strv_free(old);
    return rc;
}
