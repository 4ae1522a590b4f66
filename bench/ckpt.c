/*
 * Checkpoint and resume times of a large session.
 *
 *   ckpt prep N STATE.h5 FRAC   creates STATE.h5 with an N-element sweep and marks the first
 *                               N * FRAC elements done (at least one if FRAC > 0) with the
 *                               internal store API (one range write), in place, then syncs.
 *   ckpt resume STATE.h5 K      (under mpirun -n 1) times smx_session_open until the first element
 *                               is available (resume), completes K elements, requests a stop
 *                               and times smx_session_close, which makes everything durable
 *                               (checkpoint). Prints peak RSS after open and at the end.
 *
 * Each step runs in its own process so the resume's peak RSS is not polluted by the preparation.
 */
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_create.h"
#include "bench_util.h"
#include "state/store.h"
#include "sweepmux/errors.h"
#include "sweepmux/session.h"

static int prep(uint64_t n, const char *state, double frac)
{
    char id[4200];
    double t0 = bench_now();
    int rc = bench_create(state, (unsigned long long)n, id, sizeof id);
    if (rc != SMX_OK) {
        fprintf(stderr, "ckpt prep: %s\n", smx_error_last());
        return 1;
    }
    double t1 = bench_now();
    uint64_t ndone = (uint64_t)((double)n * frac);
    if (frac > 0 && ndone == 0)
        ndone = 1;
    smx__store *st = NULL;
    smx__records *sess = NULL;
    rc = smx__store_open(&st, state, SMX__STORE_WRITE);
    if (rc == SMX_OK)
        rc = smx__records_open(st, "default", &sess);
    if (rc == SMX_OK && ndone > 0) {
        smx__range done = {0, ndone, 1, SMX_STATUS_DONE, 0};
        rc = smx__records_write_ranges(sess, &done, 1);
    }
    if (rc == SMX_OK)
        rc = smx__store_sync(st);
    if (rc != SMX_OK)
        fprintf(stderr, "ckpt prep: %s\n", smx_error_last());
    if (st)
        smx__store_close(st);
    printf("step=prep n=%llu done=%llu create_s=%.4f mark_s=%.4f\n", (unsigned long long)n,
           (unsigned long long)ndone, t1 - t0, bench_now() - t1);
    return rc == SMX_OK ? 0 : 1;
}

static int resume(const char *state, uint64_t k)
{
    char id[4200];
    snprintf(id, sizeof id, "%s#default", state);
    long hwm_before = bench_status_kb("VmHWM");
    smx_session_options opts = SMX_SESSION_OPTIONS_INIT;
    smx_session *s = NULL;
    smx_element *e = NULL;
    double t0 = bench_now();
    int rc = smx_session_open(&s, id, MPI_COMM_WORLD, &opts);
    double t_open = bench_now();
    if (rc == SMX_OK)
        rc = smx_session_next(s, &e);
    double t1 = bench_now();
    if (rc != SMX_OK) {
        fprintf(stderr, "ckpt resume: %s\n", smx_error_last());
        return 1;
    }
    long hwm_open = bench_status_kb("VmHWM");
    uint64_t first = smx_element_index(e), ran = 0;
    while (rc == SMX_OK) {
        rc = smx_element_complete(e, SMX_STATUS_DONE, 0, NULL, NULL);
        if (rc != SMX_OK || ++ran >= k)
            break;
        rc = smx_session_next(s, &e);
    }
    if (rc != SMX_OK && rc != SMX_ITEROVER)
        fprintf(stderr, "ckpt resume: %s\n", smx_error_last());
    double t2 = bench_now();
    smx_session_request_stop(s, "benchmark checkpoint");
    smx_stat fin;
    rc = smx_session_close(s, &fin);
    double t3 = bench_now();
    if (rc != SMX_OK && rc != SMX_ESTOPPED)
        fprintf(stderr, "ckpt close: %s\n", smx_error_last());
    printf("step=resume total=%llu done_before=%llu first=%llu open_s=%.4f resume_s=%.4f "
           "ran=%llu run_s=%.4f checkpoint_s=%.4f done_after=%llu hwm_start_kb=%ld "
           "hwm_open_kb=%ld hwm_end_kb=%ld\n",
           (unsigned long long)fin.total, (unsigned long long)(fin.done - ran),
           (unsigned long long)first, t_open - t0, t1 - t0, (unsigned long long)ran, t2 - t1,
           t3 - t2, (unsigned long long)fin.done, hwm_before, hwm_open, bench_status_kb("VmHWM"));
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 5 && !strcmp(argv[1], "prep"))
        return prep(strtoull(argv[2], NULL, 10), argv[3], atof(argv[4]));
    if (argc == 4 && !strcmp(argv[1], "resume")) {
        int provided = 0;
        MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
        int rc = resume(argv[2], strtoull(argv[3], NULL, 10));
        MPI_Finalize();
        return rc;
    }
    fprintf(stderr, "usage: ckpt prep N STATE.h5 FRAC | ckpt resume STATE.h5 K\n");
    return 2;
}
