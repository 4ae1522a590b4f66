/*
 * The state store: one HDF5 file per sweep (layout and durability approach in store.h and
 * README.md, "The state file").
 *
 * Two kinds of change happen to a state file, and they are made safe in two different ways:
 *
 * - Structural changes (creating the file, adding or destroying a session) change HDF5 metadata.
 *   They never touch the live file: PATH is copied (sparse-preserving) to PATH.tmp-<pid>, the copy
 *   is changed with HDF5, closed, fsynced and renamed over PATH, and the directory is fsynced. A
 *   kill at any instant leaves either the old or the new file at PATH.
 * - During a run only raw data of datasets that were created at full size (contiguous, space
 *   allocated early) is overwritten in place, followed by smx__store_sync (H5Fflush + fsync).
 *   No HDF5 metadata changes, so a kill leaves a file that opens; every record written before the
 *   last completed sync is on disk.
 *
 * Per-element columns are created with H5D_FILL_TIME_NEVER, so creating a session writes nothing
 * to them: their space is a hole of a sparse file and reads as zeros. Zero therefore means
 * "pending / none" in every column.
 */
#include "state/store.h"

#include <errno.h>
#include <fcntl.h>
#include <hdf5.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "core/result.h"
#include "core/error.h"
#include "core/fsutil.h"
#include "core/status.h"
#include "state/params.h"
#include "sweepmux/common.h"

#define FORMAT_NAME "sweepmux"
#define SPEC_HASH_LEN 64
#define JOB_ID_LEN 32
#define JOB_REASON_LEN 64
#define JOB_CLAIMS_LEN 8

/* The per-element columns, in the order of smx__record. */
enum col {
    C_STATUS,
    C_ATTEMPTS,
    C_RANK,
    C_EXIT,
    C_SIGNAL,
    C_HOST,
    C_JOB,
    C_TSTART,
    C_TEND,
    C_RESULTS,
    NCOL
};

/* The per-session small tables. */
enum tab { T_RESULT_NAMES, T_HOSTS, T_JOBS, T_FAILURES, T_META, NTAB };

static const char *const col_names[NCOL] = {"status", "attempts", "rank", "exit_code",
                                            "signal", "host",     "job",  "t_start",
                                            "t_end",  "results"};
static const char *const tab_names[NTAB] = {"result_names", "hosts", "jobs", "failures", "meta"};
/* Rows of each table (result_names: of a new session; an older one has its rcols). */
static const hsize_t tab_rows[NTAB] = {SMX__RESULT_COLUMNS, SMX__HOSTS_MAX, SMX__JOBS_MAX,
                                       SMX__FAILURES_MAX, SMX__META_LEN};

struct smx__records {
    smx__store *st;
    char *name;
    uint64_t n;
    double created;
    char *command;
    int marks_missing; /* attribute result_missing: only that NaN means "not reported" */
    int rcols;         /* result columns: SMX__RESULT_COLUMNS, or 16 in a format-2 session */
    int rnamed;        /* result columns with a name, from column 0 up */
    int rwidth;        /* result columns rows_io and pack_field move (see result_width) */
    hid_t col[NCOL];
    hid_t tab[NTAB];
};

struct smx__store {
    hid_t file;
    char *path;
    smx__store_mode mode;
    int fd; /* the sec2 driver's descriptor, for fsync */
    smx__records **sess;
    size_t nsess;
};

/* ---------------------------------------------------------------------------------------------
 * HDF5 helpers: error messages, types
 * ------------------------------------------------------------------------------------------- */

static void h5_quiet(void)
{
    /* The default error stack is per thread in a thread-safe build, so set it on every entry. */
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

static herr_t walk_cb(unsigned n, const H5E_error2_t *e, void *data)
{
    char *buf = data;
    if (n == 0 && e->desc && e->desc[0])
        snprintf(buf, 256, "%s", e->desc);
    return 0;
}

/*
 * Records CODE with the formatted message followed by the innermost message of the HDF5 error
 * stack. Must be called right after the failing HDF5 call: the next API call clears the stack.
 */
static int SMX__PRINTF(2, 3) h5_error(int code, const char *fmt, ...)
{
    char msg[1024];
    char h5[256] = "";
    va_list ap;
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, walk_cb, h5);
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (h5[0])
        return smx__error(code, "%s (HDF5: %s)", msg, h5);
    return smx__error(code, "%s", msg);
}

#define SMX_H5(expr, ...)                                                                          \
    do {                                                                                           \
        if ((expr) < 0) {                                                                          \
            rc = h5_error(SMX_EIO, __VA_ARGS__);                                                   \
            goto done;                                                                             \
        }                                                                                          \
    } while (0)

#define CHECK(expr)                                                                                \
    do {                                                                                           \
        if ((rc = (expr)) != 0)                                                                    \
            goto done;                                                                             \
    } while (0)

static void close_id(hid_t *id)
{
    if (*id >= 0) {
        H5Idec_ref(*id);
        *id = H5I_INVALID_HID;
    }
}

/*
 * Closes the file *F and forgets it whatever the outcome: HDF5 1.10 leaves the identifier of a
 * file whose close failed (a write error at the final flush) half destroyed, and closing it again
 * crashes (seen with a failing disk under tests/fault).
 */
static herr_t close_file(hid_t *f)
{
    herr_t r = H5Fclose(*f);
    *f = H5I_INVALID_HID;
    return r;
}

/* A fixed-length, zero-padded string type of SIZE bytes (at least 1). */
static hid_t str_type(size_t size)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    if (t < 0)
        return t;
    if (H5Tset_size(t, size ? size : 1) < 0 || H5Tset_strpad(t, H5T_STR_NULLPAD) < 0 ||
        H5Tset_cset(t, H5T_CSET_UTF8) < 0) {
        H5Tclose(t);
        return H5I_INVALID_HID;
    }
    return t;
}

/* The status enum (over one unsigned byte, so h5py reads plain integers). */
static hid_t status_type(void)
{
    hid_t t = H5Tenum_create(H5T_STD_U8LE);
    if (t < 0)
        return t;
    for (uint8_t v = 0; v < SMX__STATUS_COUNT; v++) {
        if (H5Tenum_insert(t, smx__status_name(v), &v) < 0) {
            H5Tclose(t);
            return H5I_INVALID_HID;
        }
    }
    return t;
}

/* Compound types of the jobs and failures tables: FILE is packed little-endian, else native. */
static hid_t job_type(int file)
{
    hid_t t = H5I_INVALID_HID, s_id = H5I_INVALID_HID, s_host = H5I_INVALID_HID,
          s_reason = H5I_INVALID_HID, s_claims = H5I_INVALID_HID;
    size_t sz =
        file ? JOB_ID_LEN + SMX__HOST_NAME_MAX + 8 + 8 + 4 + 4 + JOB_REASON_LEN + JOB_CLAIMS_LEN
             : sizeof(smx__job);
    hid_t f64 = file ? H5T_IEEE_F64LE : H5T_NATIVE_DOUBLE;
    hid_t i32 = file ? H5T_STD_I32LE : H5T_NATIVE_INT32;
    s_id = str_type(JOB_ID_LEN);
    s_host = str_type(SMX__HOST_NAME_MAX);
    s_reason = str_type(JOB_REASON_LEN);
    s_claims = str_type(JOB_CLAIMS_LEN);
    t = H5Tcreate(H5T_COMPOUND, sz);
    if (s_id < 0 || s_host < 0 || s_reason < 0 || s_claims < 0 || t < 0)
        goto fail;
    size_t o[8];
    if (file) {
        o[0] = 0;
        o[1] = o[0] + JOB_ID_LEN;
        o[2] = o[1] + SMX__HOST_NAME_MAX;
        o[3] = o[2] + 8;
        o[4] = o[3] + 8;
        o[5] = o[4] + 4;
        o[6] = o[5] + 4;
        o[7] = o[6] + JOB_REASON_LEN;
    } else {
        o[0] = offsetof(smx__job, id);
        o[1] = offsetof(smx__job, host);
        o[2] = offsetof(smx__job, t_start);
        o[3] = offsetof(smx__job, t_end);
        o[4] = offsetof(smx__job, ranks);
        o[5] = offsetof(smx__job, exit_code);
        o[6] = offsetof(smx__job, reason);
        o[7] = offsetof(smx__job, claims);
    }
    if (H5Tinsert(t, "id", o[0], s_id) < 0 || H5Tinsert(t, "host", o[1], s_host) < 0 ||
        H5Tinsert(t, "t_start", o[2], f64) < 0 || H5Tinsert(t, "t_end", o[3], f64) < 0 ||
        H5Tinsert(t, "ranks", o[4], i32) < 0 || H5Tinsert(t, "exit_code", o[5], i32) < 0 ||
        H5Tinsert(t, "reason", o[6], s_reason) < 0 || H5Tinsert(t, "claims", o[7], s_claims) < 0)
        goto fail;
    H5Tclose(s_id);
    H5Tclose(s_host);
    H5Tclose(s_reason);
    H5Tclose(s_claims);
    return t;
fail:
    close_id(&s_id);
    close_id(&s_host);
    close_id(&s_reason);
    close_id(&s_claims);
    close_id(&t);
    return H5I_INVALID_HID;
}

static hid_t failure_type(int file)
{
    hid_t t = H5I_INVALID_HID, s_tail = str_type(SMX__TAIL_MAX);
    size_t sz = file ? 8 + 4 + 4 + 4 + 8 + SMX__TAIL_MAX : sizeof(smx__failure);
    hid_t f64 = file ? H5T_IEEE_F64LE : H5T_NATIVE_DOUBLE;
    hid_t i32 = file ? H5T_STD_I32LE : H5T_NATIVE_INT32;
    hid_t u64 = file ? H5T_STD_U64LE : H5T_NATIVE_UINT64;
    t = H5Tcreate(H5T_COMPOUND, sz);
    if (s_tail < 0 || t < 0)
        goto fail;
    size_t o[6];
    if (file) {
        o[0] = 0;
        o[1] = 8;
        o[2] = 12;
        o[3] = 16;
        o[4] = 20;
        o[5] = 28;
    } else {
        o[0] = offsetof(smx__failure, index);
        o[1] = offsetof(smx__failure, attempt);
        o[2] = offsetof(smx__failure, exit_code);
        o[3] = offsetof(smx__failure, term_signal);
        o[4] = offsetof(smx__failure, t_end);
        o[5] = offsetof(smx__failure, tail);
    }
    if (H5Tinsert(t, "index", o[0], u64) < 0 || H5Tinsert(t, "attempt", o[1], i32) < 0 ||
        H5Tinsert(t, "exit_code", o[2], i32) < 0 || H5Tinsert(t, "signal", o[3], i32) < 0 ||
        H5Tinsert(t, "t_end", o[4], f64) < 0 || H5Tinsert(t, "tail", o[5], s_tail) < 0)
        goto fail;
    H5Tclose(s_tail);
    return t;
fail:
    close_id(&s_tail);
    close_id(&t);
    return H5I_INVALID_HID;
}

/* File (on-disk) and memory types of a column or table. The caller closes both. */
static int col_types(int c, hid_t *ftype, hid_t *mtype)
{
    hid_t f, m;
    switch (c) {
    case C_STATUS:
        f = status_type();
        m = status_type();
        break;
    case C_ATTEMPTS:
    case C_HOST:
    case C_JOB:
        f = H5Tcopy(H5T_STD_U16LE);
        m = H5Tcopy(H5T_NATIVE_UINT16);
        break;
    case C_RANK:
    case C_EXIT:
    case C_SIGNAL:
        f = H5Tcopy(H5T_STD_I32LE);
        m = H5Tcopy(H5T_NATIVE_INT32);
        break;
    default:
        f = H5Tcopy(H5T_IEEE_F64LE);
        m = H5Tcopy(H5T_NATIVE_DOUBLE);
        break;
    }
    *ftype = f;
    *mtype = m;
    return (f < 0 || m < 0) ? -1 : 0;
}

static int tab_types(int t, hid_t *ftype, hid_t *mtype)
{
    switch (t) {
    case T_RESULT_NAMES:
        *ftype = str_type(SMX__RESULT_NAME_MAX);
        *mtype = str_type(SMX__RESULT_NAME_MAX);
        break;
    case T_HOSTS:
        *ftype = str_type(SMX__HOST_NAME_MAX);
        *mtype = str_type(SMX__HOST_NAME_MAX);
        break;
    case T_JOBS:
        *ftype = job_type(1);
        *mtype = job_type(0);
        break;
    case T_FAILURES:
        *ftype = failure_type(1);
        *mtype = failure_type(0);
        break;
    default:
        *ftype = H5Tcopy(H5T_STD_I64LE);
        *mtype = H5Tcopy(H5T_NATIVE_INT64);
        break;
    }
    return (*ftype < 0 || *mtype < 0) ? -1 : 0;
}

/* Bytes of one row of column C as rows_io moves it (results: S's current width). */
static size_t col_size(const smx__records *s, int c)
{
    switch (c) {
    case C_STATUS:
        return 1;
    case C_ATTEMPTS:
    case C_HOST:
    case C_JOB:
        return 2;
    case C_RANK:
    case C_EXIT:
    case C_SIGNAL:
        return 4;
    case C_RESULTS:
        return 8 * (size_t)s->rwidth;
    default:
        return 8;
    }
}

/*
 * The result columns a transfer of rows covers: the first NAMED rounded up to a block of 16 (at
 * least one block), the width of one chunk of a chunked results dataset, so that a session whose
 * tasks report few names never touches (and never allocates on disk) the chunks of the columns it
 * does not use: up to 16 names cost what a format-2 session's 16 contiguous columns cost.
 */
static int result_width(const smx__records *s, int named)
{
    int w = named <= 16 ? 16 : (named + 15) / 16 * 16;
    return w > s->rcols ? s->rcols : w;
}

static size_t tab_row_size(int t)
{
    switch (t) {
    case T_RESULT_NAMES:
        return SMX__RESULT_NAME_MAX;
    case T_HOSTS:
        return SMX__HOST_NAME_MAX;
    case T_JOBS:
        return sizeof(smx__job);
    case T_FAILURES:
        return sizeof(smx__failure);
    default:
        return sizeof(int64_t);
    }
}

/* File access properties: libver bounds that never need h5clear, and HDF5's flock as asked. */
static hid_t make_fapl(int use_locking)
{
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl < 0)
        return fapl;
    const char *env = getenv("HDF5_USE_FILE_LOCKING");
    if (env && (!strcmp(env, "FALSE") || !strcmp(env, "0") || !strcasecmp(env, "false")))
        use_locking = 0;
    /* ignore_when_disabled = 1: a file system without flock (NFS, Lustre) is not an error. */
    if (H5Pset_libver_bounds(fapl, H5F_LIBVER_EARLIEST, H5F_LIBVER_V18) < 0 ||
        H5Pset_file_locking(fapl, use_locking ? 1 : 0, 1) < 0 ||
        H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG) < 0) {
        H5Pclose(fapl);
        return H5I_INVALID_HID;
    }
    return fapl;
}

static int write_str_attr(hid_t loc, const char *name, const char *value, const char *where)
{
    int rc = 0;
    hid_t t = H5I_INVALID_HID, sp = H5I_INVALID_HID, a = H5I_INVALID_HID;
    size_t len = strlen(value);
    SMX_H5(t = str_type(len), "%s: string type for attribute %s", where, name);
    SMX_H5(sp = H5Screate(H5S_SCALAR), "%s: attribute %s", where, name);
    SMX_H5(a = H5Acreate2(loc, name, t, sp, H5P_DEFAULT, H5P_DEFAULT),
           "%s: cannot create attribute %s", where, name);
    /* A zero-length value still has a one-byte type; write a NUL then. */
    SMX_H5(H5Awrite(a, t, len ? value : "\0"), "%s: cannot write attribute %s", where, name);
done:
    close_id(&a);
    close_id(&sp);
    close_id(&t);
    return rc;
}

static int write_num_attr(hid_t loc, const char *name, hid_t ftype, hid_t mtype, const void *v,
                          const char *where)
{
    int rc = 0;
    hid_t sp = H5I_INVALID_HID, a = H5I_INVALID_HID;
    SMX_H5(sp = H5Screate(H5S_SCALAR), "%s: attribute %s", where, name);
    SMX_H5(a = H5Acreate2(loc, name, ftype, sp, H5P_DEFAULT, H5P_DEFAULT),
           "%s: cannot create attribute %s", where, name);
    SMX_H5(H5Awrite(a, mtype, v), "%s: cannot write attribute %s", where, name);
done:
    close_id(&a);
    close_id(&sp);
    return rc;
}

/* Reads the string attribute NAME of LOC into a malloc'd NUL-terminated string. */
static int read_str_attr(hid_t loc, const char *name, char **out, const char *where)
{
    int rc = 0;
    hid_t a = H5I_INVALID_HID, t = H5I_INVALID_HID, mt = H5I_INVALID_HID;
    char *buf = NULL;
    *out = NULL;
    SMX_H5(a = H5Aopen(loc, name, H5P_DEFAULT), "%s: no attribute %s", where, name);
    SMX_H5(t = H5Aget_type(a), "%s: attribute %s", where, name);
    if (H5Tget_class(t) != H5T_STRING || H5Tis_variable_str(t) != 0) {
        rc = smx__error(SMX_EFORMAT, "%s: attribute %s is not a fixed-length string", where, name);
        goto done;
    }
    size_t sz = H5Tget_size(t);
    SMX_H5(mt = str_type(sz), "%s: attribute %s", where, name);
    if (!(buf = calloc(sz + 1, 1))) {
        rc = smx__error_oom();
        goto done;
    }
    SMX_H5(H5Aread(a, mt, buf), "%s: cannot read attribute %s", where, name);
    *out = buf;
    buf = NULL;
done:
    free(buf);
    close_id(&mt);
    close_id(&t);
    close_id(&a);
    return rc;
}

/* A scalar fixed-length string dataset holding LEN bytes of TEXT. */
static int write_str_dset(hid_t loc, const char *name, const char *text, size_t len,
                          const char *where)
{
    int rc = 0;
    hid_t t = H5I_INVALID_HID, sp = H5I_INVALID_HID, d = H5I_INVALID_HID;
    SMX_H5(t = str_type(len), "%s: string type for %s", where, name);
    SMX_H5(sp = H5Screate(H5S_SCALAR), "%s: dataspace of %s", where, name);
    SMX_H5(d = H5Dcreate2(loc, name, t, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
           "%s: cannot create dataset %s", where, name);
    SMX_H5(H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, len ? text : "\0"),
           "%s: cannot write dataset %s", where, name);
done:
    close_id(&d);
    close_id(&sp);
    close_id(&t);
    return rc;
}

static int read_str_dset(hid_t loc, const char *name, char **out, size_t *len, const char *where)
{
    int rc = 0;
    hid_t d = H5I_INVALID_HID, t = H5I_INVALID_HID, mt = H5I_INVALID_HID;
    char *buf = NULL;
    *out = NULL;
    SMX_H5(d = H5Dopen2(loc, name, H5P_DEFAULT), "%s: cannot open dataset %s", where, name);
    SMX_H5(t = H5Dget_type(d), "%s: dataset %s", where, name);
    if (H5Tget_class(t) != H5T_STRING || H5Tis_variable_str(t) != 0) {
        rc = smx__error(SMX_EFORMAT, "%s: dataset %s is not a fixed-length string", where, name);
        goto done;
    }
    size_t sz = H5Tget_size(t);
    SMX_H5(mt = str_type(sz), "%s: dataset %s", where, name);
    if (!(buf = calloc(sz + 1, 1))) {
        rc = smx__error_oom();
        goto done;
    }
    SMX_H5(H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf), "%s: cannot read dataset %s", where,
           name);
    if (len)
        *len = strlen(buf);
    *out = buf;
    buf = NULL;
done:
    free(buf);
    close_id(&mt);
    close_id(&t);
    close_id(&d);
    return rc;
}

/* ---------------------------------------------------------------------------------------------
 * File-system helpers: sparse copy, fsync, atomic replace
 * ------------------------------------------------------------------------------------------- */

typedef struct range {
    uint64_t off, len;
} range;

/* Copies [off, off+len) from IN to OUT at the same offset, leaving blocks of zeros as holes. */
static int copy_extent(int in, int out, uint64_t off, uint64_t len, smx__fs_copy_caps *caps,
                       const char *src, const char *dst)
{
    long long got =
        smx__fs_copy(in, (off_t)off, out, (off_t)off, (long long)len, SMX__FS_COPY_SPARSE, caps);
    if (got < 0)
        return smx__error(SMX_EIO, "cannot copy %s to %s: %s", src, dst, strerror(errno));
    if ((uint64_t)got < len)
        return smx__error(SMX_EIO, "%s changed size while being copied", src);
    return 0;
}

static int range_cmp(const void *a, const void *b)
{
    const range *x = a, *y = b;
    return x->off < y->off ? -1 : x->off > y->off;
}

/*
 * Copies SRC to the new file DST keeping holes: only the data extents (SEEK_DATA/SEEK_HOLE) are
 * copied, minus the byte ranges in SKIP (raw data of datasets about to be deleted), which stay
 * holes too. A 10 GB file that is mostly holes copies in the time its data takes.
 */
static int sparse_copy(const char *src, const char *dst, range *skip, size_t nskip)
{
    int rc = 0, in = -1, out = -1;
    smx__fs_copy_caps caps = {0, 0};
    struct stat sb;
    if ((in = open(src, O_RDONLY | O_CLOEXEC)) < 0) {
        rc = smx__error(errno == ENOENT ? SMX_ENOTFOUND : SMX_EIO, "cannot open %s: %s", src,
                        strerror(errno));
        goto done;
    }
    if (fstat(in, &sb) != 0) {
        rc = smx__error(SMX_EIO, "cannot stat %s: %s", src, strerror(errno));
        goto done;
    }
    if ((out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, sb.st_mode & 0777)) < 0) {
        rc = smx__error(SMX_EIO, "cannot create %s: %s", dst, strerror(errno));
        goto done;
    }
    if (ftruncate(out, sb.st_size) != 0) {
        rc = smx__error(SMX_EIO, "cannot size %s: %s", dst, strerror(errno));
        goto done;
    }
    /* A copy-on-write clone (XFS, btrfs) is instant; the skipped ranges are then punched out. */
    if (ioctl(out, FICLONE, in) == 0) {
        for (size_t i = 0; i < nskip; i++) {
            if (fallocate(out, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)skip[i].off,
                          (off_t)skip[i].len) != 0 &&
                errno != EOPNOTSUPP) {
                rc = smx__error(SMX_EIO, "cannot free space in %s: %s", dst, strerror(errno));
                goto done;
            }
        }
        goto synced;
    }
    if (nskip)
        qsort(skip, nskip, sizeof *skip, range_cmp);
    uint64_t size = (uint64_t)sb.st_size, pos = 0;
    while (pos < size) {
        off_t d = lseek(in, (off_t)pos, SEEK_DATA);
        if (d < 0 && errno == ENXIO)
            break; /* only a hole is left */
        uint64_t start, end;
        if (d < 0) {
            /* No SEEK_DATA support: treat the rest as data (zero blocks are still skipped). */
            start = pos;
            end = size;
        } else {
            start = (uint64_t)d;
            off_t h = lseek(in, d, SEEK_HOLE);
            end = h < 0 ? size : (uint64_t)h;
        }
        if (end > size)
            end = size;
        /* Copy [start, end) minus the skipped ranges. */
        uint64_t cur = start;
        for (size_t i = 0; i < nskip && cur < end; i++) {
            uint64_t s0 = skip[i].off, s1 = skip[i].off + skip[i].len;
            if (s1 <= cur || s0 >= end)
                continue;
            if (s0 > cur)
                CHECK(copy_extent(in, out, cur, s0 - cur, &caps, src, dst));
            cur = s1;
        }
        if (cur < end)
            CHECK(copy_extent(in, out, cur, end - cur, &caps, src, dst));
        pos = end;
    }
synced:
    if (fsync(out) != 0) {
        rc = smx__error(SMX_EIO, "cannot fsync %s: %s", dst, strerror(errno));
        goto done;
    }
done:
    if (in >= 0)
        close(in);
    if (out >= 0 && close(out) != 0 && rc == 0)
        rc = smx__error(SMX_EIO, "cannot close %s: %s", dst, strerror(errno));
    return rc;
}

static char *tmp_name(const char *path)
{
    size_t n = strlen(path) + 32;
    char *t = malloc(n);
    if (t)
        snprintf(t, n, "%s.tmp-%ld", path, (long)getpid());
    return t;
}

/*
 * Makes the finished temporary file TMP the new PATH: fsync TMP, rename (or link when PATH must
 * not exist yet), fsync the directory.
 */
static int install_file(const char *tmp, const char *path, int must_not_exist)
{
    int rc;
    CHECK(smx__fs_sync(tmp));
    if (must_not_exist) {
        /* link() fails if PATH appeared meanwhile, unlike rename(). */
        if (link(tmp, path) != 0) {
            int e = errno;
            if (e == EEXIST) {
                rc = smx__error(SMX_EIO, "cannot create %s: it already exists", path);
                goto done;
            }
            if (e != EPERM && e != EOPNOTSUPP && e != ENOSYS) {
                rc = smx__error(SMX_EIO, "cannot create %s: %s", path, strerror(e));
                goto done;
            }
            /* No hard links here: check and rename (racy only against another create). */
            if (access(path, F_OK) == 0) {
                rc = smx__error(SMX_EIO, "cannot create %s: it already exists", path);
                goto done;
            }
            if (rename(tmp, path) != 0) {
                rc = smx__error(SMX_EIO, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
                goto done;
            }
        } else {
            unlink(tmp);
        }
    } else if (rename(tmp, path) != 0) {
        rc = smx__error(SMX_EIO, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
        goto done;
    }
    rc = smx__fs_sync_dir_of(path);
done:
    return rc;
}

int smx__store_replace(const char *tmp, const char *path)
{
    return install_file(tmp, path, 0);
}

/* ---------------------------------------------------------------------------------------------
 * Creating sessions
 * ------------------------------------------------------------------------------------------- */

int smx__store_check_session_name(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n >= SMX__SESSION_NAME_MAX)
        return smx__error(SMX_EINPUT, "session name must have 1 to %d characters",
                          SMX__SESSION_NAME_MAX - 1);
    if (name[0] == '.')
        return smx__error(SMX_EINPUT, "session name \"%s\" must not start with '.'", name);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c == '/' || c < 0x20 || c == 0x7f)
            return smx__error(
                SMX_EINPUT, "session name \"%s\" must not contain '/' or control characters", name);
    }
    return 0;
}

/* Rows per chunk of a results dataset (chunks are RESULT_CHUNK_ROWS x 16 columns, 8 MiB). */
#define RESULT_CHUNK_ROWS 65536

/*
 * A dataset of RANK/DIMS allocated at creation, never filled: contiguous, or with CHUNK (rank 2)
 * chunked, every chunk allocated now as well (H5D_ALLOC_TIME_EARLY), so that writes later never
 * change HDF5 metadata (the chunk index is complete); unwritten chunks stay holes of the file.
 */
static hid_t create_dset(hid_t loc, const char *name, hid_t ftype, int rank, const hsize_t *dims,
                         const hsize_t *chunk)
{
    hid_t dcpl = H5I_INVALID_HID, sp = H5I_INVALID_HID, d = H5I_INVALID_HID;
    if ((dcpl = H5Pcreate(H5P_DATASET_CREATE)) < 0)
        goto done;
    if ((chunk ? H5Pset_chunk(dcpl, rank, chunk) : H5Pset_layout(dcpl, H5D_CONTIGUOUS)) < 0 ||
        H5Pset_alloc_time(dcpl, H5D_ALLOC_TIME_EARLY) < 0 ||
        H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER) < 0 || H5Pset_obj_track_times(dcpl, 0) < 0)
        goto done;
    if ((sp = H5Screate_simple(rank, dims, NULL)) < 0)
        goto done;
    d = H5Dcreate2(loc, name, ftype, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
done:
    close_id(&sp);
    close_id(&dcpl);
    return d;
}

static int add_session_to(hid_t file, const char *fpath, const char *session, uint64_t n,
                          const char *command)
{
    int rc = 0;
    hid_t g = H5I_INVALID_HID, d = H5I_INVALID_HID, ft = H5I_INVALID_HID, mt = H5I_INVALID_HID;
    char gpath[32 + SMX__SESSION_NAME_MAX];
    void *zeros = NULL;
    CHECK(smx__store_check_session_name(session));
    if (n > SMX__ELEMENTS_MAX) {
        rc = smx__error(SMX_EINPUT, "session %s: %llu elements exceed the maximum of %llu", session,
                        (unsigned long long)n, (unsigned long long)SMX__ELEMENTS_MAX);
        goto done;
    }
    snprintf(gpath, sizeof gpath, "/sessions/%s", session);
    htri_t ex = H5Lexists(file, gpath, H5P_DEFAULT);
    SMX_H5(ex, "%s: cannot look up %s", fpath, gpath);
    if (ex > 0) {
        rc = smx__error(SMX_EINPUT, "%s: session %s already exists", fpath, session);
        goto done;
    }
    SMX_H5(g = H5Gcreate2(file, gpath, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
           "%s: cannot create group %s", fpath, gpath);
    double created = (double)time(NULL);
    CHECK(write_num_attr(g, "n_elements", H5T_STD_U64LE, H5T_NATIVE_UINT64, &n, fpath));
    CHECK(write_num_attr(g, "created", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &created, fpath));
    uint64_t missing = SMX__RESULT_MISSING_BITS;
    CHECK(write_num_attr(g, "result_missing", H5T_STD_U64LE, H5T_NATIVE_UINT64, &missing, fpath));

    for (int c = 0; c < NCOL; c++) {
        hsize_t dims[2] = {n, SMX__RESULT_COLUMNS};
        hsize_t chunk[2] = {n < RESULT_CHUNK_ROWS ? n : RESULT_CHUNK_ROWS, 16};
        SMX_H5(col_types(c, &ft, &mt), "%s: types of %s/%s", fpath, gpath, col_names[c]);
        SMX_H5(d = create_dset(g, col_names[c], ft, c == C_RESULTS ? 2 : 1, dims,
                               c == C_RESULTS && n > 0 ? chunk : NULL),
               "%s: cannot create dataset %s/%s", fpath, gpath, col_names[c]);
        close_id(&d);
        close_id(&ft);
        close_id(&mt);
    }
    /* The small tables are written in full now, so later updates only overwrite raw data. */
    for (int t = 0; t < NTAB; t++) {
        hsize_t dims[1] = {tab_rows[t]};
        SMX_H5(tab_types(t, &ft, &mt), "%s: types of %s/%s", fpath, gpath, tab_names[t]);
        SMX_H5(d = create_dset(g, tab_names[t], ft, 1, dims, NULL),
               "%s: cannot create dataset %s/%s", fpath, gpath, tab_names[t]);
        if (!(zeros = calloc(tab_rows[t], tab_row_size(t)))) {
            rc = smx__error_oom();
            goto done;
        }
        SMX_H5(H5Dwrite(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, zeros),
               "%s: cannot write dataset %s/%s", fpath, gpath, tab_names[t]);
        free(zeros);
        zeros = NULL;
        close_id(&d);
        close_id(&ft);
        close_id(&mt);
    }
    const char *cmd = command ? command : "";
    CHECK(write_str_dset(g, "command", cmd, strlen(cmd), fpath));
done:
    free(zeros);
    close_id(&d);
    close_id(&ft);
    close_id(&mt);
    close_id(&g);
    return rc;
}

static int create_file(const char *path, const char *spec_text, size_t spec_len,
                       const char *spec_hash, const smx_spec *spec, const char *workdir,
                       const char *session, uint64_t n, const char *command);

int smx__store_create(const char *path, const char *spec_text, size_t spec_len,
                      const char *spec_hash, const char *session, uint64_t n, const char *command)
{
    return create_file(path, spec_text, spec_len, spec_hash, NULL, NULL, session, n, command);
}

int smx__store_create_sweep(const char *path, const smx_spec *spec, const char *session, uint64_t n,
                            const char *command, const char *workdir)
{
    if (!spec)
        return smx__error(SMX_EUSAGE, "smx__store_create_sweep: NULL spec");
    size_t len = 0;
    const char *text = smx__spec_text(spec, &len);
    return create_file(path, text, len, smx__spec_hash(spec), spec, workdir, session, n, command);
}

static int create_file(const char *path, const char *spec_text, size_t spec_len,
                       const char *spec_hash, const smx_spec *spec, const char *workdir,
                       const char *session, uint64_t n, const char *command)
{
    int rc = 0;
    hid_t fapl = H5I_INVALID_HID, f = H5I_INVALID_HID, g = H5I_INVALID_HID;
    char *tmp = NULL;
    int created_tmp = 0;
    h5_quiet();
    if (!path || (!spec_text && spec_len))
        return smx__error(SMX_EUSAGE, "smx__store_create: NULL argument");
    if (access(path, F_OK) == 0)
        return smx__error(SMX_EIO, "cannot create %s: it already exists", path);
    if (session)
        CHECK(smx__store_check_session_name(session));
    if (!(tmp = tmp_name(path))) {
        rc = smx__error_oom();
        goto done;
    }
    unlink(tmp); /* left over by a killed process that had our pid */
    SMX_H5(fapl = make_fapl(0), "%s: file access properties", tmp);
    SMX_H5(f = H5Fcreate(tmp, H5F_ACC_EXCL, H5P_DEFAULT, fapl), "cannot create %s", tmp);
    created_tmp = 1;
    int32_t version = SMX__FORMAT_VERSION;
    CHECK(write_str_attr(f, "format", FORMAT_NAME, tmp));
    CHECK(write_num_attr(f, "format_version", H5T_STD_I32LE, H5T_NATIVE_INT32, &version, tmp));
    CHECK(write_str_dset(f, "spec", spec_text ? spec_text : "", spec_len, tmp));
    {
        hid_t d = H5I_INVALID_HID;
        H5E_BEGIN_TRY
        {
            d = H5Dopen2(f, "spec", H5P_DEFAULT);
        }
        H5E_END_TRY;
        SMX_H5(d, "%s: cannot open /spec", tmp);
        rc = write_str_attr(d, "sha256", spec_hash ? spec_hash : "", tmp);
        H5Dclose(d);
        if (rc)
            goto done;
    }
    CHECK(write_str_attr(f, "workdir", workdir ? workdir : "", tmp));
    if (spec)
        CHECK(smx__params_write(f, tmp, spec));
    SMX_H5(g = H5Gcreate2(f, "sessions", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
           "%s: cannot create group /sessions", tmp);
    close_id(&g);
    if (session)
        CHECK(add_session_to(f, tmp, session, n, command));
    SMX_H5(close_file(&f), "cannot close %s", tmp);
    CHECK(install_file(tmp, path, 1));
    created_tmp = 0;
done:
    close_id(&g);
    close_id(&f);
    close_id(&fapl);
    if (created_tmp)
        unlink(tmp);
    free(tmp);
    return rc;
}

/*
 * Checks that FILE is a sweepmux file of a supported version. With VERSION non-NULL, any version
 * is accepted and stored there (-1 if the attribute is missing or unreadable): the caller judges.
 */
static int check_format(hid_t f, const char *path, int *version_out)
{
    int rc = 0;
    char *fmt = NULL;
    hid_t a = H5I_INVALID_HID;
    htri_t has = H5Aexists(f, "format");
    SMX_H5(has, "%s: cannot read root attributes", path);
    if (!has) {
        rc = smx__error(SMX_EFORMAT,
                        "%s is an HDF5 file but not a sweepmux state file (no root attribute "
                        "format = \"sweepmux\")",
                        path);
        goto done;
    }
    if (read_str_attr(f, "format", &fmt, path) != 0 || strcmp(fmt, FORMAT_NAME) != 0) {
        rc = smx__error(SMX_EFORMAT,
                        "%s is an HDF5 file but not a sweepmux state file (root attribute format "
                        "is \"%s\", not \"sweepmux\")",
                        path, fmt ? fmt : "?");
        goto done;
    }
    int32_t version = 0;
    H5E_BEGIN_TRY
    {
        a = H5Aopen(f, "format_version", H5P_DEFAULT);
        if (a >= 0 && H5Aread(a, H5T_NATIVE_INT32, &version) < 0)
            version = -1;
    }
    H5E_END_TRY;
    if (version_out) {
        *version_out = a >= 0 ? (int)version : -1;
        goto done;
    }
    if (a >= 0 && version > SMX__FORMAT_VERSION) {
        rc = smx__error(SMX_EINPUT,
                        "%s: sweepmux format version %d is newer than this build reads (version "
                        "%d); use the sweepmux that wrote it, or a newer one",
                        path, (int)version, SMX__FORMAT_VERSION);
        goto done;
    }
    if (a >= 0 && version == 1) {
        rc = smx__error(SMX_EINPUT,
                        "%s was written by sweepmux format 1, which does not store the parameter "
                        "values (this build reads formats 2 and %d); run `sweepmux upgrade %s "
                        "--dir DIR` to upgrade it in place, DIR being the directory the sweep ran "
                        "in (relative paths of its spec, such as a CSV file, resolve there)",
                        path, SMX__FORMAT_VERSION, path);
        goto done;
    }
    /* Format 2 differs only in its sessions' 16 result columns, which this build reads as such. */
    if (a < 0 || (version != SMX__FORMAT_VERSION && version != 2)) {
        rc = smx__error(SMX_EFORMAT,
                        "%s: unsupported sweepmux format version %d (this build reads version %d)",
                        path, (int)version, SMX__FORMAT_VERSION);
        goto done;
    }
done:
    close_id(&a);
    free(fmt);
    return rc;
}

/*
 * The error for a failed H5Fopen of PATH, from the innermost HDF5 message: another process
 * holding HDF5's file lock is SMX_ELOCKED (exit 4), a permission problem says so.
 */
static int open_error(const char *path, int write)
{
    char h5[256] = "";
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, walk_cb, h5);
    if (write && strstr(h5, "unable to lock file"))
        return smx__error(SMX_ELOCKED,
                          "state file %s is in use: another process holds HDF5's lock on it (%s)",
                          path, h5);
    if (strstr(h5, "Permission denied") || strstr(h5, "Read-only file system"))
        return smx__error(SMX_EIO, "cannot open state file %s%s: permission denied (HDF5: %s)",
                          path, write ? " for writing" : "", h5);
    return smx__error(SMX_EIO, "cannot open state file %s%s (HDF5: %s)", path,
                      write ? " for writing" : "", h5[0] ? h5 : "unknown error");
}

/* Opens PATH with HDF5 after checking that it exists and is a sweepmux file (VERSION: see
 * check_format). */
static int open_file(const char *path, int write, hid_t *out, int *version)
{
    int rc = 0;
    hid_t fapl = H5I_INVALID_HID, f = H5I_INVALID_HID;
    struct stat sb;
    *out = H5I_INVALID_HID;
    if (stat(path, &sb) != 0) {
        if (errno == ENOENT)
            return smx__error(SMX_ENOTFOUND, "state file %s does not exist", path);
        return smx__error(SMX_EIO, "cannot access state file %s: %s", path, strerror(errno));
    }
    if (!S_ISREG(sb.st_mode))
        return smx__error(SMX_EFORMAT, "%s is not a regular file, so not a sweepmux state file",
                          path);
    /* Readers never take HDF5's file lock, so they work while a run holds the file. */
    SMX_H5(fapl = make_fapl(write), "%s: file access properties", path);
    if (write)
        SMX_H5(H5Pset_sieve_buf_size(fapl, 0), "%s: file access properties", path);
    htri_t is = -1;
    H5E_BEGIN_TRY
    {
        is = H5Fis_hdf5(path);
    }
    H5E_END_TRY;
    if (is == 0) {
        rc = smx__error(SMX_EFORMAT, "%s is not an HDF5 file, so not a sweepmux state file", path);
        goto done;
    }
    f = H5Fopen(path, write ? H5F_ACC_RDWR : H5F_ACC_RDONLY, fapl);
    if (f < 0) {
        rc = open_error(path, write);
        goto done;
    }
    CHECK(check_format(f, path, version));
    *out = f;
    f = H5I_INVALID_HID;
done:
    close_id(&f);
    close_id(&fapl);
    return rc;
}

typedef int (*edit_fn)(hid_t f, const char *tmp, void *arg);

/* Copies PATH to TMP (leaving out SKIP's byte ranges) and edits the copy with EDIT; on failure TMP
 * is removed. The copy is closed, not yet synced or installed. */
static int edit_copy(const char *path, const char *tmp, edit_fn edit, void *arg, range *skip,
                     size_t nskip)
{
    int rc = 0;
    hid_t fapl = H5I_INVALID_HID, f = H5I_INVALID_HID;
    unlink(tmp); /* left over by a killed process that had our pid */
    CHECK(sparse_copy(path, tmp, skip, nskip));
    SMX_H5(fapl = make_fapl(0), "%s: file access properties", tmp);
    SMX_H5(f = H5Fopen(tmp, H5F_ACC_RDWR, fapl), "cannot open %s", tmp);
    CHECK(edit(f, tmp, arg));
    SMX_H5(close_file(&f), "cannot close %s", tmp);
done:
    close_id(&f);
    close_id(&fapl);
    if (rc)
        unlink(tmp);
    return rc;
}

/* Edits a copy of PATH with EDIT and installs it atomically (see the top of this file). */
static int rewrite(const char *path, edit_fn edit, void *arg, range *skip, size_t nskip)
{
    int rc = 0;
    hid_t f = H5I_INVALID_HID;
    char *tmp = tmp_name(path);
    if (!tmp)
        return smx__error_oom();
    /* Check the original first, so a bad file gives a clear error, not one about the copy. */
    CHECK(open_file(path, 0, &f, NULL));
    SMX_H5(close_file(&f), "cannot close %s", path);
    CHECK(edit_copy(path, tmp, edit, arg, skip, nskip));
    if ((rc = install_file(tmp, path, 0)))
        unlink(tmp);
done:
    close_id(&f);
    free(tmp);
    return rc;
}

typedef struct add_arg {
    const char *path, *session, *command;
    uint64_t n;
} add_arg;

static int edit_add(hid_t f, const char *tmp, void *p)
{
    add_arg *a = p;
    int rc = add_session_to(f, a->path, a->session, a->n, a->command);
    /* The new session has this format's result columns: a format-2 file becomes format 3. */
    int32_t version = SMX__FORMAT_VERSION;
    hid_t at = H5I_INVALID_HID;
    if (rc == SMX_OK) {
        SMX_H5(at = H5Aopen(f, "format_version", H5P_DEFAULT), "%s: format_version", tmp);
        SMX_H5(H5Awrite(at, H5T_NATIVE_INT32, &version), "%s: cannot write format_version", tmp);
    }
done:
    close_id(&at);
    return rc;
}

int smx__store_add_session(const char *path, const char *session, uint64_t n, const char *command)
{
    h5_quiet();
    if (!path || !session)
        return smx__error(SMX_EUSAGE, "smx__store_add_session: NULL argument");
    int rc = smx__store_check_session_name(session);
    if (rc)
        return rc;
    add_arg a = {path, session, command, n};
    return rewrite(path, edit_add, &a, NULL, 0);
}

static int edit_destroy(hid_t f, const char *tmp, void *p)
{
    int rc = 0;
    const char *gpath = p;
    SMX_H5(H5Ldelete(f, gpath, H5P_DEFAULT), "%s: cannot delete %s", tmp, gpath);
done:
    return rc;
}

/* The file byte ranges of the raw data of every dataset of group GPATH (to leave out of a copy). */
static int session_ranges(hid_t f, const char *path, const char *gpath, range *r, size_t *nr)
{
    int rc = 0;
    hid_t g = H5I_INVALID_HID, d = H5I_INVALID_HID;
    const char *names[NCOL + NTAB];
    size_t k = 0;
    *nr = 0;
    for (int c = 0; c < NCOL; c++)
        names[k++] = col_names[c];
    for (int t = 0; t < NTAB; t++)
        names[k++] = tab_names[t];
    SMX_H5(g = H5Gopen2(f, gpath, H5P_DEFAULT), "%s: cannot open %s", path, gpath);
    for (size_t i = 0; i < k; i++) {
        H5E_BEGIN_TRY
        {
            d = H5Dopen2(g, names[i], H5P_DEFAULT);
        }
        H5E_END_TRY;
        if (d < 0)
            continue;
        haddr_t off = H5Dget_offset(d);
        hsize_t len = H5Dget_storage_size(d);
        if (off != HADDR_UNDEF && len > 0) {
            r[*nr].off = off;
            r[*nr].len = len;
            (*nr)++;
        }
        close_id(&d);
    }
done:
    close_id(&d);
    close_id(&g);
    return rc;
}

int smx__store_destroy_session(const char *path, const char *session)
{
    int rc = 0;
    hid_t f = H5I_INVALID_HID;
    char gpath[32 + SMX__SESSION_NAME_MAX];
    range skip[NCOL + NTAB];
    size_t nskip = 0;
    h5_quiet();
    if (!path || !session)
        return smx__error(SMX_EUSAGE, "smx__store_destroy_session: NULL argument");
    if (smx__store_check_session_name(session) != 0)
        return smx__error(SMX_ENOTFOUND, "%s: no session \"%s\"", path, session);
    snprintf(gpath, sizeof gpath, "/sessions/%s", session);
    CHECK(open_file(path, 0, &f, NULL));
    htri_t ex = H5Lexists(f, gpath, H5P_DEFAULT);
    SMX_H5(ex, "%s: cannot look up %s", path, gpath);
    if (!ex) {
        rc = smx__error(SMX_ENOTFOUND, "%s: no session \"%s\"", path, session);
        goto done;
    }
    /* The deleted datasets' raw data is not copied, so its disk space is freed (holes). */
    CHECK(session_ranges(f, path, gpath, skip, &nskip));
    SMX_H5(close_file(&f), "cannot close %s", path);
    rc = rewrite(path, edit_destroy, gpath, skip, nskip);
done:
    close_id(&f);
    return rc;
}

/* The edits that make a format-1 file current: what format 2 added at the root. */
typedef struct upgrade_arg {
    const smx_spec *spec;
    const char *workdir;
} upgrade_arg;

static int edit_upgrade(hid_t f, const char *tmp, void *arg)
{
    const upgrade_arg *u = arg;
    int rc = 0, version = 0;
    hid_t a = H5I_INVALID_HID;
    CHECK(check_format(f, tmp, &version));
    if (version != 1) {
        rc = smx__error(SMX_EFORMAT, "%s: format version %d, not 1: not upgraded", tmp, version);
        goto done;
    }
    htri_t has = H5Aexists(f, "workdir");
    SMX_H5(has, "%s: cannot read root attributes", tmp);
    if (has) {
        rc = smx__error(SMX_EFORMAT, "%s: a format-1 file with a workdir attribute: not upgraded",
                        tmp);
        goto done;
    }
    CHECK(write_str_attr(f, "workdir", u->workdir, tmp));
    CHECK(smx__params_write(f, tmp, u->spec));
    /* Written last: a copy whose edits failed half-way never claims the new format. */
    int32_t current = SMX__FORMAT_VERSION;
    SMX_H5(a = H5Aopen(f, "format_version", H5P_DEFAULT), "%s: format_version", tmp);
    SMX_H5(H5Awrite(a, H5T_NATIVE_INT32, &current), "%s: cannot write format_version", tmp);
done:
    close_id(&a);
    return rc;
}

int smx__store_upgrade_copy(const char *path, const char *tmp, const smx_spec *spec,
                            const char *workdir)
{
    h5_quiet();
    if (!path || !tmp || !spec || !workdir)
        return smx__error(SMX_EUSAGE, "smx__store_upgrade_copy: NULL argument");
    upgrade_arg u = {spec, workdir};
    return edit_copy(path, tmp, edit_upgrade, &u, NULL, 0);
}

/* ---------------------------------------------------------------------------------------------
 * Opening, reading and writing
 * ------------------------------------------------------------------------------------------- */

static int open_store(smx__store **out, const char *path, smx__store_mode mode, int *version)
{
    int rc = 0;
    smx__store *st = NULL;
    hid_t f = H5I_INVALID_HID;
    h5_quiet();
    *out = NULL;
    if (!path)
        return smx__error(SMX_EUSAGE, "smx__store_open: NULL path");
    CHECK(open_file(path, mode == SMX__STORE_WRITE, &f, version));
    if (!(st = calloc(1, sizeof *st)) || !(st->path = strdup(path))) {
        rc = smx__error_oom();
        goto done;
    }
    st->file = f;
    st->mode = mode;
    st->fd = -1;
    f = H5I_INVALID_HID;
    if (mode == SMX__STORE_WRITE) {
        void *h = NULL;
        SMX_H5(H5Fget_vfd_handle(st->file, H5P_DEFAULT, &h), "%s: cannot get the file descriptor",
               path);
        st->fd = *(int *)h;
        /*
         * Record writes read back blocks of mostly unwritten (sparse) rows; the kernel's readahead
         * would zero-fill pages far beyond them. Measured: a third of the writer's time.
         */
        posix_fadvise(st->fd, 0, 0, POSIX_FADV_RANDOM);
    }
    *out = st;
    st = NULL;
done:
    close_id(&f);
    smx__store_close(st);
    return rc;
}

int smx__store_open(smx__store **out, const char *path, smx__store_mode mode)
{
    return open_store(out, path, mode, NULL);
}

int smx__store_open_any(smx__store **out, const char *path, int *version)
{
    return open_store(out, path, SMX__STORE_READ, version);
}

static void sess_free(smx__records *s)
{
    if (!s)
        return;
    for (int c = 0; c < NCOL; c++)
        close_id(&s->col[c]);
    for (int t = 0; t < NTAB; t++)
        close_id(&s->tab[t]);
    free(s->name);
    free(s->command);
    free(s);
}

void smx__store_close(smx__store *st)
{
    if (!st)
        return;
    h5_quiet();
    for (size_t i = 0; i < st->nsess; i++)
        sess_free(st->sess[i]);
    free(st->sess);
    if (st->file >= 0)
        H5Fclose(st->file);
    free(st->path);
    free(st);
}

int smx__store_spec(smx__store *st, char **text, size_t *len, char hash[65])
{
    int rc = 0;
    hid_t d = H5I_INVALID_HID;
    char *h = NULL, *t = NULL;
    size_t n = 0;
    h5_quiet();
    *text = NULL;
    CHECK(read_str_dset(st->file, "spec", &t, &n, st->path));
    SMX_H5(d = H5Dopen2(st->file, "spec", H5P_DEFAULT), "%s: cannot open /spec", st->path);
    CHECK(read_str_attr(d, "sha256", &h, st->path));
    snprintf(hash, 65, "%s", h);
    *text = t;
    t = NULL;
    if (len)
        *len = n;
done:
    free(t);
    free(h);
    close_id(&d);
    return rc;
}

static void strv_free_local(char **v)
{
    if (!v)
        return;
    for (char **p = v; *p; p++)
        free(*p);
    free(v);
}

typedef struct names_acc {
    char **v;
    size_t n, cap;
    int oom;
} names_acc;

static herr_t names_cb(hid_t g, const char *name, const H5L_info_t *info, void *data)
{
    names_acc *a = data;
    (void)g;
    (void)info;
    if (a->n + 2 > a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 8;
        char **v = realloc(a->v, cap * sizeof *v);
        if (!v) {
            a->oom = 1;
            return -1;
        }
        a->v = v;
        a->cap = cap;
    }
    if (!(a->v[a->n] = strdup(name))) {
        a->oom = 1;
        return -1;
    }
    a->v[++a->n] = NULL;
    return 0;
}

int smx__store_sessions(smx__store *st, char ***names, size_t *n)
{
    int rc = 0;
    hid_t g = H5I_INVALID_HID;
    names_acc a = {NULL, 0, 0, 0};
    h5_quiet();
    *names = NULL;
    *n = 0;
    SMX_H5(g = H5Gopen2(st->file, "sessions", H5P_DEFAULT), "%s: cannot open /sessions", st->path);
    hsize_t idx = 0;
    if (H5Literate(g, H5_INDEX_NAME, H5_ITER_INC, &idx, names_cb, &a) < 0) {
        rc = a.oom ? smx__error_oom() : h5_error(SMX_EIO, "%s: cannot list /sessions", st->path);
        goto done;
    }
    if (!a.v && !(a.v = calloc(1, sizeof *a.v))) {
        rc = smx__error_oom();
        goto done;
    }
    *names = a.v;
    *n = a.n;
    a.v = NULL;
done:
    strv_free_local(a.v);
    close_id(&g);
    return rc;
}

hid_t smx__store_file_id(const smx__store *st)
{
    return st->file;
}

int smx__store_fd(const smx__store *st)
{
    return st->mode == SMX__STORE_WRITE ? st->fd : -1;
}

int smx__store_sync(smx__store *st)
{
    h5_quiet();
    if (st->mode != SMX__STORE_WRITE)
        return 0;
    if (H5Fflush(st->file, H5F_SCOPE_GLOBAL) < 0)
        return h5_error(SMX_EIO, "%s: cannot flush", st->path);
    if (fsync(st->fd) != 0)
        return smx__error(SMX_EIO, "%s: fsync failed: %s", st->path, strerror(errno));
    return 0;
}

static int whole_io(smx__records *s, hid_t d, int is_col, int which, void *buf, int write);

/* The result columns up to the last one with a name (sweepmux names them from column 0 up). */
static int count_named(smx__records *s)
{
    char(*names)[SMX__RESULT_NAME_MAX] = calloc(SMX__RESULT_COLUMNS, SMX__RESULT_NAME_MAX);
    if (!names)
        return smx__error_oom();
    int rc = whole_io(s, s->tab[T_RESULT_NAMES], 0, T_RESULT_NAMES, names, 0);
    s->rnamed = 0;
    for (int k = 0; rc == SMX_OK && k < s->rcols; k++)
        if (names[k][0])
            s->rnamed = k + 1;
    free(names);
    return rc;
}

/*
 * Opens column C of a session group G. Results are written in place a few rows at a time: without
 * a chunk cache HDF5 writes just those rows, as for a contiguous dataset, where a cached chunk (up
 * to 8 MiB) would be written whole at each flush, its unwritten rows' holes turned into zeros on
 * disk (a file system that fills up mid-run then never reaches the run, cli.full_disk).
 */
static hid_t open_column(hid_t g, int c)
{
    if (c != C_RESULTS)
        return H5Dopen2(g, col_names[c], H5P_DEFAULT);
    hid_t dapl = H5Pcreate(H5P_DATASET_ACCESS), d = -1;
    if (dapl >= 0 && H5Pset_chunk_cache(dapl, H5D_CHUNK_CACHE_NSLOTS_DEFAULT, 0,
                                        H5D_CHUNK_CACHE_W0_DEFAULT) >= 0)
        d = H5Dopen2(g, col_names[c], dapl);
    if (dapl >= 0)
        H5Pclose(dapl);
    return d;
}

int smx__records_open(smx__store *st, const char *name, smx__records **out)
{
    int rc = 0;
    hid_t g = H5I_INVALID_HID, a = H5I_INVALID_HID, sp = H5I_INVALID_HID;
    smx__records *s = NULL;
    char gpath[32 + SMX__SESSION_NAME_MAX];
    h5_quiet();
    *out = NULL;
    if (!name || smx__store_check_session_name(name) != 0)
        return smx__error(SMX_ENOTFOUND, "%s: no session \"%s\"", st->path, name ? name : "");
    snprintf(gpath, sizeof gpath, "/sessions/%s", name);
    htri_t ex = H5Lexists(st->file, gpath, H5P_DEFAULT);
    SMX_H5(ex, "%s: cannot look up %s", st->path, gpath);
    if (!ex)
        return smx__error(SMX_ENOTFOUND, "%s: no session \"%s\"", st->path, name);
    if (!(s = calloc(1, sizeof *s)) || !(s->name = strdup(name))) {
        rc = smx__error_oom();
        goto done;
    }
    s->st = st;
    for (int c = 0; c < NCOL; c++)
        s->col[c] = H5I_INVALID_HID;
    for (int t = 0; t < NTAB; t++)
        s->tab[t] = H5I_INVALID_HID;
    SMX_H5(g = H5Gopen2(st->file, gpath, H5P_DEFAULT), "%s: cannot open %s", st->path, gpath);
    SMX_H5(a = H5Aopen(g, "n_elements", H5P_DEFAULT), "%s: %s has no attribute n_elements",
           st->path, gpath);
    SMX_H5(H5Aread(a, H5T_NATIVE_UINT64, &s->n), "%s: cannot read %s n_elements", st->path, gpath);
    close_id(&a);
    SMX_H5(a = H5Aopen(g, "created", H5P_DEFAULT), "%s: %s has no attribute created", st->path,
           gpath);
    SMX_H5(H5Aread(a, H5T_NATIVE_DOUBLE, &s->created), "%s: cannot read %s created", st->path,
           gpath);
    close_id(&a);
    SMX_H5(s->marks_missing = H5Aexists(g, "result_missing"), "%s: %s", st->path, gpath);
    for (int c = 0; c < NCOL; c++) {
        s->col[c] = open_column(g, c);
        SMX_H5(s->col[c], "%s: cannot open %s/%s", st->path, gpath, col_names[c]);
        hsize_t dims[2] = {0, 0};
        SMX_H5(sp = H5Dget_space(s->col[c]), "%s: %s/%s", st->path, gpath, col_names[c]);
        int r = H5Sget_simple_extent_dims(sp, dims, NULL);
        close_id(&sp);
        if (c == C_RESULTS)
            s->rwidth = s->rcols = (int)dims[1];
        /* Format-2 sessions have 16 result columns, newer ones SMX__RESULT_COLUMNS. */
        if (r != (c == C_RESULTS ? 2 : 1) || dims[0] != s->n ||
            (c == C_RESULTS && dims[1] != SMX__RESULT_COLUMNS && dims[1] != 16)) {
            rc = smx__error(
                SMX_EIO, "%s: %s/%s does not have the shape of %llu elements (the file is damaged)",
                st->path, gpath, col_names[c], (unsigned long long)s->n);
            goto done;
        }
    }
    /* The tables are read whole into buffers of their documented size: check it first (A3-1). */
    for (int t = 0; t < NTAB; t++) {
        SMX_H5(s->tab[t] = H5Dopen2(g, tab_names[t], H5P_DEFAULT), "%s: cannot open %s/%s",
               st->path, gpath, tab_names[t]);
        hsize_t dims[2] = {0, 0};
        SMX_H5(sp = H5Dget_space(s->tab[t]), "%s: %s/%s", st->path, gpath, tab_names[t]);
        int r =
            H5Sget_simple_extent_ndims(sp) == 1 ? H5Sget_simple_extent_dims(sp, dims, NULL) : -1;
        close_id(&sp);
        hsize_t want = t == T_RESULT_NAMES ? (hsize_t)s->rcols : tab_rows[t];
        if (r != 1 || dims[0] != want) {
            rc =
                smx__error(SMX_EIO, "%s: %s/%s has %s%llu rows, expected %llu: the file is damaged",
                           st->path, gpath, tab_names[t], r == 1 ? "" : "not 1 dimension or ",
                           (unsigned long long)dims[0], (unsigned long long)want);
            goto done;
        }
    }
    CHECK(read_str_dset(g, "command", &s->command, NULL, st->path));
    CHECK(count_named(s));
    smx__records **v = realloc(st->sess, (st->nsess + 1) * sizeof *v);
    if (!v) {
        rc = smx__error_oom();
        goto done;
    }
    st->sess = v;
    st->sess[st->nsess++] = s;
    *out = s;
    s = NULL;
done:
    close_id(&sp);
    close_id(&a);
    close_id(&g);
    sess_free(s);
    return rc;
}

void smx__records_close(smx__records *s)
{
    if (!s)
        return;
    smx__store *st = s->st;
    for (size_t i = 0; i < st->nsess; i++) {
        if (st->sess[i] == s) {
            st->sess[i] = st->sess[--st->nsess];
            break;
        }
    }
    h5_quiet();
    sess_free(s);
}

uint64_t smx__records_count(const smx__records *s)
{
    return s->n;
}

double smx__records_created(const smx__records *s)
{
    return s->created;
}

const char *smx__records_command(const smx__records *s)
{
    return s->command;
}

/* Reads or writes a whole column or table with its memory type. */
static int whole_io(smx__records *s, hid_t d, int is_col, int which, void *buf, int write)
{
    int rc = 0;
    hid_t ft = H5I_INVALID_HID, mt = H5I_INVALID_HID;
    const char *name = is_col ? col_names[which] : tab_names[which];
    SMX_H5(is_col ? col_types(which, &ft, &mt) : tab_types(which, &ft, &mt), "%s: types of %s",
           s->st->path, name);
    if (write)
        SMX_H5(H5Dwrite(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf),
               "%s: cannot write /sessions/%s/%s", s->st->path, s->name, name);
    else
        SMX_H5(H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf),
               "%s: cannot read /sessions/%s/%s", s->st->path, s->name, name);
done:
    close_id(&ft);
    close_id(&mt);
    return rc;
}

/*
 * SMX_EIO naming the first of the COUNT statuses from element START that is not one (a damaged
 * file): every reader refuses it alike, instead of status counting it as pending, export printing
 * "unknown" and run starting it again (A3-9).
 */
static int check_statuses(const smx__records *s, const uint8_t *status, size_t stride,
                          uint64_t start, uint64_t count)
{
    for (uint64_t i = 0; i < count; i++)
        if (status[i * stride] > SMX_STATUS_FAILED)
            return smx__error(SMX_EIO,
                              "%s: /sessions/%s/status of element %llu is %u, which is no status "
                              "(0 to 3): the file is damaged",
                              s->st->path, s->name, (unsigned long long)(start + i),
                              (unsigned)status[i * stride]);
    return 0;
}

int smx__records_read_state(smx__records *s, uint8_t *status, uint16_t *attempts)
{
    int rc = 0;
    h5_quiet();
    if (s->n == 0)
        return 0;
    if (status) {
        CHECK(whole_io(s, s->col[C_STATUS], 1, C_STATUS, status, 0));
        CHECK(check_statuses(s, status, 1, 0, s->n));
    }
    if (attempts)
        CHECK(whole_io(s, s->col[C_ATTEMPTS], 1, C_ATTEMPTS, attempts, 0));
done:
    return rc;
}

static int rows_io(smx__records *s, int c, uint64_t start, uint64_t count, void *buf, int write);

/* Elements of the status column read at once by smx__records_count_states (4 MiB). */
#define COUNT_SLICE ((uint64_t)1 << 22)

/* One byte of 1 in every lane of a word of eight status bytes. */
#define LANES 0x0101010101010101ull

/* The sum of the eight bytes of X. */
static uint64_t byte_sum(uint64_t x)
{
    x = (x & 0x00FF00FF00FF00FFull) + ((x >> 8) & 0x00FF00FF00FF00FFull);
    return (x * 0x0001000100010001ull) >> 48;
}

/*
 * Adds the statuses of BUF[0..N) to BY; returns nonzero if one is out of range. A status is 0-3,
 * so its two bits give every count without a branch: eight bytes at a time, summed per byte lane
 * for up to 255 words before the lanes are added up.
 */
static int count_slice(const uint8_t *buf, uint64_t n, uint64_t by[4])
{
    uint64_t hi = 0, both = 0, odd = 0, bad = 0, words = n / 8;
    for (uint64_t w0 = 0; w0 < words; w0 += 255) {
        uint64_t end = words - w0 < 255 ? words : w0 + 255, h = 0, b = 0, o = 0;
        for (uint64_t w = w0; w < end; w++) {
            uint64_t x;
            memcpy(&x, buf + 8 * w, 8);
            h += (x >> 1) & LANES;     /* done or failed */
            b += x & (x >> 1) & LANES; /* failed */
            o += x & LANES;            /* running or failed */
            bad |= x;
        }
        hi += byte_sum(h);
        both += byte_sum(b);
        odd += byte_sum(o);
    }
    for (uint64_t i = 8 * words; i < n; i++) {
        hi += (buf[i] >> 1) & 1u;
        both += buf[i] & (buf[i] >> 1) & 1u;
        odd += buf[i] & 1u;
        bad |= buf[i];
    }
    by[SMX_STATUS_FAILED] += both;
    by[SMX_STATUS_DONE] += hi - both;
    by[SMX_STATUS_RUNNING] += odd - both;
    by[SMX_STATUS_PENDING] += n - hi - (odd - both);
    return (bad & ~(3 * LANES)) != 0;
}

int smx__records_count_states(smx__records *s, uint64_t by[4])
{
    int rc = 0;
    by[0] = by[1] = by[2] = by[3] = 0;
    h5_quiet();
    if (s->n == 0)
        return 0;
    uint64_t cap = s->n < COUNT_SLICE ? s->n : COUNT_SLICE;
    uint8_t *buf = malloc(cap);
    if (!buf)
        return smx__error_oom();
    for (uint64_t at = 0; at < s->n; at += cap) {
        uint64_t n = s->n - at < cap ? s->n - at : cap;
        CHECK(rows_io(s, C_STATUS, at, n, buf, 0));
        if (count_slice(buf, n, by))
            CHECK(check_statuses(s, buf, 1, at, n));
    }
done:
    free(buf);
    return rc;
}

/* Reads or writes rows [START, START+COUNT) of column C from/into BUF. */
static int rows_io(smx__records *s, int c, uint64_t start, uint64_t count, void *buf, int write)
{
    int rc = 0;
    hid_t fs = H5I_INVALID_HID, ms = H5I_INVALID_HID, ft = H5I_INVALID_HID, mt = H5I_INVALID_HID;
    hsize_t off[2] = {start, 0}, cnt[2] = {count, (hsize_t)s->rwidth};
    int rank = c == C_RESULTS ? 2 : 1;
    if (c == C_RESULTS && s->rwidth == 0)
        return 0; /* no result column is named: nothing to move */
    SMX_H5(col_types(c, &ft, &mt), "%s: types of %s", s->st->path, col_names[c]);
    SMX_H5(fs = H5Dget_space(s->col[c]), "%s: dataspace of %s", s->st->path, col_names[c]);
    SMX_H5(H5Sselect_hyperslab(fs, H5S_SELECT_SET, off, NULL, cnt, NULL), "%s: selection of %s",
           s->st->path, col_names[c]);
    SMX_H5(ms = H5Screate_simple(rank, cnt, NULL), "%s: memory space", s->st->path);
    if (write)
        SMX_H5(H5Dwrite(s->col[c], mt, ms, fs, H5P_DEFAULT, buf),
               "%s: cannot write /sessions/%s/%s", s->st->path, s->name, col_names[c]);
    else
        SMX_H5(H5Dread(s->col[c], mt, ms, fs, H5P_DEFAULT, buf), "%s: cannot read /sessions/%s/%s",
               s->st->path, s->name, col_names[c]);
done:
    close_id(&fs);
    close_id(&ms);
    close_id(&ft);
    close_id(&mt);
    return rc;
}

int smx__records_read_records(smx__records *s, uint64_t start, uint64_t count, smx__record *out)
{
    int rc = 0;
    unsigned char *buf = NULL;
    h5_quiet();
    if (start > s->n || count > s->n - start)
        return smx__error(SMX_EUSAGE, "%s: session %s: records %llu..%llu are out of range (%llu)",
                          s->st->path, s->name, (unsigned long long)start,
                          (unsigned long long)(start + count), (unsigned long long)s->n);
    if (count == 0)
        return 0;
    /* Only the columns that have a name hold anything (the others are never written). */
    s->rwidth = result_width(s, s->rnamed);
    if (!(buf = malloc(count * (s->rwidth ? col_size(s, C_RESULTS) : 8)))) {
        rc = smx__error_oom();
        goto done;
    }
    /* Every field but the results past the columns read is set below: a record is over half a
     * kilobyte, and clearing whole records cost an export of many elements more than reading. */
    for (int c = 0; c < NCOL; c++) {
        CHECK(rows_io(s, c, start, count, buf, 0));
        for (uint64_t i = 0; i < count; i++) {
            smx__record *r = &out[i];
            const unsigned char *p = buf + i * col_size(s, c);
            switch (c) {
            case C_STATUS:
                r->status = p[0];
                break;
            case C_ATTEMPTS:
                memcpy(&r->attempts, p, 2);
                break;
            case C_RANK:
                memcpy(&r->rank, p, 4);
                break;
            case C_EXIT:
                memcpy(&r->exit_code, p, 4);
                break;
            case C_SIGNAL:
                memcpy(&r->term_signal, p, 4);
                break;
            case C_HOST:
                memcpy(&r->host, p, 2);
                break;
            case C_JOB:
                memcpy(&r->job, p, 2);
                break;
            case C_TSTART:
                memcpy(&r->t_start, p, 8);
                break;
            case C_TEND:
                memcpy(&r->t_end, p, 8);
                break;
            default:
                memcpy(r->results, p, 8 * (size_t)s->rwidth);
                /* An older file's NaN is "not reported": in memory it always has one value. */
                for (int k = 0; !s->marks_missing && k < s->rwidth; k++)
                    if (isnan(r->results[k]))
                        r->results[k] = smx__result_missing();
                break;
            }
            r->index = start + i;
        }
    }
    for (uint64_t i = 0; i < count; i++)
        out[i].ncols = (uint16_t)s->rwidth;
    rc = check_statuses(s, &out[0].status, sizeof *out, start, count);
done:
    s->rwidth = s->rcols;
    free(buf);
    return rc;
}

typedef struct ord {
    uint64_t index;
    size_t pos;
} ord;

static int ord_cmp(const void *a, const void *b)
{
    const ord *x = a, *y = b;
    if (x->index != y->index)
        return x->index < y->index ? -1 : 1;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/*
 * Sorts the N indices (keeping, for an index given twice, the last one given) into O and returns
 * the number of distinct indices. Checks that each is below LIMIT.
 */
static int sort_indices(const smx__records *s, ord *o, size_t n, size_t *nu)
{
    for (size_t i = 0; i < n; i++)
        if (o[i].index >= s->n)
            return smx__error(SMX_EUSAGE, "%s: session %s: element %llu out of range (%llu)",
                              s->st->path, s->name, (unsigned long long)o[i].index,
                              (unsigned long long)s->n);
    int sorted = 1;
    for (size_t i = 1; i < n && sorted; i++)
        sorted = o[i - 1].index < o[i].index;
    if (!sorted)
        qsort(o, n, sizeof *o, ord_cmp);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (k > 0 && o[k - 1].index == o[i].index)
            o[k - 1] = o[i]; /* the later one given wins */
        else
            o[k++] = o[i];
    }
    *nu = k;
    return 0;
}

/* Above this many runs of consecutive indices a point selection is used (see select_rows). */
#define RUNS_MAX_HYPERSLAB 16

/*
 * Selects the sorted distinct indices of O in the file space FS of a column of RANK 1 or 2 (the
 * second dimension selected whole). A few runs of consecutive indices become one hyperslab block
 * each; many runs become a point selection instead, because OR-ing blocks into a hyperslab costs
 * HDF5 1.10 about 4 us per block (4 ms per column for 1000 scattered records) while a point list
 * of the same records is selected in 0.03 ms and written as fast.
 */
static herr_t select_rows(hid_t fs, const ord *o, size_t n, int rank, hsize_t width)
{
    size_t runs = 1;
    for (size_t i = 1; i < n; i++)
        runs += o[i].index != o[i - 1].index + 1;
    if (runs > RUNS_MAX_HYPERSLAB) {
        size_t per = rank == 2 ? (size_t)width : 1;
        hsize_t *co = malloc(n * per * (size_t)rank * sizeof *co);
        if (!co)
            return -1;
        for (size_t i = 0, k = 0; i < n; i++) {
            for (size_t j = 0; j < per; j++) {
                co[k++] = o[i].index;
                if (rank == 2)
                    co[k++] = j;
            }
        }
        herr_t r = H5Sselect_elements(fs, H5S_SELECT_SET, n * per, co);
        free(co);
        return r;
    }
    H5S_seloper_t op = H5S_SELECT_SET;
    size_t i = 0;
    while (i < n) {
        size_t j = i + 1;
        while (j < n && o[j].index == o[j - 1].index + 1)
            j++;
        hsize_t start[2] = {o[i].index, 0}, count[2] = {j - i, width};
        if (H5Sselect_hyperslab(fs, op, start, NULL, count, NULL) < 0)
            return -1;
        op = H5S_SELECT_OR;
        i = j;
    }
    return 0;
}

/* Writes BUF (N values in the order of O) to the selected rows of column C. */
static int write_sel(smx__records *s, int c, const ord *o, size_t n, const void *buf)
{
    int rc = 0;
    hid_t fs = H5I_INVALID_HID, ms = H5I_INVALID_HID, ft = H5I_INVALID_HID, mt = H5I_INVALID_HID;
    hsize_t dims[2] = {n, (hsize_t)s->rwidth};
    int rank = c == C_RESULTS ? 2 : 1;
    SMX_H5(col_types(c, &ft, &mt), "%s: types of %s", s->st->path, col_names[c]);
    SMX_H5(fs = H5Dget_space(s->col[c]), "%s: dataspace of %s", s->st->path, col_names[c]);
    SMX_H5(select_rows(fs, o, n, rank, dims[1]), "%s: selection in /sessions/%s/%s", s->st->path,
           s->name, col_names[c]);
    SMX_H5(ms = H5Screate_simple(rank, dims, NULL), "%s: memory space", s->st->path);
    SMX_H5(H5Dwrite(s->col[c], mt, ms, fs, H5P_DEFAULT, buf), "%s: cannot write /sessions/%s/%s",
           s->st->path, s->name, col_names[c]);
done:
    close_id(&fs);
    close_id(&ms);
    close_id(&ft);
    close_id(&mt);
    return rc;
}

static int check_writable(const smx__records *s)
{
    if (s->st->mode != SMX__STORE_WRITE)
        return smx__error(SMX_EUSAGE, "%s was opened read-only", s->st->path);
    return 0;
}

/* Copies field C of record R into P (one row of column C; results: WIDTH columns). */
static void pack_field(int c, const smx__record *r, unsigned char *p, int width)
{
    switch (c) {
    case C_STATUS:
        p[0] = r->status;
        break;
    case C_ATTEMPTS:
        memcpy(p, &r->attempts, 2);
        break;
    case C_RANK:
        memcpy(p, &r->rank, 4);
        break;
    case C_EXIT:
        memcpy(p, &r->exit_code, 4);
        break;
    case C_SIGNAL:
        memcpy(p, &r->term_signal, 4);
        break;
    case C_HOST:
        memcpy(p, &r->host, 2);
        break;
    case C_JOB:
        memcpy(p, &r->job, 2);
        break;
    case C_TSTART:
        memcpy(p, &r->t_start, 8);
        break;
    case C_TEND:
        memcpy(p, &r->t_end, 8);
        break;
    default:
        memcpy(p, r->results, 8 * (size_t)width);
        break;
    }
}

/*
 * Records whose indices lie within this distance of each other are written as one block: the
 * block is read, patched and written back as a single hyperslab. Completions from many ranks
 * claiming neighbouring positions interleave, so a batch is a few dense clusters with holes;
 * point selections of such batches cost HDF5 1.10 about 15,000 instructions per record, a block
 * read-modify-write a few hundred. Only the writer thread writes, so rewriting the untouched
 * rows of a block with what they held is safe.
 */
#define CLUSTER_GAP 512

int smx__records_write_records(smx__records *s, const smx__record *recs, size_t n)
{
    int rc = 0;
    ord *o = NULL;
    unsigned char *buf = NULL;
    size_t nu = 0, cap = 0;
    h5_quiet();
    CHECK(check_writable(s));
    if (n == 0)
        return 0;
    if (!(o = malloc(n * sizeof *o))) {
        rc = smx__error_oom();
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        o[i].index = recs[i].index;
        o[i].pos = i;
        if (recs[i].status > SMX_STATUS_FAILED) {
            rc = smx__error(SMX_EUSAGE, "%s: element %llu: invalid status %u", s->st->path,
                            (unsigned long long)recs[i].index, recs[i].status);
            goto done;
        }
    }
    CHECK(sort_indices(s, o, n, &nu));
    for (size_t a = 0; a < nu;) {
        size_t b = a + 1;
        while (b < nu && o[b].index - o[b - 1].index <= CLUSTER_GAP)
            b++;
        uint64_t lo = o[a].index, span = o[b - 1].index - lo + 1;
        int dense = span == b - a; /* every row of the block is written: no read needed */
        int named = 0;
        for (size_t i = a; i < b; i++)
            named = recs[o[i].pos].ncols > named ? recs[o[i].pos].ncols : named;
        s->rwidth = result_width(s, named);
        if (span * 8 * (size_t)(s->rwidth ? s->rwidth : 1) > cap) {
            cap = span * 8 * (size_t)(s->rwidth ? s->rwidth : 1);
            unsigned char *nb = realloc(buf, cap);
            if (!nb) {
                rc = smx__error_oom();
                goto done;
            }
            buf = nb;
        }
        /*
         * Status goes last: a write that fails part-way (ENOSPC, EIO) must not leave an element
         * `done` whose other columns never reached the file (A3-3). Until its status is written it
         * stays `running`, and runs again. C_STATUS is column 0, so k % NCOL reaches it last.
         */
        for (int k = 1; k <= NCOL; k++) {
            int c = k % NCOL;
            size_t w = col_size(s, c);
            if (c == C_RESULTS && w == 0)
                continue;
            if (!dense)
                CHECK(rows_io(s, c, lo, span, buf, 0));
            for (size_t i = a; i < b; i++)
                pack_field(c, &recs[o[i].pos], buf + (o[i].index - lo) * w, s->rwidth);
            CHECK(rows_io(s, c, lo, span, buf, 1));
        }
        a = b;
    }
done:
    s->rwidth = s->rcols;
    free(o);
    free(buf);
    return rc;
}

int smx__records_write_state(smx__records *s, const uint64_t *idx, const uint8_t *status,
                             const uint16_t *attempts, size_t n)
{
    int rc = 0;
    ord *o = NULL;
    unsigned char *buf = NULL;
    size_t nu = 0;
    h5_quiet();
    CHECK(check_writable(s));
    if (n == 0)
        return 0;
    if (!(o = malloc(n * sizeof *o)) || !(buf = malloc(n * 2))) {
        rc = smx__error_oom();
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        o[i].index = idx[i];
        o[i].pos = i;
        if (status[i] > SMX_STATUS_FAILED) {
            rc = smx__error(SMX_EUSAGE, "%s: element %llu: invalid status %u", s->st->path,
                            (unsigned long long)idx[i], status[i]);
            goto done;
        }
    }
    CHECK(sort_indices(s, o, n, &nu));
    /* Attempts first, status last (see smx__records_write_records). */
    for (size_t i = 0; i < nu; i++)
        memcpy(buf + 2 * i, &attempts[o[i].pos], 2);
    CHECK(write_sel(s, C_ATTEMPTS, o, nu, buf));
    for (size_t i = 0; i < nu; i++)
        buf[i] = status[o[i].pos];
    CHECK(write_sel(s, C_STATUS, o, nu, buf));
done:
    free(o);
    free(buf);
    return rc;
}

/* Largest block a range write patches in memory at once (rows; 3 bytes each, 131 with NaNs). */
#define RANGE_BLOCK_MAX ((uint64_t)1 << 18)

/*
 * Patches the status and attempts of ranges R[0..N) into the block of rows [LO, LO + SPAN) (read
 * first unless the ranges cover it completely) and writes the block back.
 */
static int patch_block(smx__records *s, const smx__range *r, const size_t *order, size_t n,
                       uint64_t lo, uint64_t span, uint64_t covered, unsigned char *buf)
{
    int rc = 0;
    unsigned char *st = buf, *at = buf + span, *res = NULL;
    int nan_cols = 0;
    for (size_t k = 0; k < n; k++) {
        int c = r[order ? order[k] : k].nan_results;
        nan_cols = c > nan_cols ? c : nan_cols;
    }
    if (covered < span) {
        CHECK(rows_io(s, C_STATUS, lo, span, st, 0));
        CHECK(rows_io(s, C_ATTEMPTS, lo, span, at, 0));
    }
    /* Named result columns must read NaN ("not reported"); the other columns are left alone. */
    s->rwidth = result_width(s, nan_cols);
    if (nan_cols > 0) {
        if (!(res = malloc(span * col_size(s, C_RESULTS)))) {
            rc = smx__error_oom();
            goto done;
        }
        CHECK(rows_io(s, C_RESULTS, lo, span, res, 0));
    }
    for (size_t k = 0; k < n; k++) {
        const smx__range *x = &r[order ? order[k] : k];
        uint64_t off = x->first - lo;
        memset(st + off, x->status, x->count);
        for (uint64_t i = 0; i < x->count; i++) {
            memcpy(at + 2 * (off + i), &x->attempts, 2);
            for (int c = 0; c < x->nan_results && c < s->rwidth; c++) {
                double nan = smx__result_missing();
                memcpy(res + (off + i) * col_size(s, C_RESULTS) + 8 * (size_t)c, &nan, 8);
            }
        }
    }
    /* Status last, as in smx__records_write_records: a failed write leaves no half-written record.
     */
    if (res)
        CHECK(rows_io(s, C_RESULTS, lo, span, res, 1));
    CHECK(rows_io(s, C_ATTEMPTS, lo, span, at, 1));
    CHECK(rows_io(s, C_STATUS, lo, span, st, 1));
done:
    s->rwidth = s->rcols;
    free(res);
    return rc;
}

static int check_ranges(const smx__records *s, const smx__range *r, size_t n, uint64_t *lo,
                        uint64_t *hi, uint64_t *total)
{
    *lo = UINT64_MAX;
    *hi = *total = 0;
    for (size_t i = 0; i < n; i++) {
        if (r[i].count == 0 || r[i].first >= s->n || r[i].count > s->n - r[i].first)
            return smx__error(SMX_EUSAGE, "%s: session %s: range %llu+%llu out of range (%llu)",
                              s->st->path, s->name, (unsigned long long)r[i].first,
                              (unsigned long long)r[i].count, (unsigned long long)s->n);
        if (r[i].status > SMX_STATUS_FAILED)
            return smx__error(SMX_EUSAGE, "%s: elements %llu+%llu: invalid status %u", s->st->path,
                              (unsigned long long)r[i].first, (unsigned long long)r[i].count,
                              r[i].status);
        if (r[i].first < *lo)
            *lo = r[i].first;
        if (r[i].first + r[i].count > *hi)
            *hi = r[i].first + r[i].count;
        *total += r[i].count;
    }
    return 0;
}

int smx__records_write_ranges(smx__records *s, const smx__range *r, size_t n)
{
    int rc = 0;
    ord *o = NULL;
    size_t *order = NULL;
    unsigned char *buf = NULL;
    uint64_t lo, hi, total;
    h5_quiet();
    CHECK(check_writable(s));
    if (n == 0)
        return 0;
    CHECK(check_ranges(s, r, n, &lo, &hi, &total));
    /*
     * Completions cluster just behind the claim frontier, so a batch usually covers most of the
     * rows between its lowest and highest index: then one block is patched with no sort at all.
     */
    if (hi - lo <= RANGE_BLOCK_MAX && hi - lo <= 4 * total + 4096) {
        if (!(buf = malloc(3 * (hi - lo)))) {
            rc = smx__error_oom();
            goto done;
        }
        CHECK(patch_block(s, r, NULL, n, lo, hi - lo, total, buf));
        goto done;
    }
    /* Scattered: sort and patch clusters of nearby ranges, each as one block. */
    if (!(o = malloc(n * sizeof *o)) || !(order = malloc(n * sizeof *order)) ||
        !(buf = malloc(3 * RANGE_BLOCK_MAX))) {
        rc = smx__error_oom();
        goto done;
    }
    for (size_t i = 0; i < n; i++)
        o[i] = (ord){r[i].first, i};
    qsort(o, n, sizeof *o, ord_cmp);
    for (size_t a = 0; a < n;) {
        const smx__range *x = &r[o[a].pos];
        if (x->count > RANGE_BLOCK_MAX) { /* one huge range: written in pieces */
            for (uint64_t off = 0; off < x->count; off += RANGE_BLOCK_MAX) {
                smx__range piece = *x;
                piece.first = x->first + off;
                piece.count = x->count - off < RANGE_BLOCK_MAX ? x->count - off : RANGE_BLOCK_MAX;
                CHECK(patch_block(s, &piece, NULL, 1, piece.first, piece.count, piece.count, buf));
            }
            a++;
            continue;
        }
        uint64_t start = x->first, end = x->first + x->count, covered = x->count;
        size_t b = a + 1;
        for (; b < n; b++) {
            const smx__range *y = &r[o[b].pos];
            if (y->first - end > CLUSTER_GAP || y->first + y->count - start > RANGE_BLOCK_MAX)
                break;
            end = y->first + y->count;
            covered += y->count;
        }
        for (size_t k = a; k < b; k++)
            order[k - a] = o[k].pos;
        CHECK(patch_block(s, r, order, b - a, start, end - start, covered, buf));
        a = b;
    }
done:
    free(o);
    free(order);
    free(buf);
    return rc;
}

int smx__records_nan_results(smx__records *s, int col, const smx__range *runs, size_t n)
{
    int rc = 0;
    hid_t fs = H5I_INVALID_HID, ms = H5I_INVALID_HID, ft = H5I_INVALID_HID, mt = H5I_INVALID_HID;
    double *nan_buf = NULL;
    const uint64_t piece = 65536;
    h5_quiet();
    CHECK(check_writable(s));
    if (col < 0 || col >= s->rcols)
        return smx__error(SMX_EUSAGE, "%s: result column %d out of range", s->st->path, col);
    uint64_t lo, hi, total;
    CHECK(check_ranges(s, runs, n, &lo, &hi, &total));
    if (!(nan_buf = malloc(piece * sizeof(double)))) {
        rc = smx__error_oom();
        goto done;
    }
    for (uint64_t i = 0; i < piece; i++)
        nan_buf[i] = smx__result_missing();
    SMX_H5(col_types(C_RESULTS, &ft, &mt), "%s: types of results", s->st->path);
    SMX_H5(fs = H5Dget_space(s->col[C_RESULTS]), "%s: dataspace of results", s->st->path);
    for (size_t k = 0; k < n; k++) {
        for (uint64_t off = 0; off < runs[k].count; off += piece) {
            hsize_t start[2] = {runs[k].first + off, (hsize_t)col};
            hsize_t cnt[2] = {runs[k].count - off < piece ? runs[k].count - off : piece, 1};
            SMX_H5(H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, cnt, NULL),
                   "%s: selection in results", s->st->path);
            SMX_H5(ms = H5Screate_simple(2, cnt, NULL), "%s: memory space", s->st->path);
            SMX_H5(H5Dwrite(s->col[C_RESULTS], mt, ms, fs, H5P_DEFAULT, nan_buf),
                   "%s: cannot write /sessions/%s/results", s->st->path, s->name);
            close_id(&ms);
        }
    }
done:
    close_id(&fs);
    close_id(&ms);
    close_id(&ft);
    close_id(&mt);
    free(nan_buf);
    return rc;
}

/* Writes one row ROW of table T from BUF. */
static int put_row(smx__records *s, int t, hsize_t row, const void *buf)
{
    int rc = 0;
    hid_t fs = H5I_INVALID_HID, ms = H5I_INVALID_HID, ft = H5I_INVALID_HID, mt = H5I_INVALID_HID;
    hsize_t one = 1;
    CHECK(check_writable(s));
    SMX_H5(tab_types(t, &ft, &mt), "%s: types of %s", s->st->path, tab_names[t]);
    SMX_H5(fs = H5Dget_space(s->tab[t]), "%s: dataspace of %s", s->st->path, tab_names[t]);
    SMX_H5(H5Sselect_hyperslab(fs, H5S_SELECT_SET, &row, NULL, &one, NULL), "%s: selection",
           s->st->path);
    SMX_H5(ms = H5Screate_simple(1, &one, NULL), "%s: memory space", s->st->path);
    SMX_H5(H5Dwrite(s->tab[t], mt, ms, fs, H5P_DEFAULT, buf),
           "%s: cannot write row %llu of /sessions/%s/%s", s->st->path, (unsigned long long)row,
           s->name, tab_names[t]);
done:
    close_id(&fs);
    close_id(&ms);
    close_id(&ft);
    close_id(&mt);
    return rc;
}

static int check_row(const smx__records *s, int t, int row)
{
    hsize_t rows = t == T_RESULT_NAMES ? (hsize_t)s->rcols : tab_rows[t];
    if (row < 0 || (hsize_t)row >= rows)
        return smx__error(SMX_EUSAGE, "%s: row %d of /sessions/%s/%s is out of range (0..%llu)",
                          s->st->path, row, s->name, tab_names[t], (unsigned long long)rows - 1);
    return 0;
}

int smx__records_result_names(smx__records *s, char (*names)[SMX__RESULT_NAME_MAX])
{
    h5_quiet();
    /* A format-2 session has 16 rows: the others read as unused. */
    memset(names, 0, (size_t)SMX__RESULT_COLUMNS * SMX__RESULT_NAME_MAX);
    int rc = whole_io(s, s->tab[T_RESULT_NAMES], 0, T_RESULT_NAMES, names, 0);
    for (int i = 0; rc == 0 && i < SMX__RESULT_COLUMNS; i++) {
        names[i][SMX__RESULT_NAME_MAX - 1] = '\0';
        /* A name a writer added after this handle counted them: its column is not read. */
        if (i >= s->rnamed)
            names[i][0] = '\0';
    }
    return rc;
}

int smx__records_result_columns(const smx__records *s)
{
    return s->rcols;
}

int smx__records_set_result_name(smx__records *s, int col, const char *name)
{
    char buf[SMX__RESULT_NAME_MAX] = {0};
    h5_quiet();
    int rc = check_row(s, T_RESULT_NAMES, col);
    if (rc)
        return rc;
    snprintf(buf, sizeof buf, "%s", name ? name : "");
    rc = put_row(s, T_RESULT_NAMES, (hsize_t)col, buf);
    if (rc == SMX_OK && buf[0] && col >= s->rnamed)
        s->rnamed = col + 1;
    return rc;
}

int smx__records_hosts(smx__records *s, char (*hosts)[SMX__HOST_NAME_MAX])
{
    h5_quiet();
    int rc = whole_io(s, s->tab[T_HOSTS], 0, T_HOSTS, hosts, 0);
    for (int i = 0; rc == 0 && i < SMX__HOSTS_MAX; i++)
        hosts[i][SMX__HOST_NAME_MAX - 1] = '\0';
    return rc;
}

int smx__records_set_host(smx__records *s, int row, const char *name)
{
    char buf[SMX__HOST_NAME_MAX] = {0};
    h5_quiet();
    int rc = check_row(s, T_HOSTS, row);
    if (rc)
        return rc;
    snprintf(buf, sizeof buf, "%s", name ? name : "");
    return put_row(s, T_HOSTS, (hsize_t)row, buf);
}

int smx__records_jobs(smx__records *s, smx__job *jobs)
{
    h5_quiet();
    /* Files written before the claims column lack it: HDF5 leaves the zeroed field alone. */
    memset(jobs, 0, sizeof *jobs * SMX__JOBS_MAX);
    int rc = whole_io(s, s->tab[T_JOBS], 0, T_JOBS, jobs, 0);
    for (int i = 0; rc == 0 && i < SMX__JOBS_MAX; i++) {
        jobs[i].id[sizeof jobs[i].id - 1] = '\0';
        jobs[i].host[sizeof jobs[i].host - 1] = '\0';
        jobs[i].reason[sizeof jobs[i].reason - 1] = '\0';
        jobs[i].claims[sizeof jobs[i].claims - 1] = '\0';
    }
    return rc;
}

int smx__records_put_job(smx__records *s, int row, const smx__job *job)
{
    h5_quiet();
    int rc = check_row(s, T_JOBS, row);
    if (rc)
        return rc;
    smx__job j;
    memset(&j, 0, sizeof j);
    snprintf(j.id, sizeof j.id, "%.*s", (int)sizeof job->id, job->id);
    snprintf(j.host, sizeof j.host, "%.*s", (int)sizeof job->host, job->host);
    snprintf(j.reason, sizeof j.reason, "%.*s", (int)sizeof job->reason, job->reason);
    snprintf(j.claims, sizeof j.claims, "%.*s", (int)sizeof job->claims, job->claims);
    j.t_start = job->t_start;
    j.t_end = job->t_end;
    j.ranks = job->ranks;
    j.exit_code = job->exit_code;
    return put_row(s, T_JOBS, (hsize_t)row, &j);
}

int smx__records_failures(smx__records *s, smx__failure *failures)
{
    h5_quiet();
    int rc = whole_io(s, s->tab[T_FAILURES], 0, T_FAILURES, failures, 0);
    for (int i = 0; rc == 0 && i < SMX__FAILURES_MAX; i++)
        failures[i].tail[SMX__TAIL_MAX - 1] = '\0';
    return rc;
}

int smx__records_put_failure(smx__records *s, int slot, const smx__failure *f)
{
    h5_quiet();
    int rc = check_row(s, T_FAILURES, slot);
    if (rc)
        return rc;
    smx__failure x;
    memset(&x, 0, sizeof x);
    x.index = f->index;
    x.attempt = f->attempt;
    x.exit_code = f->exit_code;
    x.term_signal = f->term_signal;
    x.t_end = f->t_end;
    snprintf(x.tail, sizeof x.tail, "%.*s", (int)sizeof f->tail, f->tail);
    return put_row(s, T_FAILURES, (hsize_t)slot, &x);
}

int smx__records_meta(smx__records *s, int64_t *meta)
{
    h5_quiet();
    int rc = whole_io(s, s->tab[T_META], 0, T_META, meta, 0);
    if (rc != SMX_OK)
        return rc;
    /* Counters index tables and size allocations: a damaged one must not be used (A3-2). */
    static const struct {
        int slot;
        const char *what;
    } counters[] = {{SMX__META_N_JOBS, "n_jobs"},         {SMX__META_N_HOSTS, "n_hosts"},
                    {SMX__META_N_FAILURES, "n_failures"}, {SMX__META_N_DONE, "n_done"},
                    {SMX__META_N_FAILED, "n_failed"},     {SMX__META_MARK_JOB, "mark_job"},
                    {SMX__META_MARK_INDEX, "mark_index"}, {SMX__META_MARK_RETRIES, "mark_retries"}};
    for (size_t k = 0; k < sizeof counters / sizeof counters[0]; k++) {
        int64_t v = meta[counters[k].slot];
        int slot = counters[k].slot;
        int64_t max =
            slot == SMX__META_N_HOSTS ? SMX__HOSTS_MAX
            : slot == SMX__META_N_DONE || slot == SMX__META_N_FAILED || slot == SMX__META_MARK_INDEX
                ? (int64_t)s->n
            : slot == SMX__META_MARK_RETRIES ? SMX__ATTEMPTS_MAX
                                             : INT64_MAX / 2;
        if (v < 0 || v > max)
            return smx__error(SMX_EIO,
                              "%s: /sessions/%s/meta: %s is %lld, expected 0 to %lld: the file is "
                              "damaged",
                              s->st->path, s->name, counters[k].what, (long long)v, (long long)max);
    }
    return SMX_OK;
}

int smx__records_put_meta(smx__records *s, const int64_t *meta)
{
    h5_quiet();
    int rc = check_writable(s);
    if (rc)
        return rc;
    return whole_io(s, s->tab[T_META], 0, T_META, (void *)meta, 1);
}

/* ---------------------------------------------------------------------------------------------
 * The stored inputs (params.c)
 * ------------------------------------------------------------------------------------------- */

int smx__spec_from_stored(smx_spec **out, const char *text, size_t len, const char *where,
                          const char *csv, size_t csv_len, const uint64_t *runs, size_t nruns)
{
    int rc = smx__spec_parse_captured(out, text, len, where, NULL, csv, csv_len);
    if (rc == SMX_OK && nruns && (rc = smx__spec_set_order(*out, runs, nruns))) {
        smx__spec_free(*out);
        *out = NULL;
    }
    if (rc != SMX_OK)
        rc = smx__error_prefix(SMX_EFORMAT, "the spec stored in %s does not parse", where);
    return rc;
}

int smx__store_inputs(smx__store *st, char **csv, size_t *csv_len, uint64_t **runs, size_t *nruns)
{
    h5_quiet();
    return smx__inputs_read(st->file, st->path, csv, csv_len, runs, nruns);
}

int smx__store_params(smx__store *st, smx__params **out)
{
    h5_quiet();
    return smx__params_open(st->file, st->path, out);
}

int smx__store_load_spec(smx__store *st, smx_spec **out)
{
    char *text = NULL, *csv = NULL, hash[65];
    size_t len = 0, csv_len = 0, nruns = 0;
    uint64_t *runs = NULL;
    *out = NULL;
    int rc = smx__store_spec(st, &text, &len, hash);
    if (rc == SMX_OK)
        rc = smx__store_inputs(st, &csv, &csv_len, &runs, &nruns);
    if (rc == SMX_OK)
        rc = smx__spec_from_stored(out, text, len, st->path, csv, csv_len, runs, nruns);
    free(text);
    free(csv);
    free(runs);
    return rc;
}

int smx__store_workdir(smx__store *st, char **out)
{
    h5_quiet();
    *out = NULL;
    htri_t has = H5Aexists(st->file, "workdir");
    if (has < 0)
        return h5_error(SMX_EIO, "%s: cannot read root attributes", st->path);
    if (!has)
        return (*out = strdup("")) ? 0 : smx__error_oom();
    return read_str_attr(st->file, "workdir", out, st->path);
}
