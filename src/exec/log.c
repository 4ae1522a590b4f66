/*
 * Task output logs (see log.h). The per-rank log is appended to with explicit offsets rather than
 * O_APPEND, because copy_file_range refuses an O_APPEND destination and in-kernel copies are what
 * keep a task's hundreds of megabytes of output out of this process's memory. Each rank is the only
 * writer of its files, so tracking the end offset here is safe.
 */
#include "exec/log.h"

#include "core/error.h"
#include "core/fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct smx__log {
    smx__log_mode mode;
    int rank;
    char *dir;
    int log_fd;             /* rank-NNNNN.log, written at explicit offsets */
    int idx_fd;             /* rank-NNNNN.idx, O_APPEND */
    off_t log_end;          /* where the next record of rank-NNNNN.log goes */
    smx__fs_copy_caps caps; /* in-kernel copies that do not work into this log directory */
    char *path_buf;         /* scratch for file names in the log directory */
    size_t path_cap;
};

int smx__log_mkdirs(const char *path)
{
    if (!path || !*path)
        return smx__error(SMX_EIO, "cannot create directory: empty path");
    struct stat st;
    if (stat(path, &st) == 0) {
        if (S_ISDIR(st.st_mode))
            return 0;
        return smx__error(SMX_EIO, "cannot create directory '%s': %s", path, strerror(ENOTDIR));
    }
    char *p = strdup(path);
    if (!p)
        return smx__error_oom();
    /* Walk the components left to right; EEXIST on a component is fine (someone else made it). */
    for (char *s = p + 1;; s++) {
        if (*s != '/' && *s != '\0')
            continue;
        char c = *s;
        *s = '\0';
        if (mkdir(p, 0777) != 0 && errno != EEXIST) {
            int e = errno;
            int rc = smx__error(SMX_EIO, "cannot create directory '%s': %s", p, strerror(e));
            free(p);
            return rc;
        }
        *s = c;
        if (c == '\0')
            break;
        while (s[1] == '/')
            s++;
    }
    free(p);
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return smx__error(SMX_EIO, "cannot create directory '%s': %s", path, strerror(ENOTDIR));
    return 0;
}

static const char *log_path(smx__log *log, const char *fmt_name)
{
    size_t need = strlen(log->dir) + strlen(fmt_name) + 2;
    if (need > log->path_cap) {
        char *np = realloc(log->path_buf, need);
        if (!np)
            return NULL;
        log->path_buf = np;
        log->path_cap = need;
    }
    snprintf(log->path_buf, log->path_cap, "%s/%s", log->dir, fmt_name);
    return log->path_buf;
}

void smx__log_close(smx__log *log)
{
    if (!log)
        return;
    if (log->log_fd >= 0)
        close(log->log_fd);
    if (log->idx_fd >= 0)
        close(log->idx_fd);
    free(log->dir);
    free(log->path_buf);
    free(log);
}

static int open_rank_files(smx__log *log)
{
    char name[64];
    snprintf(name, sizeof name, "rank-%05d.log", log->rank);
    const char *p = log_path(log, name);
    if (!p)
        return smx__error_oom();
    log->log_fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
    if (log->log_fd < 0)
        return smx__error(SMX_EIO, "cannot open log '%s': %s", p, strerror(errno));
    /* A resumed job appends after what the previous one wrote, even a torn last record: the
     * index only ever points at complete payloads, because its line is written after them. */
    log->log_end = lseek(log->log_fd, 0, SEEK_END);
    if (log->log_end < 0)
        return smx__error(SMX_EIO, "cannot seek log '%s': %s", p, strerror(errno));
    if (log->log_end > 0) {
        /* After a torn record, start the next header on a line of its own. */
        int rfd = open(p, O_RDONLY | O_CLOEXEC);
        char last = '\n';
        if (rfd >= 0) {
            if (pread(rfd, &last, 1, log->log_end - 1) != 1)
                last = '\n';
            close(rfd);
        }
        if (last != '\n') {
            if (pwrite(log->log_fd, "\n", 1, log->log_end) != 1)
                return smx__error(SMX_EIO, "cannot write log '%s': %s", p, strerror(errno));
            log->log_end++;
        }
    }

    snprintf(name, sizeof name, "rank-%05d.idx", log->rank);
    p = log_path(log, name);
    if (!p)
        return smx__error_oom();
    log->idx_fd = open(p, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
    if (log->idx_fd < 0)
        return smx__error(SMX_EIO, "cannot open log index '%s': %s", p, strerror(errno));
    /* If a killed job left half an index line, end it so that our first line stays parseable. */
    struct stat st;
    if (fstat(log->idx_fd, &st) == 0 && st.st_size > 0) {
        int rfd = open(p, O_RDONLY | O_CLOEXEC);
        char last = '\n';
        if (rfd >= 0) {
            if (pread(rfd, &last, 1, st.st_size - 1) != 1)
                last = '\n';
            close(rfd);
        }
        if (last != '\n' && write(log->idx_fd, "\n", 1) != 1)
            return smx__error(SMX_EIO, "cannot write log index '%s': %s", p, strerror(errno));
    }
    return 0;
}

int smx__log_open(smx__log **out, const char *dir, int rank, smx__log_mode mode)
{
    if (!out)
        return smx__error(SMX_EUSAGE, "smx__log_open: NULL out");
    *out = NULL;
    if (mode != SMX__LOG_PER_RANK && mode != SMX__LOG_PER_TASK && mode != SMX__LOG_NONE)
        return smx__error(SMX_EUSAGE, "smx__log_open: unknown log mode %d", (int)mode);
    if (mode != SMX__LOG_NONE && (!dir || !*dir))
        return smx__error(SMX_EUSAGE, "smx__log_open: no log directory");
    if (rank < 0)
        return smx__error(SMX_EUSAGE, "smx__log_open: negative rank %d", rank);

    smx__log *log = calloc(1, sizeof *log);
    if (!log)
        return smx__error_oom();
    log->mode = mode;
    log->rank = rank;
    log->log_fd = -1;
    log->idx_fd = -1;
    log->dir = strdup(dir ? dir : "");
    if (!log->dir) {
        free(log);
        return smx__error_oom();
    }
    int rc = 0;
    if (mode != SMX__LOG_NONE)
        rc = smx__log_mkdirs(log->dir);
    if (rc == 0 && mode == SMX__LOG_PER_RANK)
        rc = open_rank_files(log);
    if (rc != 0) {
        smx__log_close(log);
        return rc;
    }
    *out = log;
    return 0;
}

/*
 * Opens SRC if the caller did not, and finds its size. *OWNED says whether to close the fd. Returns
 * 0, 1 for a missing stream (an empty one), or SMX_EIO with the error set.
 */
static int src_open(const smx__log_src *src, int *fd, long long *size, int *owned)
{
    *owned = 0;
    *fd = src->fd;
    *size = src->size;
    if (*fd < 0 && src->path) {
        *fd = open(src->path, O_RDONLY | O_CLOEXEC);
        if (*fd < 0 && errno == ENOENT)
            return 1; /* a missing stream is an empty one */
        *owned = *fd >= 0;
    }
    struct stat st;
    if (*fd >= 0 && *size < 0 && fstat(*fd, &st) == 0)
        *size = (long long)st.st_size;
    if (*fd < 0 || *size < 0) {
        int e = *fd < 0 && !src->path ? EBADF : errno;
        if (*owned)
            close(*fd);
        *owned = 0;
        return smx__error(SMX_EIO, "cannot read task output '%s': %s", src->path ? src->path : "?",
                          strerror(e));
    }
    return 0;
}

/* Outputs from this size on are copied extent by extent, so that their holes stay holes. */
#define SPARSE_CHECK_MIN ((long long)1 << 20)

/*
 * Copies LEN bytes of IN (from offset 0) to OUT at OUT_OFF, like smx__fs_copy. A large IN is copied
 * one data extent at a time (SEEK_DATA/SEEK_HOLE) after OUT was extended over the whole range, so
 * a sparse output (a task that seeks its stdout far ahead) does not become gigabytes of zeros.
 */
static long long copy_output(int in, int out, off_t out_off, long long len, smx__fs_copy_caps *caps)
{
    /* No hole before LEN, or a file system that cannot tell: one plain copy. */
    off_t hole = len < SPARSE_CHECK_MIN ? -1 : lseek(in, 0, SEEK_HOLE);
    if (hole < 0 || hole >= len)
        return smx__fs_copy(in, 0, out, out_off, len, 0, caps);
    if (ftruncate(out, out_off + len) != 0)
        return -1;
    for (off_t pos = 0; pos < len;) {
        off_t d = lseek(in, pos, SEEK_DATA);
        if (d < 0 && errno != ENXIO)
            return -1;
        if (d < 0 || d >= len)
            break; /* a hole up to the end of the range (or of IN) */
        off_t h = lseek(in, d, SEEK_HOLE);
        if (h < 0 || h > len)
            h = len;
        long long got = smx__fs_copy(in, d, out, out_off + d, h - d, 0, caps);
        if (got < 0)
            return -1;
        if (got < h - d)
            return d + got; /* IN ended early: it was truncated under us */
        pos = h;
    }
    struct stat st;
    if (fstat(in, &st) != 0)
        return -1;
    return st.st_size < len ? (long long)st.st_size : len;
}

/* Appends one delimited stream to the rank log and its line to the index buffer IDX. */
static int log_stream_rank(smx__log *log, uint64_t index, int attempt, const char *stream,
                           const smx__log_src *src, char *idx, size_t idx_cap, size_t *idx_len)
{
    int fd, owned;
    long long size;
    int orc = src_open(src, &fd, &size, &owned);
    if (orc != 0)
        return orc > 0 ? 0 : orc;
    int rc = 0;
    long long total = size;
    if (size > SMX__LOG_STREAM_MAX)
        size = SMX__LOG_STREAM_MAX;
    /* The size can only shrink under us if someone truncates the scratch file; then the record
     * is rewritten with the size actually copied, so the header never lies. */
    for (int tries = 0; size > 0 && tries < 3; tries++) {
        char hdr[160];
        int hl =
            snprintf(hdr, sizeof hdr, "==> index=%" PRIu64 " attempt=%d stream=%s bytes=%lld <==\n",
                     index, attempt, stream, size);
        off_t start = log->log_end;
        off_t payload = start + hl;
        if (smx__fs_pwrite_all(log->log_fd, hdr, (size_t)hl, start) != 0) {
            rc = smx__error(SMX_EIO, "cannot write rank log: %s", strerror(errno));
            break;
        }
        long long got = copy_output(fd, log->log_fd, payload, size, &log->caps);
        if (got < 0) {
            rc = smx__error(SMX_EIO, "cannot copy task output '%s' to the rank log: %s",
                            src->path ? src->path : "?", strerror(errno));
            break;
        }
        if (got < size) {
            if (ftruncate(log->log_fd, start) != 0) {
                rc = smx__error(SMX_EIO, "cannot truncate rank log: %s", strerror(errno));
                break;
            }
            size = got;
            continue;
        }
        off_t end = payload + got;
        if (got > 0) {
            /* End the payload with a newline (outside the indexed bytes) so the next header
             * starts a line; peek at the last byte copied rather than trusting the source. */
            char last = '\n';
            if (pread(fd, &last, 1, (off_t)(got - 1)) != 1)
                last = '\n';
            if (last != '\n') {
                if (smx__fs_pwrite_all(log->log_fd, "\n", 1, end) != 0) {
                    rc = smx__error(SMX_EIO, "cannot write rank log: %s", strerror(errno));
                    break;
                }
                end++;
            }
            int n = snprintf(idx + *idx_len, idx_cap - *idx_len, "%" PRIu64 " %d %s %lld %lld\n",
                             index, attempt, stream, (long long)payload, got);
            if (n > 0 && (size_t)n < idx_cap - *idx_len)
                *idx_len += (size_t)n;
        }
        if (got == size && total > size) {
            char cut[200];
            int cl = snprintf(cut, sizeof cut,
                              "==> index=%" PRIu64 " attempt=%d stream=%s cut: the first %lld of "
                              "%lld bytes are logged <==\n",
                              index, attempt, stream, got, total);
            if (smx__fs_pwrite_all(log->log_fd, cut, (size_t)cl, end) != 0) {
                rc = smx__error(SMX_EIO, "cannot write rank log: %s", strerror(errno));
                break;
            }
            end += cl;
        }
        log->log_end = end;
        break;
    }
    if (owned)
        close(fd);
    return rc;
}

/* Moves (or copies) one non-empty stream to task-INDEX-ATTEMPT.EXT. */
static int log_stream_task(smx__log *log, uint64_t index, int attempt, const char *ext,
                           const smx__log_src *src)
{
    int fd, owned;
    long long size;
    int orc = src_open(src, &fd, &size, &owned);
    if (orc != 0)
        return orc > 0 ? 0 : orc;
    int rc = 0;
    if (size > 0) {
        char name[96];
        snprintf(name, sizeof name, "task-%" PRIu64 "-%d.%s", index, attempt, ext);
        const char *dst = log_path(log, name);
        if (!dst) {
            rc = smx__error_oom();
        } else if (!src->path || rename(src->path, dst) != 0) {
            /* Another file system (or no path): copy instead. */
            int out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
            if (out < 0) {
                rc = smx__error(SMX_EIO, "cannot create task log '%s': %s", dst, strerror(errno));
            } else {
                long long got = smx__fs_copy(fd, 0, out, 0, size, 0, &log->caps);
                if (got < 0)
                    rc =
                        smx__error(SMX_EIO, "cannot write task log '%s': %s", dst, strerror(errno));
                if (close(out) != 0 && rc == 0)
                    rc =
                        smx__error(SMX_EIO, "cannot write task log '%s': %s", dst, strerror(errno));
            }
        }
    }
    if (owned)
        close(fd);
    return rc;
}

int smx__log_task_src(smx__log *log, uint64_t index, int attempt, const smx__log_src *out,
                      const smx__log_src *err)
{
    if (!log || !out || !err)
        return smx__error(SMX_EUSAGE, "smx__log_task: NULL argument");
    if (log->mode == SMX__LOG_NONE)
        return 0;
    if (log->mode == SMX__LOG_PER_TASK) {
        int rc = log_stream_task(log, index, attempt, "out", out);
        int rc2 = log_stream_task(log, index, attempt, "err", err);
        return rc ? rc : rc2;
    }
    char idx[256];
    size_t idx_len = 0;
    int rc = log_stream_rank(log, index, attempt, "stdout", out, idx, sizeof idx, &idx_len);
    if (rc == 0)
        rc = log_stream_rank(log, index, attempt, "stderr", err, idx, sizeof idx, &idx_len);
    /* One write for both lines: with O_APPEND it lands whole even if several handles share a
     * directory by mistake, and a kill leaves at most one torn line (repaired at open). */
    if (idx_len > 0) {
        ssize_t w = write(log->idx_fd, idx, idx_len);
        if (w != (ssize_t)idx_len && rc == 0)
            rc = smx__error(SMX_EIO, "cannot write rank log index: %s",
                            w < 0 ? strerror(errno) : "short write");
    }
    return rc;
}

int smx__log_task(smx__log *log, uint64_t index, int attempt, const char *out_path,
                  const char *err_path)
{
    smx__log_src o = {out_path, -1, -1};
    smx__log_src e = {err_path, -1, -1};
    return smx__log_task_src(log, index, attempt, &o, &e);
}
