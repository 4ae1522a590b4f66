/*
 * Tests of the journal (rank 0's writer thread) on real state files: group commit makes queued
 * changes durable without anyone asking for a sync, ranges and records queued together land as
 * queued, a result column's NaN fill, and a writer that stops with everything written.
 */
#include <CUnit/CUnit.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/error.h"
#include "state/journal.h"
#include "state/store.h"
#include "testutil.h"

static const char spec_text[] = "name: t\nparameters:\n  x: {min: 0, max: 9, step: 1}\n";
static const char spec_hash[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

static char *fresh_file(const char *tag, uint64_t n)
{
    char *dir = smx_test_tmpdir(tag);
    size_t len = strlen(dir) + 16;
    char *path = malloc(len);
    snprintf(path, len, "%s/run.h5", dir);
    free(dir);
    CU_ASSERT_EQUAL(smx__store_create(path, spec_text, strlen(spec_text), spec_hash, "s", n, NULL),
                    0);
    return path;
}

static void remove_file(char *path)
{
    unlink(path);
    char *slash = strrchr(path, '/');
    *slash = '\0';
    rmdir(path);
    free(path);
}

/* Waits up to 10 s for the writer to have synced more than SYNCS batches. */
static int wait_syncs(smx__journal *j, uint64_t syncs)
{
    for (int i = 0; i < 1000; i++) {
        if (smx__journal_syncs(j) > syncs)
            return 1;
        struct timespec ts = {0, 10000000};
        nanosleep(&ts, NULL);
    }
    return 0;
}

/*
 * A queued change is written and fsynced without a sync being asked for (group commit); a sync
 * ticket is reached; an idle writer does not sync; what was queued is in the file after stop.
 */
static void test_group_commit(void)
{
    char *path = fresh_file("journal", 1000);
    smx__store *st = NULL;
    smx__records *sess = NULL;
    smx__journal *j = NULL;
    CU_ASSERT_EQUAL_FATAL(smx__store_open(&st, path, SMX__STORE_WRITE), 0);
    CU_ASSERT_EQUAL_FATAL(smx__records_open(st, "s", &sess), 0);
    CU_ASSERT_EQUAL_FATAL(smx__journal_start(&j, st, sess, NULL), 0);
    uint64_t before = smx__journal_syncs(j);
    smx__range r = {100, 50, 1, SMX_STATUS_DONE, 0};
    CU_ASSERT_EQUAL(smx__journal_ranges(j, &r, 1), 0);
    CU_ASSERT(wait_syncs(j, before));
    /* An explicit ticket is reached too, and nothing queued means no sync at all. */
    uint64_t t = smx__journal_sync(j);
    for (int i = 0; i < 1000 && smx__journal_durable(j, t) == 0; i++) {
        struct timespec ts = {0, 10000000};
        nanosleep(&ts, NULL);
    }
    CU_ASSERT_EQUAL(smx__journal_durable(j, t), 1);
    uint64_t idle = smx__journal_syncs(j);
    struct timespec ts = {0, 200000000};
    nanosleep(&ts, NULL);
    CU_ASSERT_EQUAL(smx__journal_syncs(j), idle);
    CU_ASSERT_EQUAL(smx__journal_stop(j, NULL), 0);
    smx__store_close(st);
    CU_ASSERT_EQUAL_FATAL(smx__store_open(&st, path, SMX__STORE_READ), 0);
    CU_ASSERT_EQUAL_FATAL(smx__records_open(st, "s", &sess), 0);
    uint8_t *status = calloc(1000, 1);
    CU_ASSERT_EQUAL(smx__records_read_state(sess, status, NULL), 0);
    int ok = 1;
    for (int i = 0; i < 1000; i++)
        ok &= status[i] == (i >= 100 && i < 150 ? SMX_STATUS_DONE : SMX_STATUS_PENDING);
    CU_ASSERT(ok);
    smx__store_close(st);
    free(status);
    remove_file(path);
}

/*
 * Many ranges, records and state changes queued from the main thread while the writer works:
 * after stop, the file holds exactly what was queued (later changes of an element win), and a
 * NaN fill reaches only its column and runs.
 */
static void test_mixed_stream(void)
{
    const uint64_t n = 200000;
    char *path = fresh_file("journal", n);
    smx__store *st = NULL;
    smx__records *sess = NULL;
    smx__journal *j = NULL;
    CU_ASSERT_EQUAL_FATAL(smx__store_open(&st, path, SMX__STORE_WRITE), 0);
    CU_ASSERT_EQUAL_FATAL(smx__records_open(st, "s", &sess), 0);
    CU_ASSERT_EQUAL_FATAL(smx__journal_start(&j, st, sess, NULL), 0);
    /* Elements 0..n-1 in chunks of 16: mark running, then complete. Every 7th chunk's first
     * element is a record with a result in column 0; the rest of the chunk is a range. */
    CU_ASSERT_EQUAL(smx__journal_result_name(j, 0, "loss"), 0);
    for (uint64_t c = 0; c < n; c += 16) {
        for (uint64_t i = c; i < c + 16; i++)
            smx__journal_state(j, i, SMX_STATUS_RUNNING, 1);
        uint64_t first = c;
        if ((c / 16) % 7 == 0) {
            smx__record rec;
            memset(&rec, 0, sizeof rec);
            rec.index = c;
            rec.status = SMX_STATUS_DONE;
            rec.attempts = 1;
            rec.rank = 3;
            rec.t_end = 1.0 + (double)c;
            for (int k = 0; k < SMX__RESULT_COLUMNS; k++)
                rec.results[k] = k == 0 ? (double)c : NAN;
            CU_ASSERT_EQUAL(smx__journal_record(j, &rec), 0);
            first = c + 1;
        }
        smx__range r = {first, c + 16 - first, 1, SMX_STATUS_DONE, 1};
        CU_ASSERT_EQUAL(smx__journal_ranges(j, &r, 1), 0);
    }
    smx__range runs[] = {{10, 5, 0, 0, 0}};
    CU_ASSERT_EQUAL(smx__journal_nan_results(j, 3, runs, 1), 0);
    CU_ASSERT_EQUAL(smx__journal_stop(j, NULL), 0);
    smx__store_close(st);

    CU_ASSERT_EQUAL_FATAL(smx__store_open(&st, path, SMX__STORE_READ), 0);
    CU_ASSERT_EQUAL_FATAL(smx__records_open(st, "s", &sess), 0);
    smx__record *recs = malloc(n * sizeof *recs);
    CU_ASSERT_EQUAL_FATAL(smx__records_read_records(sess, 0, n, recs), 0);
    int ok = 1;
    for (uint64_t i = 0; i < n && ok; i++) {
        const smx__record *r = &recs[i];
        int is_rec = i % 16 == 0 && (i / 16) % 7 == 0;
        ok = r->status == SMX_STATUS_DONE && r->attempts == 1;
        if (is_rec)
            ok = ok && r->rank == 3 && r->t_end == 1.0 + (double)i && r->results[0] == (double)i;
        else
            ok = ok && r->rank == 0 && r->t_end == 0 && isnan(r->results[0]) && r->results[1] == 0;
        ok = ok && ((i >= 10 && i < 15) ? isnan(r->results[3]) : (is_rec || r->results[3] == 0));
        if (!ok)
            fprintf(stderr, "element %llu: status %u attempts %u rank %d results %g %g %g\n",
                    (unsigned long long)i, r->status, r->attempts, r->rank, r->results[0],
                    r->results[1], r->results[3]);
    }
    CU_ASSERT(ok);
    char names[SMX__RESULT_COLUMNS][SMX__RESULT_NAME_MAX];
    CU_ASSERT_EQUAL(smx__records_result_names(sess, names), 0);
    CU_ASSERT_STRING_EQUAL(names[0], "loss");
    smx__store_close(st);
    free(recs);
    remove_file(path);
}

/*
 * Done bits (one rank's share of small chunks claimed in turn): each set bit, and no other, reads
 * done with attempt 1 after stop, with runs of bits that cross word and block boundaries, full
 * words, a word's last bit, NaN in the named result columns (and only there), and a range queued
 * next to them.
 */
static void test_done_bits(void)
{
    const uint64_t n = 4096;
    char *path = fresh_file("journal", n);
    smx__store *st = NULL;
    smx__records *sess = NULL;
    smx__journal *j = NULL;
    CU_ASSERT_EQUAL_FATAL(smx__store_open(&st, path, SMX__STORE_WRITE), 0);
    CU_ASSERT_EQUAL_FATAL(smx__records_open(st, "s", &sess), 0);
    CU_ASSERT_EQUAL_FATAL(smx__journal_start(&j, st, sess, NULL), 0);
    CU_ASSERT_EQUAL(smx__journal_result_name(j, 0, "loss"), 0);
    uint8_t *want = calloc(n, 1);
    /* Block A from element 128: alternating bits, then a run from bit 60 of word 1 into word 2,
     * a full word, a lone last bit. */
    uint64_t a[5] = {0x5555555555555555ull, 0xF000000000000000ull, 0x000000000000000Full, ~0ull,
                     0x8000000000000000ull};
    CU_ASSERT_EQUAL(smx__journal_done_bits(j, 128, a, 5, 0), 0);
    /* Block B from element 1024, with NaN in result column 0: bits 0, 63 and 64..127. */
    uint64_t b[2] = {0x8000000000000001ull, ~0ull};
    CU_ASSERT_EQUAL(smx__journal_done_bits(j, 1024, b, 2, 1), 0);
    /* Block C continues A's last bit (one run across blocks); D continues C but with NaN in column
     * 0, so its run must stay apart. */
    uint64_t c1 = ~0ull, d1 = 0x3;
    CU_ASSERT_EQUAL(smx__journal_done_bits(j, 448, &c1, 1, 0), 0);
    CU_ASSERT_EQUAL(smx__journal_done_bits(j, 512, &d1, 1, 1), 0);
    for (int i = 448; i < 512; i++)
        want[i] = 1;
    want[512] = want[513] = 2;
    smx__range r = {2000, 10, 1, SMX_STATUS_DONE, 0};
    CU_ASSERT_EQUAL(smx__journal_ranges(j, &r, 1), 0);
    for (int k = 0; k < 5; k++)
        for (int bit = 0; bit < 64; bit++)
            if (a[k] >> bit & 1)
                want[128 + 64 * k + bit] = 1;
    for (int k = 0; k < 2; k++)
        for (int bit = 0; bit < 64; bit++)
            if (b[k] >> bit & 1)
                want[1024 + 64 * k + bit] = 2;
    for (int i = 2000; i < 2010; i++)
        want[i] = 1;
    CU_ASSERT_EQUAL(smx__journal_stop(j, NULL), 0);
    smx__store_close(st);

    CU_ASSERT_EQUAL_FATAL(smx__store_open(&st, path, SMX__STORE_READ), 0);
    CU_ASSERT_EQUAL_FATAL(smx__records_open(st, "s", &sess), 0);
    smx__record *recs = malloc(n * sizeof *recs);
    CU_ASSERT_EQUAL_FATAL(smx__records_read_records(sess, 0, n, recs), 0);
    int ok = 1;
    for (uint64_t i = 0; i < n && ok; i++) {
        const smx__record *x = &recs[i];
        if (want[i])
            ok = x->status == SMX_STATUS_DONE && x->attempts == 1 &&
                 (want[i] == 2 ? isnan(x->results[0]) : x->results[0] == 0);
        else
            ok = x->status == SMX_STATUS_PENDING && x->attempts == 0;
        if (!ok)
            fprintf(stderr, "element %llu: status %u attempts %u result %g (want %d)\n",
                    (unsigned long long)i, x->status, x->attempts, x->results[0], want[i]);
    }
    CU_ASSERT(ok);
    smx__store_close(st);
    free(recs);
    free(want);
    remove_file(path);
}

int main(void)
{
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 1;
    CU_pSuite s = CU_add_suite("journal", NULL, NULL);
    CU_add_test(s, "group commit without a sync request", test_group_commit);
    CU_add_test(s, "ranges, records and states interleaved", test_mixed_stream);
    CU_add_test(s, "done bits become ranges of exactly their elements", test_done_bits);
    return smx_test_run();
}
