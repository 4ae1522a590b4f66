/* Unit tests for the task output logs (src/log.c), driven directly with files. */
#include "testutil.h"

#include "core/error.h"
#include "exec/log.h"

#include <CUnit/CUnit.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void rm_rf(const char *dir)
{
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) {
        /* Leftover temporary files do not affect the result. */
    }
}

static void path_in(char *buf, size_t cap, const char *dir, const char *name)
{
    int n = snprintf(buf, cap, "%s/", dir);
    if (n > 0 && (size_t)n < cap)
        snprintf(buf + n, cap - (size_t)n, "%s", name);
}

/* Writes LEN bytes of DATA (may contain NULs) to DIR/NAME. */
static void put(const char *dir, const char *name, const char *data, size_t len)
{
    char p[PATH_MAX];
    path_in(p, sizeof p, dir, name);
    FILE *f = fopen(p, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT_EQUAL(fwrite(data, 1, len, f), len);
    fclose(f);
}

typedef struct idx_line {
    uint64_t index;
    int attempt;
    char stream[16];
    long long off, len;
} idx_line;

static size_t read_idx(const char *dir, int rank, idx_line *out, size_t max)
{
    char p[PATH_MAX], name[64];
    snprintf(name, sizeof name, "rank-%05d.idx", rank);
    path_in(p, sizeof p, dir, name);
    char *idx = smx_test_read_file(p, NULL);
    if (!idx)
        return 0;
    size_t n = 0;
    char *save = NULL;
    for (char *line = strtok_r(idx, "\n", &save); line && n < max;
         line = strtok_r(NULL, "\n", &save)) {
        idx_line *l = &out[n];
        if (sscanf(line, "%" SCNu64 " %d %15s %lld %lld", &l->index, &l->attempt, l->stream,
                   &l->off, &l->len) == 5)
            n++;
    }
    free(idx);
    return n;
}

static void test_per_rank(void)
{
    char *dir = smx_test_tmpdir("log");
    CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
    char logdir[PATH_MAX];
    path_in(logdir, sizeof logdir, dir, "a/b/logs"); /* created with parents */
    smx__log *log = NULL;
    CU_ASSERT_EQUAL_FATAL(smx__log_open(&log, logdir, 12, SMX__LOG_PER_RANK), 0);

    char o1[PATH_MAX], e1[PATH_MAX], o2[PATH_MAX], e2[PATH_MAX];
    put(dir, "o1", "hello\nworld\n", 12);
    put(dir, "e1", "no newline\0x", 12);
    put(dir, "o2", "", 0);
    put(dir, "e2", "err2\n", 5);
    path_in(o1, sizeof o1, dir, "o1");
    path_in(e1, sizeof e1, dir, "e1");
    path_in(o2, sizeof o2, dir, "o2");
    path_in(e2, sizeof e2, dir, "e2");
    CU_ASSERT_EQUAL(smx__log_task(log, 7, 1, o1, e1), 0);
    CU_ASSERT_EQUAL(smx__log_task(log, 8, 2, o2, e2), 0);
    /* Missing files count as empty streams. */
    CU_ASSERT_EQUAL(smx__log_task(log, 9, 1, "/nonexistent/o", "/nonexistent/e"), 0);
    smx__log_close(log);

    idx_line l[8];
    size_t n = read_idx(logdir, 12, l, 8);
    CU_ASSERT_EQUAL_FATAL(n, 3);
    char p[PATH_MAX];
    path_in(p, sizeof p, logdir, "rank-00012.log");
    size_t loglen;
    char *data = smx_test_read_file(p, &loglen);
    CU_ASSERT_PTR_NOT_NULL_FATAL(data);

    CU_ASSERT_EQUAL(l[0].index, 7);
    CU_ASSERT_STRING_EQUAL(l[0].stream, "stdout");
    CU_ASSERT_EQUAL(l[0].len, 12);
    CU_ASSERT_EQUAL(memcmp(data + l[0].off, "hello\nworld\n", 12), 0);
    CU_ASSERT_EQUAL(l[1].index, 7);
    CU_ASSERT_STRING_EQUAL(l[1].stream, "stderr");
    CU_ASSERT_EQUAL(l[1].len, 12);
    CU_ASSERT_EQUAL(memcmp(data + l[1].off, "no newline\0x", 12), 0);
    CU_ASSERT_EQUAL(data[l[1].off + 12], '\n'); /* added after a payload without one */
    CU_ASSERT_EQUAL(l[2].index, 8);
    CU_ASSERT_EQUAL(l[2].attempt, 2);
    CU_ASSERT_STRING_EQUAL(l[2].stream, "stderr");
    CU_ASSERT_EQUAL(memcmp(data + l[2].off, "err2\n", 5), 0);
    CU_ASSERT_EQUAL((size_t)(l[2].off + l[2].len), loglen); /* no extra newline after one */

    const char *expect = "==> index=7 attempt=1 stream=stdout bytes=12 <==\nhello\nworld\n"
                         "==> index=7 attempt=1 stream=stderr bytes=12 <==\n";
    CU_ASSERT_EQUAL(memcmp(data, expect, strlen(expect)), 0);
    CU_ASSERT_EQUAL(l[0].off,
                    (long long)strlen("==> index=7 attempt=1 stream=stdout bytes=12 <==\n"));
    free(data);
    rm_rf(dir);
    free(dir);
}

static void test_resume_appends(void)
{
    char *dir = smx_test_tmpdir("log");
    CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
    char o[PATH_MAX], e[PATH_MAX];
    put(dir, "o", "first\n", 6);
    put(dir, "e", "", 0);
    path_in(o, sizeof o, dir, "o");
    path_in(e, sizeof e, dir, "e");
    smx__log *log = NULL;
    CU_ASSERT_EQUAL_FATAL(smx__log_open(&log, dir, 0, SMX__LOG_PER_RANK), 0);
    CU_ASSERT_EQUAL(smx__log_task(log, 1, 1, o, e), 0);
    smx__log_close(log);

    /* A killed job left a torn index line and a torn record. */
    char p[PATH_MAX];
    path_in(p, sizeof p, dir, "rank-00000.idx");
    FILE *f = fopen(p, "a");
    fputs("2 1 std", f);
    fclose(f);
    path_in(p, sizeof p, dir, "rank-00000.log");
    f = fopen(p, "a");
    fputs("==> index=2 attempt=1 stream=stdout bytes=100 <==\npartial", f);
    fclose(f);

    put(dir, "o", "second\n", 7);
    CU_ASSERT_EQUAL_FATAL(smx__log_open(&log, dir, 0, SMX__LOG_PER_RANK), 0);
    CU_ASSERT_EQUAL(smx__log_task(log, 2, 2, o, e), 0);
    smx__log_close(log);

    idx_line l[8];
    size_t n = read_idx(dir, 0, l, 8);
    CU_ASSERT_EQUAL_FATAL(n, 2); /* the torn line is ended and does not parse */
    size_t len;
    char *data = smx_test_read_file(p, &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(data);
    CU_ASSERT_EQUAL(l[0].index, 1);
    CU_ASSERT_EQUAL(memcmp(data + l[0].off, "first\n", 6), 0);
    CU_ASSERT_EQUAL(l[1].index, 2);
    CU_ASSERT_EQUAL(l[1].attempt, 2);
    CU_ASSERT_EQUAL(l[1].len, 7);
    CU_ASSERT_EQUAL(memcmp(data + l[1].off, "second\n", 7), 0);
    CU_ASSERT_EQUAL((size_t)(l[1].off + l[1].len), len);
    free(data);
    rm_rf(dir);
    free(dir);
}

static void test_src_with_fds(void)
{
    char *dir = smx_test_tmpdir("log");
    CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
    char o[PATH_MAX], e[PATH_MAX];
    put(dir, "o", "abcdef", 6);
    put(dir, "e", "xyz", 3);
    path_in(o, sizeof o, dir, "o");
    path_in(e, sizeof e, dir, "e");
    int ofd = open(o, O_RDONLY);
    int efd = open(e, O_RDONLY);
    smx__log *log = NULL;
    CU_ASSERT_EQUAL_FATAL(smx__log_open(&log, dir, 1, SMX__LOG_PER_RANK), 0);
    /* A size given by the caller bounds the copy (output appended later is not taken). */
    smx__log_src so = {o, ofd, 4};
    smx__log_src se = {e, efd, -1};
    CU_ASSERT_EQUAL(smx__log_task_src(log, 3, 1, &so, &se), 0);
    smx__log_close(log);
    close(ofd);
    close(efd);
    idx_line l[4];
    CU_ASSERT_EQUAL_FATAL(read_idx(dir, 1, l, 4), 2);
    char p[PATH_MAX];
    path_in(p, sizeof p, dir, "rank-00001.log");
    char *data = smx_test_read_file(p, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(data);
    CU_ASSERT_EQUAL(l[0].len, 4);
    CU_ASSERT_EQUAL(memcmp(data + l[0].off, "abcd\n", 5), 0);
    CU_ASSERT_EQUAL(l[1].len, 3);
    CU_ASSERT_EQUAL(memcmp(data + l[1].off, "xyz\n", 4), 0);
    free(data);
    rm_rf(dir);
    free(dir);
}

static void test_per_task(void)
{
    char *dir = smx_test_tmpdir("log");
    CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
    char logdir[PATH_MAX];
    path_in(logdir, sizeof logdir, dir, "logs");
    char o[PATH_MAX], e[PATH_MAX];
    put(dir, "o", "out-data", 8);
    put(dir, "e", "", 0);
    path_in(o, sizeof o, dir, "o");
    path_in(e, sizeof e, dir, "e");
    smx__log *log = NULL;
    CU_ASSERT_EQUAL_FATAL(smx__log_open(&log, logdir, 4, SMX__LOG_PER_TASK), 0);
    CU_ASSERT_EQUAL(smx__log_task(log, 123456789012ULL, 3, o, e), 0);
    smx__log_close(log);
    char p[PATH_MAX];
    path_in(p, sizeof p, logdir, "task-123456789012-3.out");
    char *s = smx_test_read_file(p, NULL);
    CU_ASSERT_PTR_NOT_NULL(s);
    if (s)
        CU_ASSERT_STRING_EQUAL(s, "out-data");
    free(s);
    CU_ASSERT_NOT_EQUAL(access(o, F_OK), 0); /* moved, not copied */
    path_in(p, sizeof p, logdir, "task-123456789012-3.err");
    CU_ASSERT_NOT_EQUAL(access(p, F_OK), 0); /* empty: no file */
    path_in(p, sizeof p, logdir, "rank-00004.log");
    CU_ASSERT_NOT_EQUAL(access(p, F_OK), 0);
    rm_rf(dir);
    free(dir);
}

static void test_none(void)
{
    char *dir = smx_test_tmpdir("log");
    CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
    char o[PATH_MAX];
    put(dir, "o", "data", 4);
    path_in(o, sizeof o, dir, "o");
    smx__log *log = NULL;
    CU_ASSERT_EQUAL_FATAL(smx__log_open(&log, dir, 0, SMX__LOG_NONE), 0);
    CU_ASSERT_EQUAL(smx__log_task(log, 1, 1, o, o), 0);
    smx__log_close(log);
    char p[PATH_MAX];
    path_in(p, sizeof p, dir, "rank-00000.log");
    CU_ASSERT_NOT_EQUAL(access(p, F_OK), 0);
    CU_ASSERT_EQUAL(access(o, F_OK), 0);
    rm_rf(dir);
    free(dir);
}

static void test_big_copy(void)
{
    char *dir = smx_test_tmpdir("log");
    CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
    char o[PATH_MAX], e[PATH_MAX];
    path_in(o, sizeof o, dir, "o");
    path_in(e, sizeof e, dir, "e");
    /* 24 MiB of a position-dependent pattern, so a misplaced block would be noticed. */
    const size_t big = 24u << 20;
    unsigned char *buf = malloc(big);
    CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
    for (size_t i = 0; i < big; i++)
        buf[i] = (unsigned char)((i * 2654435761u) >> 13);
    put(dir, "o", (const char *)buf, big);
    put(dir, "e", "", 0);
    smx__log *log = NULL;
    CU_ASSERT_EQUAL_FATAL(smx__log_open(&log, dir, 2, SMX__LOG_PER_RANK), 0);
    put(dir, "x", "tiny", 4);
    char x[PATH_MAX];
    path_in(x, sizeof x, dir, "x");
    CU_ASSERT_EQUAL(smx__log_task(log, 1, 1, x, e), 0);
    CU_ASSERT_EQUAL(smx__log_task(log, 2, 1, o, e), 0);
    smx__log_close(log);
    idx_line l[4];
    CU_ASSERT_EQUAL_FATAL(read_idx(dir, 2, l, 4), 2);
    CU_ASSERT_EQUAL(l[1].len, (long long)big);
    char p[PATH_MAX];
    path_in(p, sizeof p, dir, "rank-00002.log");
    int fd = open(p, O_RDONLY);
    CU_ASSERT_FATAL(fd >= 0);
    unsigned char *back = malloc(big);
    CU_ASSERT_PTR_NOT_NULL_FATAL(back);
    CU_ASSERT_EQUAL(pread(fd, back, big, l[1].off), (ssize_t)big);
    CU_ASSERT_EQUAL(memcmp(back, buf, big), 0);
    close(fd);
    free(back);
    free(buf);
    rm_rf(dir);
    free(dir);
}

static void test_errors(void)
{
    smx__log *log = NULL;
    CU_ASSERT_EQUAL(smx__log_open(&log, NULL, 0, SMX__LOG_PER_RANK), SMX_EUSAGE);
    CU_ASSERT_EQUAL(smx__log_open(&log, "/tmp", -1, SMX__LOG_PER_RANK), SMX_EUSAGE);
    CU_ASSERT_EQUAL(smx__log_open(&log, "/tmp", 0, (smx__log_mode)7), SMX_EUSAGE);
    CU_ASSERT_EQUAL(smx__log_open(&log, "/proc/smx-no/logs", 0, SMX__LOG_PER_RANK), SMX_EIO);
    CU_ASSERT_PTR_NULL(log);
    CU_ASSERT_PTR_NOT_NULL(strstr(smx_error_last(), "/proc/smx-no"));
    /* A regular file where a directory is expected. */
    CU_ASSERT_EQUAL(smx__log_mkdirs("/dev/null/x"), SMX_EIO);
    CU_ASSERT_EQUAL(smx__log_mkdirs("/dev/null"), SMX_EIO);
    CU_ASSERT_EQUAL(smx__log_mkdirs("/tmp"), 0);
    smx__log_close(NULL);
}

int main(void)
{
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 1;
    CU_pSuite s = CU_add_suite("log", NULL, NULL);
    CU_add_test(s, "per-rank log and index", test_per_rank);
    CU_add_test(s, "resume appends after a torn record", test_resume_appends);
    CU_add_test(s, "caller-held descriptors and sizes", test_src_with_fds);
    CU_add_test(s, "per-task files", test_per_task);
    CU_add_test(s, "mode none", test_none);
    CU_add_test(s, "big copy", test_big_copy);
    CU_add_test(s, "errors", test_errors);
    return smx_test_run();
}
