/*
 * Unit tests for the file-system helpers: every copy path (copy_file_range, sendfile, read/write)
 * copies the same bytes to the right offset, a sparse copy leaves blocks of zeros as holes, and
 * the sync helpers report what they could not sync.
 */
#include <CUnit/CUnit.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"
#include "core/fsutil.h"
#include "testutil.h"

#define LEN (3 * 1024 * 1024 + 777) /* more than one read/write buffer, not a block multiple */

static char *dir;

static char *path_in(const char *name)
{
    char *p = malloc(strlen(dir) + strlen(name) + 2);
    sprintf(p, "%s/%s", dir, name);
    return p;
}

/* A source file of LEN pseudo-random bytes at offset 100 (the first 100 are 'x'). */
static char *make_source(unsigned char **bytes)
{
    char *src = path_in("src");
    unsigned char *b = malloc(LEN);
    unsigned x = 12345;
    for (size_t i = 0; i < LEN; i++) {
        x = x * 1103515245u + 12345u;
        b[i] = (unsigned char)(x >> 16);
    }
    int fd = open(src, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CU_ASSERT_FATAL(fd >= 0);
    CU_ASSERT_FATAL(smx__fs_pwrite_all(fd,
                                       "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                                       "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
                                       100, 0) == 0);
    CU_ASSERT_FATAL(smx__fs_pwrite_all(fd, b, LEN, 100) == 0);
    close(fd);
    *bytes = b;
    return src;
}

/* Copies with CAPS preset (forcing a path) and checks the result byte for byte. */
static void copy_with(smx__fs_copy_caps caps, int flags)
{
    unsigned char *want;
    char *src = make_source(&want), *dst = path_in("dst");
    int in = open(src, O_RDONLY), out = open(dst, O_RDWR | O_CREAT | O_TRUNC, 0644);
    CU_ASSERT_FATAL(in >= 0 && out >= 0);
    if (flags & SMX__FS_COPY_SPARSE)
        CU_ASSERT_FATAL(ftruncate(out, 50 + LEN) == 0);
    /* Source offset 100, destination offset 50: neither descriptor's position is used. */
    CU_ASSERT_EQUAL(smx__fs_copy(in, 100, out, 50, LEN, flags, &caps), LEN);
    size_t n = 0;
    char *got = smx_test_read_file(dst, &n);
    CU_ASSERT_FATAL(got != NULL);
    CU_ASSERT_EQUAL(n, 50 + LEN);
    CU_ASSERT(memcmp(got + 50, want, LEN) == 0);
    /* Past the end of the source the copy is short, not an error. */
    CU_ASSERT_EQUAL(smx__fs_copy(in, 100 + LEN - 10, out, 0, 1000, flags, &caps), 10);
    close(in);
    close(out);
    free(got);
    free(want);
    unlink(src);
    unlink(dst);
    free(src);
    free(dst);
}

static void test_copy_paths(void)
{
    copy_with((smx__fs_copy_caps){0, 0}, 0); /* whatever the kernel offers first */
    copy_with((smx__fs_copy_caps){1, 0}, 0); /* sendfile */
    copy_with((smx__fs_copy_caps){1, 1}, 0); /* pread/pwrite */
    copy_with((smx__fs_copy_caps){1, 1}, SMX__FS_COPY_SPARSE);
}

static void test_sparse_keeps_holes(void)
{
    char *src = path_in("zeros"), *dst = path_in("holes");
    const size_t len = 8 * 1024 * 1024;
    char *zero = calloc(1, len);
    int in = open(src, O_RDWR | O_CREAT | O_TRUNC, 0644);
    CU_ASSERT_FATAL(in >= 0 && smx__fs_pwrite_all(in, zero, len, 0) == 0);
    CU_ASSERT_FATAL(smx__fs_pwrite_all(in, "end", 3, (off_t)len - 3) == 0);
    int out = open(dst, O_RDWR | O_CREAT | O_TRUNC, 0644);
    CU_ASSERT_FATAL(out >= 0 && ftruncate(out, (off_t)len) == 0);
    smx__fs_copy_caps caps = {1, 1}; /* the read/write path decides about holes itself */
    CU_ASSERT_EQUAL(smx__fs_copy(in, 0, out, 0, (long long)len, SMX__FS_COPY_SPARSE, &caps),
                    (long long)len);
    struct stat st;
    CU_ASSERT_FATAL(fstat(out, &st) == 0);
    /* Only the last 1 MiB block held data: far less than 8 MiB is allocated. */
    CU_ASSERT((long long)st.st_blocks * 512 <= 2 * 1024 * 1024);
    char tail[3];
    CU_ASSERT(pread(out, tail, 3, (off_t)len - 3) == 3 && memcmp(tail, "end", 3) == 0);
    close(in);
    close(out);
    unlink(src);
    unlink(dst);
    free(src);
    free(dst);
    free(zero);
}

static void test_sync(void)
{
    char *f = path_in("synced");
    CU_ASSERT_FATAL(smx_test_write_file(f, "data") == 0);
    CU_ASSERT_EQUAL(smx__fs_sync(f), 0);
    CU_ASSERT_EQUAL(smx__fs_sync_dir_of(f), 0);
    unlink(f);
    /* A file that does not exist: the message names it. */
    CU_ASSERT_EQUAL(smx__fs_sync(f), SMX_EIO);
    CU_ASSERT(strstr(smx_error_last(), f) != NULL);
    /* A directory that does not exist. */
    char *missing = path_in("no-such-dir/file");
    CU_ASSERT_EQUAL(smx__fs_sync_dir_of(missing), SMX_EIO);
    CU_ASSERT(strstr(smx_error_last(), "no-such-dir") != NULL);
    free(missing);
    free(f);
}

int main(void)
{
    dir = smx_test_tmpdir("fsutil");
    CU_initialize_registry();
    CU_pSuite suite = CU_add_suite("fsutil", NULL, NULL);
    CU_add_test(suite, "every copy path copies the same bytes", test_copy_paths);
    CU_add_test(suite, "a sparse copy leaves zeros as holes", test_sparse_keeps_holes);
    CU_add_test(suite, "sync reports what it could not sync", test_sync);
    int rc = smx_test_run();
    rmdir(dir);
    free(dir);
    return rc;
}
