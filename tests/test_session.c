/*
 * Unit tests for the public session and mux calls in one process (MPI_COMM_SELF): the embedding
 * program's HDF5 error handler is still in place after every library call and still fires for the
 * program's own HDF5 errors; option structs of an unknown version are refused with a message; a
 * resumed session hands out exactly its unfinished elements, each with its next attempt number,
 * and after a job that died with its claim watermark set, one above any number it may have used;
 * version 1 options still work and group sizes the communicator cannot be split into are refused.
 */
#include <CUnit/CUnit.h>
#include <hdf5.h>
#include <mpi.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "state/store.h"
#include "sweepmux.h"
#include "testutil.h"

static char *dir;
static int calls; /* how often the program's handler ran */

static herr_t program_handler(hid_t stack, void *data)
{
    (void)stack;
    (*(int *)data)++;
    return 0;
}

/* The handler in place is the program's own, and it still runs for the program's HDF5 errors. */
static void check_handler(const char *after)
{
    H5E_auto2_t f = NULL;
    void *d = NULL;
    CU_ASSERT_FATAL(H5Eget_auto2(H5E_DEFAULT, &f, &d) >= 0);
    if (f != program_handler || d != &calls)
        fprintf(stderr, "\nthe program's HDF5 error handler is gone after %s\n", after);
    CU_ASSERT(f == program_handler && d == &calls);
    int before = calls;
    hid_t bad = H5Fopen("/nonexistent/dir/file.h5", H5F_ACC_RDONLY, H5P_DEFAULT);
    CU_ASSERT(bad < 0);
    CU_ASSERT(calls > before);
}

static char *path_in(const char *name)
{
    char *p = malloc(strlen(dir) + strlen(name) + 2);
    sprintf(p, "%s/%s", dir, name);
    return p;
}

static const char *spec = "name: h5\nparameters:\n  x: {values: [1, 2, 3]}\n";

static void test_handler_survives_mux_calls(void)
{
    char *state = path_in("mux.h5"), *junk = path_in("junk.h5");
    CU_ASSERT_FATAL(smx_test_write_file(junk, "not an HDF5 file\n") == 0);
    H5Eset_auto2(H5E_DEFAULT, program_handler, &calls);
    smx_mux *m = NULL, *m2 = NULL;
    int rc = smx_mux_create_string(&m, state, spec);
    if (rc != SMX_OK)
        fprintf(stderr, "\n%s\n", smx_error_last());
    CU_ASSERT_EQUAL_FATAL(rc, SMX_OK);
    check_handler("smx_mux_create_string");
    char *id = NULL;
    CU_ASSERT_EQUAL(smx_mux_session_create(m, "s", &id), SMX_OK);
    check_handler("smx_mux_session_create");
    smx_stat st;
    CU_ASSERT_EQUAL(smx_mux_stat(m, "s", &st), SMX_OK);
    CU_ASSERT_EQUAL(st.total, 3);
    check_handler("smx_mux_stat");
    /* Failures inside HDF5 (a file that is not HDF5, one that does not exist) leave it too. */
    CU_ASSERT_EQUAL(smx_mux_open(&m2, junk), SMX_EFORMAT);
    check_handler("a failed smx_mux_open");
    CU_ASSERT_NOT_EQUAL(smx_mux_open(&m2, "/nonexistent/x.h5"), SMX_OK);
    check_handler("smx_mux_open of a missing file");
    CU_ASSERT_EQUAL(smx_mux_destroy(m, "s"), SMX_OK);
    check_handler("smx_mux_destroy");
    free(id);
    smx_mux_free(m);
    unlink(state);
    unlink(junk);
    free(state);
    free(junk);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

static void test_handler_survives_a_session(void)
{
    char *state = path_in("session.h5");
    H5Eset_auto2(H5E_DEFAULT, program_handler, &calls);
    smx_mux *m = NULL;
    char *id = NULL;
    CU_ASSERT_EQUAL_FATAL(smx_mux_create_string(&m, state, spec), SMX_OK);
    CU_ASSERT_EQUAL_FATAL(smx_mux_session_create(m, "default", &id), SMX_OK);
    smx_session *s = NULL;
    CU_ASSERT_EQUAL_FATAL(smx_session_open(&s, id, MPI_COMM_SELF, NULL), SMX_OK);
    check_handler("smx_session_open");
    smx_element *e = NULL;
    int n = 0;
    while (smx_session_next(s, &e) == SMX_OK) {
        CU_ASSERT_EQUAL(smx_element_complete(e, SMX_STATUS_DONE, 0, NULL, NULL), SMX_OK);
        n++;
    }
    CU_ASSERT_EQUAL(n, 3);
    smx_stat st;
    CU_ASSERT_EQUAL(smx_session_close(s, &st), SMX_OK);
    CU_ASSERT_EQUAL(st.done, 3);
    check_handler("smx_session_close");
    /* A session of a state file that does not exist fails inside HDF5: still the program's. */
    CU_ASSERT_NOT_EQUAL(smx_session_open(&s, "/nonexistent/x.h5#default", MPI_COMM_SELF, NULL),
                        SMX_OK);
    check_handler("a failed smx_session_open");
    free(id);
    smx_mux_free(m);
    unlink(state);
    char lock[4200];
    snprintf(lock, sizeof lock, "%s.lock", state);
    unlink(lock);
    free(state);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

static void test_unknown_versions_refused(void)
{
    char *state = path_in("versions.h5");
    smx_mux *m = NULL;
    char *id = NULL;
    CU_ASSERT_EQUAL_FATAL(smx_mux_create_string(&m, state, spec), SMX_OK);
    CU_ASSERT_EQUAL_FATAL(smx_mux_session_create(m, "default", &id), SMX_OK);
    smx_session_options o = SMX_SESSION_OPTIONS_INIT;
    o.version = SMX_SESSION_OPTIONS_VERSION + 1;
    smx_session *s = NULL;
    CU_ASSERT_EQUAL(smx_session_open(&s, id, MPI_COMM_SELF, &o), SMX_EUSAGE);
    CU_ASSERT(s == NULL);
    CU_ASSERT(strstr(smx_error_last(), "SMX_SESSION_OPTIONS_INIT") != NULL);
    /* The refused open took no lock: a correct one works. */
    o.version = SMX_SESSION_OPTIONS_VERSION;
    CU_ASSERT_EQUAL_FATAL(smx_session_open(&s, id, MPI_COMM_SELF, &o), SMX_OK);
    smx_element *e = NULL;
    CU_ASSERT_EQUAL_FATAL(smx_session_next(s, &e), SMX_OK);
    smx_completion c = SMX_COMPLETION_INIT;
    c.version = 0;
    CU_ASSERT_EQUAL(smx_element_complete_ex(e, &c), SMX_EUSAGE);
    CU_ASSERT(strstr(smx_error_last(), "SMX_COMPLETION_INIT") != NULL);
    c.version = SMX_COMPLETION_VERSION;
    CU_ASSERT_EQUAL(smx_element_complete_ex(e, &c), SMX_OK);
    /* Two elements were never taken: the session closes unfinished, resumable. */
    CU_ASSERT_EQUAL(smx_session_close(s, NULL), SMX_ESTOPPED);
    free(id);
    smx_mux_free(m);
    unlink(state);
    free(state);
}

/*
 * A program built against version 1 of the options (which end before group_size) still opens
 * sessions: only the fields it knows are read. Group sizes that the communicator cannot be split
 * into are refused before anything is written; a group of one is the rank alone, with
 * MPI_COMM_SELF as its communicator.
 */
static void test_option_versions_and_group_sizes(void)
{
    char *state = path_in("groups.h5");
    smx_mux *m = NULL;
    char *id = NULL;
    CU_ASSERT_EQUAL_FATAL(smx_mux_create_string(&m, state, spec), SMX_OK);
    CU_ASSERT_EQUAL_FATAL(smx_mux_session_create(m, "default", &id), SMX_OK);
    smx_mux_free(m);
    /* A version 1 struct: the library must not read past job_id, so what follows is garbage. */
    union {
        smx_session_options o;
        unsigned char bytes[sizeof(smx_session_options)];
    } v1;
    memset(v1.bytes, 0xa5, sizeof v1.bytes);
    smx_session_options init = SMX_SESSION_OPTIONS_INIT;
    memcpy(&v1.o, &init, offsetof(smx_session_options, group_size));
    v1.o.version = 1;
    smx_session *s = NULL;
    CU_ASSERT_EQUAL_FATAL(smx_session_open(&s, id, MPI_COMM_SELF, &v1.o), SMX_OK);
    CU_ASSERT(smx_session_group_comm(s) == MPI_COMM_SELF);
    smx_element *e = NULL;
    CU_ASSERT_EQUAL_FATAL(smx_session_next(s, &e), SMX_OK);
    CU_ASSERT(smx_element_comm(e) == MPI_COMM_SELF);
    CU_ASSERT_EQUAL(smx_element_complete(e, SMX_STATUS_DONE, 0, NULL, NULL), SMX_OK);
    CU_ASSERT_EQUAL(smx_session_close(s, NULL), SMX_ESTOPPED);

    smx_session_options o = SMX_SESSION_OPTIONS_INIT;
    o.group_size = 2;
    s = NULL;
    CU_ASSERT_EQUAL(smx_session_open(&s, id, MPI_COMM_SELF, &o), SMX_EUSAGE);
    CU_ASSERT(s == NULL);
    CU_ASSERT(strstr(smx_error_last(), "group_size 2 does not divide the communicator's 1 ranks") !=
              NULL);
    o.group_size = -3;
    CU_ASSERT_EQUAL(smx_session_open(&s, id, MPI_COMM_SELF, &o), SMX_EUSAGE);
    CU_ASSERT(strstr(smx_error_last(), "group_size -3 is negative") != NULL);
    /* The refusals took no lock and wrote nothing: the two elements left are still there. */
    o.group_size = 1;
    CU_ASSERT_EQUAL_FATAL(smx_session_open(&s, id, MPI_COMM_SELF, &o), SMX_OK);
    int n = 0;
    while (smx_session_next(s, &e) == SMX_OK) {
        n++;
        CU_ASSERT_EQUAL(smx_element_complete(e, SMX_STATUS_DONE, 0, NULL, NULL), SMX_OK);
    }
    CU_ASSERT_EQUAL(n, 2);
    CU_ASSERT_EQUAL(smx_session_close(s, NULL), SMX_OK);
    free(id);
    unlink(state);
    free(state);
}

/* The state of element I in the resume test: runs of 64 final and 64 pending elements (the word
 * shortcuts), then a mix of every status and attempt count, up to N (not a multiple of 8). */
#define RESUME_N 1003
static void resume_state(uint64_t i, uint8_t *status, uint16_t *attempts)
{
    if (i < 64) {
        *status = i < 32 ? SMX_STATUS_DONE : SMX_STATUS_FAILED;
        *attempts = 1;
    } else if (i >= RESUME_N - 64) {
        *status = SMX_STATUS_PENDING;
        *attempts = 0;
    } else {
        static const uint8_t st[] = {SMX_STATUS_DONE,    SMX_STATUS_FAILED,  SMX_STATUS_RUNNING,
                                     SMX_STATUS_PENDING, SMX_STATUS_PENDING, SMX_STATUS_DONE,
                                     SMX_STATUS_DONE};
        *status = st[i % 7];
        *attempts = (uint16_t)(*status == SMX_STATUS_PENDING ? (i % 3) : 1 + i % 2);
    }
}

/* Resumes a session in that state (RETRY_FAILED or not) and checks what comes out of it. */
static void resume_case(int retry_failed)
{
    char *state = path_in(retry_failed ? "resume-retry.h5" : "resume.h5");
    char yaml[200];
    snprintf(yaml, sizeof yaml, "name: r\nparameters:\n  x: {min: 0, max: %d, step: 1}\n",
             RESUME_N - 1);
    smx_mux *m = NULL;
    char *id = NULL;
    CU_ASSERT_EQUAL_FATAL(smx_mux_create_string(&m, state, yaml), SMX_OK);
    CU_ASSERT_EQUAL_FATAL(smx_mux_session_create(m, "default", &id), SMX_OK);
    uint64_t idx[RESUME_N];
    uint8_t status[RESUME_N];
    uint16_t attempts[RESUME_N];
    for (uint64_t i = 0; i < RESUME_N; i++) {
        idx[i] = i;
        resume_state(i, &status[i], &attempts[i]);
    }
    smx__store *st = NULL;
    smx__records *sess = NULL;
    CU_ASSERT_EQUAL_FATAL(smx__store_open(&st, state, SMX__STORE_WRITE), SMX_OK);
    CU_ASSERT_EQUAL_FATAL(smx__records_open(st, "default", &sess), SMX_OK);
    CU_ASSERT_EQUAL_FATAL(smx__records_write_state(sess, idx, status, attempts, RESUME_N), SMX_OK);
    CU_ASSERT_EQUAL_FATAL(smx__store_sync(st), SMX_OK);
    smx__store_close(st);

    smx_session_options o = SMX_SESSION_OPTIONS_INIT;
    o.retry_failed = retry_failed;
    smx_session *s = NULL;
    CU_ASSERT_EQUAL_FATAL(smx_session_open(&s, id, MPI_COMM_SELF, &o), SMX_OK);
    int handed[RESUME_N] = {0}, bad = 0;
    smx_element *e = NULL;
    while (smx_session_next(s, &e) == SMX_OK) {
        uint64_t i = smx_element_index(e);
        if (i >= RESUME_N || handed[i]++ || smx_element_attempt(e) != attempts[i] + 1)
            bad++;
        CU_ASSERT_EQUAL(smx_element_complete(e, SMX_STATUS_DONE, 0, NULL, NULL), SMX_OK);
    }
    for (uint64_t i = 0; i < RESUME_N; i++) {
        int want = status[i] != SMX_STATUS_DONE && (retry_failed || status[i] != SMX_STATUS_FAILED);
        if (handed[i] != want) {
            if (bad++ < 5)
                fprintf(stderr, "\nelement %llu (status %d): handed out %d times\n",
                        (unsigned long long)i, status[i], handed[i]);
        }
    }
    CU_ASSERT_EQUAL(bad, 0);
    smx_stat fin;
    CU_ASSERT_EQUAL(smx_session_close(s, &fin), SMX_OK);
    CU_ASSERT_EQUAL(fin.done + fin.failed, RESUME_N);
    free(id);
    smx_mux_free(m);
    unlink(state);
    free(state);
}

static void test_resume_hands_out_the_unfinished(void)
{
    resume_case(0);
    resume_case(1);
}

/* The session's meta counters as stored now (read without the lock, like status). */
static void read_meta(const char *state, int64_t *meta)
{
    smx__store *st = NULL;
    smx__records *sess = NULL;
    int rc = smx__store_open(&st, state, SMX__STORE_READ);
    if (rc)
        fprintf(stderr, "\n%s\n", smx_error_last());
    CU_ASSERT_EQUAL_FATAL(rc, SMX_OK);
    CU_ASSERT_EQUAL_FATAL(smx__records_open(st, "default", &sess), SMX_OK);
    CU_ASSERT_EQUAL_FATAL(smx__records_meta(sess, meta), SMX_OK);
    smx__store_close(st);
}

/* The attempt number element I in state (STATUS, ATTEMPTS) must run with after a job died whose
 * mark covered indices below BOUND with RETRIES retries (FAILED_TOO: with --retry-failed); 0 if it
 * must not run at all. */
static int attempt_after_crash(uint64_t i, uint8_t status, uint16_t attempts, uint64_t bound,
                               int retries, int failed_too)
{
    if (status == SMX_STATUS_DONE || (status == SMX_STATUS_FAILED && !failed_too))
        return 0;
    if (i >= bound)
        return attempts + 1;
    int a = attempts + retries + (status == SMX_STATUS_RUNNING ? 0 : 1);
    return a >= SMX__ATTEMPTS_MAX ? 0 : a + 1;
}

/*
 * A job died with its claim watermark set (store.h): every element below the mark that may have
 * run gets an attempt number above any that job could have used (its retries included); elements
 * past the mark keep theirs; one with no attempt number left fails. While the next job runs, its
 * own mark is durable and covers every element handed out; its clean close clears the mark.
 */
static void crash_case(int retry_failed)
{
    char *state = path_in("mark.h5");
    char yaml[200];
    snprintf(yaml, sizeof yaml, "name: r\nparameters:\n  x: {min: 0, max: %d, step: 1}\n",
             RESUME_N - 1);
    smx_mux *m = NULL;
    char *id = NULL;
    CU_ASSERT_EQUAL_FATAL(smx_mux_create_string(&m, state, yaml), SMX_OK);
    CU_ASSERT_EQUAL_FATAL(smx_mux_session_create(m, "default", &id), SMX_OK);
    enum { BOUND = 600, RETRIES = 2, CAPPED = 67 };
    static uint64_t idx[RESUME_N];
    static uint8_t status[RESUME_N];
    static uint16_t attempts[RESUME_N];
    for (uint64_t i = 0; i < RESUME_N; i++) {
        idx[i] = i;
        resume_state(i, &status[i], &attempts[i]);
    }
    status[CAPPED] = SMX_STATUS_PENDING; /* its raise passes the last attempt number */
    attempts[CAPPED] = SMX__ATTEMPTS_MAX - 2;
    smx__store *st = NULL;
    smx__records *sess = NULL;
    int64_t meta[SMX__META_LEN];
    CU_ASSERT_EQUAL_FATAL(smx__store_open(&st, state, SMX__STORE_WRITE), SMX_OK);
    CU_ASSERT_EQUAL_FATAL(smx__records_open(st, "default", &sess), SMX_OK);
    CU_ASSERT_EQUAL_FATAL(smx__records_write_state(sess, idx, status, attempts, RESUME_N), SMX_OK);
    CU_ASSERT_EQUAL_FATAL(smx__records_meta(sess, meta), SMX_OK);
    meta[SMX__META_N_JOBS] = 1;
    meta[SMX__META_MARK_JOB] = 1;
    meta[SMX__META_MARK_INDEX] = BOUND;
    meta[SMX__META_MARK_RETRIES] = RETRIES;
    meta[SMX__META_MARK_FLAGS] = retry_failed;
    CU_ASSERT_EQUAL_FATAL(smx__records_put_meta(sess, meta), SMX_OK);
    CU_ASSERT_EQUAL_FATAL(smx__store_sync(st), SMX_OK);
    smx__store_close(st);

    smx_session_options o = SMX_SESSION_OPTIONS_INIT;
    o.retry_failed = retry_failed;
    o.retries = 0;
    /* HDF5 opens a file twice in one process only with the same locking flags (read_meta). */
    setenv("HDF5_USE_FILE_LOCKING", "FALSE", 1);
    smx_session *s = NULL;
    CU_ASSERT_EQUAL_FATAL(smx_session_open(&s, id, MPI_COMM_SELF, &o), SMX_OK);
    static int handed[RESUME_N];
    memset(handed, 0, sizeof handed);
    int bad = 0;
    smx_element *e = NULL;
    while (smx_session_next(s, &e) == SMX_OK) {
        uint64_t i = smx_element_index(e);
        int want = i < RESUME_N ? attempt_after_crash(i, status[i], attempts[i], BOUND, RETRIES,
                                                      retry_failed)
                                : -1;
        if (i >= RESUME_N || handed[i]++ || smx_element_attempt(e) != want) {
            if (bad++ < 5)
                fprintf(stderr, "\nelement %llu (status %d, attempts %d): attempt %d, want %d\n",
                        (unsigned long long)i, i < RESUME_N ? status[i] : -1,
                        i < RESUME_N ? attempts[i] : -1, smx_element_attempt(e), want);
        }
        /* This job's own mark is durable and covers the element before it starts. */
        read_meta(state, meta);
        if (meta[SMX__META_MARK_JOB] != 2 || (uint64_t)meta[SMX__META_MARK_INDEX] <= i) {
            if (bad++ < 5)
                fprintf(stderr, "\nelement %llu handed out with mark job %lld index %lld\n",
                        (unsigned long long)i, (long long)meta[SMX__META_MARK_JOB],
                        (long long)meta[SMX__META_MARK_INDEX]);
        }
        CU_ASSERT_EQUAL(smx_element_complete(e, SMX_STATUS_DONE, 0, NULL, NULL), SMX_OK);
    }
    for (uint64_t i = 0; i < RESUME_N; i++) {
        int want = attempt_after_crash(i, status[i], attempts[i], BOUND, RETRIES, retry_failed) > 0;
        if (handed[i] != want && bad++ < 5)
            fprintf(stderr, "\nelement %llu (status %d): handed out %d times\n",
                    (unsigned long long)i, status[i], handed[i]);
    }
    CU_ASSERT_EQUAL(bad, 0);
    smx_stat fin;
    CU_ASSERT_EQUAL(smx_session_close(s, &fin), SMX_OK);
    unsetenv("HDF5_USE_FILE_LOCKING");
    read_meta(state, meta);
    CU_ASSERT_EQUAL(meta[SMX__META_MARK_JOB], 0);
    /* The element out of attempt numbers failed, with the last one recorded. */
    CU_ASSERT_EQUAL_FATAL(smx__store_open(&st, state, SMX__STORE_READ), SMX_OK);
    CU_ASSERT_EQUAL_FATAL(smx__records_open(st, "default", &sess), SMX_OK);
    smx__record rec;
    CU_ASSERT_EQUAL(smx__records_read_records(sess, CAPPED, 1, &rec), SMX_OK);
    CU_ASSERT_EQUAL(rec.status, SMX_STATUS_FAILED);
    CU_ASSERT_EQUAL(rec.attempts, SMX__ATTEMPTS_MAX);
    smx__store_close(st);
    free(id);
    smx_mux_free(m);
    unlink(state);
    free(state);
}

static void test_crash_raises_attempts(void)
{
    crash_case(0);
    crash_case(1);
}

int main(int argc, char **argv)
{
    int provided = 0;
    if (MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
        return 1;
    dir = smx_test_tmpdir("session");
    CU_initialize_registry();
    CU_pSuite suite = CU_add_suite("session", NULL, NULL);
    CU_add_test(suite, "the program's HDF5 handler survives mux calls",
                test_handler_survives_mux_calls);
    CU_add_test(suite, "the program's HDF5 handler survives a session",
                test_handler_survives_a_session);
    CU_add_test(suite, "a resumed session hands out exactly its unfinished elements",
                test_resume_hands_out_the_unfinished);
    CU_add_test(suite, "after a job died, attempt numbers pass every one it may have used",
                test_crash_raises_attempts);
    CU_add_test(suite, "option structs of an unknown version are refused",
                test_unknown_versions_refused);
    CU_add_test(suite, "version 1 options still work; impossible group sizes are refused",
                test_option_versions_and_group_sizes);
    int rc = smx_test_run();
    rmdir(dir);
    free(dir);
    MPI_Finalize();
    return rc;
}
