#include "testutil.h"

#include <CUnit/Basic.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The directories handed out by smx_test_tmpdir, removed when the program's tests all passed. */
#define MAX_TMPDIRS 512
static char *tmpdirs[MAX_TMPDIRS];
static size_t ntmpdirs;

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    if (remove(path) != 0)
        perror(path);
    return 0;
}

/* After a full pass every scratch directory goes; after a failure (or with SMX_KEEP_TMP set) they
 * stay for inspection and are named on stdout. */
static void tmpdirs_finish(int passed)
{
    int keep = !passed || getenv("SMX_KEEP_TMP");
    for (size_t i = 0; i < ntmpdirs; i++) {
        if (keep)
            printf("kept for inspection: %s\n", tmpdirs[i]);
        else
            nftw(tmpdirs[i], remove_entry, 16, FTW_DEPTH | FTW_PHYS);
        free(tmpdirs[i]);
    }
    ntmpdirs = 0;
}

int smx_test_run(void)
{
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
    unsigned ran = CU_get_number_of_tests_run();
    CU_cleanup_registry();
    int passed = failed == 0 && ran > 0;
    tmpdirs_finish(passed);
    return passed ? 0 : 1;
}

char *smx_test_tmpdir(const char *tag)
{
    char tmpl[256];
    snprintf(tmpl, sizeof tmpl, "/tmp/smx-%s-XXXXXX", tag);
    char *d = mkdtemp(tmpl);
    if (!d)
        return NULL;
    if (ntmpdirs < MAX_TMPDIRS)
        tmpdirs[ntmpdirs++] = strdup(d);
    return strdup(d);
}

int smx_test_write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    size_t n = strlen(text);
    int rc = fwrite(text, 1, n, f) == n ? 0 : -1;
    if (fclose(f) != 0)
        rc = -1;
    return rc;
}

char *smx_test_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = sz >= 0 ? malloc((size_t)sz + 1) : NULL;
    size_t n = b ? fread(b, 1, (size_t)sz, f) : 0;
    fclose(f);
    if (!b)
        return NULL;
    b[n] = '\0';
    if (len)
        *len = n;
    return b;
}

/* GCC defines __SANITIZE_ADDRESS__; clang answers __has_feature(address_sanitizer). */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SMX_TEST_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define SMX_TEST_ASAN 1
#endif

int smx_test_sanitized(void)
{
#ifdef SMX_TEST_ASAN
    return 1;
#else
    return 0;
#endif
}

int smx_test_slowdown(void)
{
    return smx_test_sanitized() ? 10 : 1;
}
