/* Small helpers shared by the CUnit programs. */
#ifndef SMX_TESTUTIL_H
#define SMX_TESTUTIL_H

#include <CUnit/CUnit.h>
#include <stddef.h>

/*
 * Runs the registered suites with the basic interface and returns the process exit code: 0 only if
 * every test ran and passed (CUnit's own return value ignores failed assertions).
 */
int smx_test_run(void);

/* A fresh empty directory under /tmp for one test (malloc'd path), removed with everything in it by
 * smx_test_run when every test passed. */
char *smx_test_tmpdir(const char *tag);

/* The whole content of PATH, NUL-terminated (malloc'd), its length in *LEN if LEN; NULL on failure.
 */
char *smx_test_read_file(const char *path, size_t *len);

/* Writes TEXT to PATH; returns 0 on success. */
int smx_test_write_file(const char *path, const char *text);

/*
 * 1 in a sanitizer build (-DSMX_SANITIZE=ON), 0 otherwise. Such a build runs several times slower:
 * tests that kill a process at a random instant widen their window by smx_test_slowdown(), and
 * assertions on speed are skipped there.
 */
int smx_test_sanitized(void);
int smx_test_slowdown(void);

#endif
