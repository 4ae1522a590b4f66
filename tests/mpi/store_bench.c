/*
 * Measures the state store's hot paths: creating a large session, writing batches of records
 * (consecutive and scattered indices), syncing, reading the whole state, and adding a session
 * (the sparse copy). Usage: store_bench [DIR] [N]. Prints one line per measurement.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/error.h"
#include "state/store.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void report_size(const char *what, const char *path)
{
    struct stat sb;
    if (stat(path, &sb) == 0)
        printf("%-40s apparent %.1f MB, on disk %.1f MB\n", what, (double)sb.st_size / 1e6,
               (double)sb.st_blocks * 512 / 1e6);
}

#define DIE(rc)                                                                                    \
    do {                                                                                           \
        fprintf(stderr, "line %d: %s: %s\n", __LINE__, smx_error_name(rc), smx_error_last());      \
        return 1;                                                                                  \
    } while (0)

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "/tmp";
    uint64_t n = argc > 2 ? strtoull(argv[2], NULL, 10) : 10000000ULL;
    char path[4096];
    snprintf(path, sizeof path, "%s/store_bench_%ld.h5", dir, (long)getpid());
    int rc;
    double t0 = now();
    if ((rc = smx__store_create(path, "name: bench\n", 12, "", "main", n, NULL)) != 0)
        DIE(rc);
    printf("%-40s %.1f ms\n", "create session", (now() - t0) * 1e3);
    report_size("after create", path);

    smx__store *st;
    smx__records *s;
    if ((rc = smx__store_open(&st, path, SMX__STORE_WRITE)) != 0 ||
        (rc = smx__records_open(st, "main", &s)) != 0)
        DIE(rc);
    enum { B = 1000, ROUNDS = 50 };
    smx__record *recs = calloc(B, sizeof *recs);
    srand(42);
    for (int mode = 0; mode < 3; mode++) {
        double tw = 0, ts = 0;
        for (int r = 0; r < ROUNDS; r++) {
            for (int i = 0; i < B; i++) {
                smx__record *x = &recs[i];
                memset(x, 0, sizeof *x);
                if (mode == 0)
                    x->index = (uint64_t)r * B + (uint64_t)i;
                else if (mode == 1) /* 64 ranks finishing interleaved claim blocks */
                    x->index =
                        ((uint64_t)r * B + (uint64_t)(i % 64) * 20000 + (uint64_t)i / 64) % n;
                else
                    x->index = ((uint64_t)rand() * 7919u + (uint64_t)rand()) % n;
                x->status = 2;
                x->attempts = 1;
                for (int k = 0; k < SMX__RESULT_COLUMNS; k++)
                    x->results[k] = k < 3 ? (double)k : NAN;
            }
            double a = now();
            if ((rc = smx__records_write_records(s, recs, B)) != 0)
                DIE(rc);
            double b = now();
            if ((rc = smx__store_sync(st)) != 0)
                DIE(rc);
            tw += b - a;
            ts += now() - b;
        }
        const char *names[] = {"write 1000 records (consecutive)", "write 1000 records (64 blocks)",
                               "write 1000 records (random)"};
        printf("%-40s %.2f ms per batch; sync %.2f ms\n", names[mode], tw / ROUNDS * 1e3,
               ts / ROUNDS * 1e3);
    }
    uint8_t *status = malloc(n);
    uint16_t *att = malloc(n * 2);
    t0 = now();
    if ((rc = smx__records_read_state(s, status, att)) != 0)
        DIE(rc);
    printf("%-40s %.1f ms\n", "read_state (write handle)", (now() - t0) * 1e3);
    smx__store_close(st);

    if ((rc = smx__store_open(&st, path, SMX__STORE_READ)) != 0 ||
        (rc = smx__records_open(st, "main", &s)) != 0)
        DIE(rc);
    t0 = now();
    if ((rc = smx__records_read_state(s, status, att)) != 0)
        DIE(rc);
    printf("%-40s %.1f ms\n", "read_state (read handle)", (now() - t0) * 1e3);
    smx__store_close(st);
    report_size("after writes", path);

    t0 = now();
    if ((rc = smx__store_add_session(path, "second", n, NULL)) != 0)
        DIE(rc);
    printf("%-40s %.1f ms\n", "add_session (copy + create)", (now() - t0) * 1e3);
    report_size("after add_session", path);
    t0 = now();
    if ((rc = smx__store_destroy_session(path, "second")) != 0)
        DIE(rc);
    printf("%-40s %.1f ms\n", "destroy_session (copy)", (now() - t0) * 1e3);
    report_size("after destroy_session", path);
    free(status);
    free(att);
    free(recs);
    unlink(path);
    return 0;
}
