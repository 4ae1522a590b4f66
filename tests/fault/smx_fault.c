/*
 * A fault injector for tests (LD_PRELOAD=libsmx_fault.so, never linked into sweepmux): makes the
 * state file's disk fail. Set in the environment:
 *
 *   SMX_FAULT_CALL   pwrite, write, fsync or fdatasync: the call that fails
 *   SMX_FAULT_AT     N: the Nth such call on the file fails (1-based), and every later one too,
 *                    as on a disk that went bad or full and stays so
 *   SMX_FAULT_ERRNO  EIO or ENOSPC (default EIO)
 *   SMX_FAULT_PATH   only calls on a descriptor whose path ends so count (default ".h5")
 *
 * A failing write writes nothing. Each failure is noted on stderr ("smx_fault: ..."), so a test
 * can tell that the fault was reached.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

static long counter;

/* 1 if the call CALL on FD is to fail now (counting it if it is on the file). */
static int should_fail(const char *call, int fd)
{
    const char *want = getenv("SMX_FAULT_CALL"), *at = getenv("SMX_FAULT_AT");
    if (!want || !at || strcmp(want, call) != 0)
        return 0;
    const char *suffix = getenv("SMX_FAULT_PATH");
    if (!suffix)
        suffix = ".h5";
    char link[64], path[PATH_MAX];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, path, sizeof path - 1);
    if (n < 0)
        return 0;
    path[n] = '\0';
    size_t ls = strlen(suffix);
    if ((size_t)n < ls || strcmp(path + n - ls, suffix) != 0)
        return 0;
    long k = __atomic_add_fetch(&counter, 1, __ATOMIC_SEQ_CST);
    if (k < atol(at))
        return 0;
    const char *e = getenv("SMX_FAULT_ERRNO");
    errno = e && !strcmp(e, "ENOSPC") ? ENOSPC : EIO;
    fprintf(stderr, "smx_fault: %s #%ld on %s fails with %s\n", call, k, path, strerror(errno));
    errno = e && !strcmp(e, "ENOSPC") ? ENOSPC : EIO;
    return 1;
}

#define REAL(name) ((__typeof__(&name))dlsym(RTLD_NEXT, #name))

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
    if (should_fail("pwrite", fd))
        return -1;
    return REAL(pwrite)(fd, buf, n, off);
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off_t off)
{
    if (should_fail("pwrite", fd))
        return -1;
    return REAL(pwrite64)(fd, buf, n, off);
}

ssize_t write(int fd, const void *buf, size_t n)
{
    if (should_fail("write", fd))
        return -1;
    return REAL(write)(fd, buf, n);
}

int fsync(int fd)
{
    if (should_fail("fsync", fd))
        return -1;
    return REAL(fsync)(fd);
}

int fdatasync(int fd)
{
    if (should_fail("fdatasync", fd))
        return -1;
    return REAL(fdatasync)(fd);
}
