/* File-system helpers: see fsutil.h. */
#include "core/fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <unistd.h>

#include "core/error.h"

/* Bytes moved per read/write when the kernel cannot copy between the files itself. */
#define COPY_BUF ((size_t)1 << 20)

static int sync_fd_of(const char *path, int dir)
{
    int fd = open(path, (dir ? O_RDONLY | O_DIRECTORY : O_RDWR) | O_CLOEXEC);
    if (fd < 0)
        return smx__error(SMX_EIO, "cannot open %s to sync it: %s", path, strerror(errno));
    int r = fsync(fd);
    int e = errno;
    close(fd);
    /* Some file systems refuse fsync on a directory; what they hold is as durable as they make it.
     */
    if (r != 0 && !(dir && (e == EINVAL || e == EBADF)))
        return smx__error(SMX_EIO, "cannot fsync %s: %s", path, strerror(e));
    return 0;
}

int smx__fs_sync(const char *path)
{
    return sync_fd_of(path, 0);
}

int smx__fs_sync_dir_of(const char *path)
{
    char dir[PATH_MAX];
    const char *slash = strrchr(path, '/');
    if (!slash)
        return sync_fd_of(".", 1);
    size_t n = (size_t)(slash - path);
    if (n == 0)
        n = 1; /* "/file" */
    if (n >= sizeof dir)
        return smx__error(SMX_EIO, "path too long: %s", path);
    memcpy(dir, path, n);
    dir[n] = '\0';
    return sync_fd_of(dir, 1);
}

/* Errors that say copy_file_range cannot work between these two files (rather than failed). */
static int cfr_unsupported(int e)
{
    return e == EXDEV || e == EINVAL || e == ENOSYS || e == EOPNOTSUPP || e == EBADF ||
           e == ETXTBSY;
}

static int all_zero(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return 0;
    return 1;
}

int smx__fs_pwrite_all(int fd, const void *data, size_t len, off_t off)
{
    const char *buf = data;
    while (len > 0) {
        ssize_t w = pwrite(fd, buf, len, off);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        buf += w;
        len -= (size_t)w;
        off += w;
    }
    return 0;
}

/* copy_file_range until done, IN ends, or it turns out unsupported (*unsupported set, returns). */
static int copy_cfr(int in, loff_t *ip, int out, loff_t *op, long long *done, long long len,
                    int *unsupported)
{
    while (*done < len) {
        size_t want = len - *done > (1LL << 30) ? ((size_t)1 << 30) : (size_t)(len - *done);
        ssize_t c = copy_file_range(in, ip, out, op, want, 0);
        if (c < 0) {
            if (errno == EINTR)
                continue;
            if (cfr_unsupported(errno)) {
                *unsupported = 1;
                return 0;
            }
            return -1;
        }
        if (c == 0)
            return 1; /* IN ended */
        *done += c;
    }
    return 0;
}

/* sendfile writes at OUT's file position: the caller owns that position. Same contract. */
static int copy_sendfile(int in, loff_t *ip, int out, loff_t *op, long long *done, long long len,
                         int *unsupported)
{
    off_t s_in = (off_t)*ip;
    if (lseek(out, (off_t)*op, SEEK_SET) < 0)
        return -1;
    while (*done < len) {
        ssize_t c = sendfile(out, in, &s_in, (size_t)(len - *done));
        if (c < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP) {
                *unsupported = 1;
                return 0;
            }
            return -1;
        }
        if (c == 0)
            return 1;
        *done += c;
        *ip += c;
        *op += c;
    }
    return 0;
}

static int copy_rw(int in, loff_t *ip, int out, loff_t *op, long long *done, long long len,
                   int sparse)
{
    char *buf = malloc(COPY_BUF);
    if (!buf) {
        errno = ENOMEM;
        return -1;
    }
    int rc = 0;
    while (*done < len) {
        size_t want = (size_t)(len - *done) < COPY_BUF ? (size_t)(len - *done) : COPY_BUF;
        ssize_t r = pread(in, buf, want, (off_t)*ip);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            rc = r < 0 ? -1 : 1;
            break;
        }
        if (!(sparse && all_zero(buf, (size_t)r)) &&
            smx__fs_pwrite_all(out, buf, (size_t)r, (off_t)*op) != 0) {
            rc = -1;
            break;
        }
        *ip += r;
        *op += r;
        *done += r;
    }
    int e = errno;
    free(buf);
    errno = e;
    return rc;
}

long long smx__fs_copy(int in, off_t in_off, int out, off_t out_off, long long len, int flags,
                       smx__fs_copy_caps *caps)
{
    smx__fs_copy_caps local = {0, 0};
    if (!caps)
        caps = &local;
    loff_t ip = in_off, op = out_off;
    long long done = 0;
    int r = 0;
    if (!caps->no_copy_file_range) {
        r = copy_cfr(in, &ip, out, &op, &done, len, &caps->no_copy_file_range);
        if (r != 0 || done == len)
            return r < 0 ? -1 : done;
    }
    if (!caps->no_sendfile && !(flags & SMX__FS_COPY_SPARSE)) {
        r = copy_sendfile(in, &ip, out, &op, &done, len, &caps->no_sendfile);
        if (r != 0 || done == len)
            return r < 0 ? -1 : done;
    }
    r = copy_rw(in, &ip, out, &op, &done, len, flags & SMX__FS_COPY_SPARSE);
    return r < 0 ? -1 : done;
}
