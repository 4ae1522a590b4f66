/*
 * Library loop benchmark: P ranks iterate N trivial elements, either through the public session
 * API (smx_session_next + smx_element_complete(DONE)) or through a raw loop over the same claim
 * protocol (MPI_Fetch_and_op(MPI_SUM, chunk) + MPI_Win_flush on a counter rank 0 hosts in an
 * MPI_Win_allocate window, inside MPI_Win_lock_all), with no state at all.
 *
 *   mpirun -n P lib_loop smx|raw N CHUNK [STATE.h5]
 *
 * Rank 0 prints one line of key=value pairs: the loop time (barrier after open to the last rank
 * leaving its loop), the close time (smx only), elements/s over the loop, per-rank element counts
 * and each rank's peak RSS (VmHWM, read after close) for the memory benchmark.
 */
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_create.h"
#include "bench_util.h"
#include "sweepmux/errors.h"
#include "sweepmux/session.h"

static volatile uint64_t sink; /* keeps the "work" from being optimised away */

static int raw_loop(uint64_t n, int chunk, uint64_t *mine)
{
    int rank;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Win win = bench_counter_window(rank);
    uint64_t want = (uint64_t)chunk, count = 0;
    for (;;) {
        uint64_t old = 0;
        MPI_Fetch_and_op(&want, &old, MPI_UINT64_T, 0, 0, MPI_SUM, win);
        MPI_Win_flush(0, win);
        if (old >= n)
            break;
        uint64_t end = old + want < n ? old + want : n;
        for (uint64_t p = old; p < end; p++) {
            sink += p;
            count++;
        }
    }
    *mine = count;
    MPI_Win_unlock_all(win);
    MPI_Win_free(&win);
    return 0;
}

int main(int argc, char **argv)
{
    int provided = 0;
    MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (argc < 4 || (strcmp(argv[1], "smx") && strcmp(argv[1], "raw"))) {
        if (rank == 0)
            fprintf(stderr, "usage: lib_loop smx|raw N CHUNK [STATE.h5]\n");
        MPI_Finalize();
        return 2;
    }
    int smx = !strcmp(argv[1], "smx");
    uint64_t n = strtoull(argv[2], NULL, 10);
    int chunk = atoi(argv[3]);
    const char *state = argc > 4 ? argv[4] : "lib_loop.h5";

    double t_open = 0, t0 = 0, t_loop_end = 0, t_close = 0;
    uint64_t mine = 0;
    int rc = SMX_OK;
    if (!smx) {
        MPI_Barrier(MPI_COMM_WORLD);
        t0 = bench_now();
        raw_loop(n, chunk, &mine);
        t_loop_end = bench_now();
    } else {
        char id[4200] = "";
        if (rank == 0) {
            rc = bench_create(state, (unsigned long long)n, id, sizeof id);
            if (rc != SMX_OK)
                fprintf(stderr, "lib_loop: %s\n", smx_error_last());
        }
        MPI_Bcast(&rc, 1, MPI_INT, 0, MPI_COMM_WORLD);
        if (rc != SMX_OK) {
            MPI_Finalize();
            return 1;
        }
        MPI_Bcast(id, sizeof id, MPI_CHAR, 0, MPI_COMM_WORLD);
        smx_session_options opts = SMX_SESSION_OPTIONS_INIT;
        opts.chunk = chunk;
        smx_session *s = NULL;
        MPI_Barrier(MPI_COMM_WORLD);
        double to = bench_now();
        rc = smx_session_open(&s, id, MPI_COMM_WORLD, &opts);
        if (rc != SMX_OK) {
            if (rank == 0)
                fprintf(stderr, "lib_loop: open: %s\n", smx_error_last());
            MPI_Finalize();
            return 1;
        }
        MPI_Barrier(MPI_COMM_WORLD);
        t0 = bench_now();
        t_open = t0 - to;
        smx_element *e = NULL;
        while ((rc = smx_session_next(s, &e)) == SMX_OK) {
            sink += smx_element_index(e);
            mine++;
            rc = smx_element_complete(e, SMX_STATUS_DONE, 0, NULL, NULL);
            if (rc != SMX_OK)
                break;
        }
        if (rc != SMX_ITEROVER)
            fprintf(stderr, "lib_loop: rank %d: %s\n", rank, smx_error_last());
        t_loop_end = bench_now();
        smx_stat st;
        rc = smx_session_close(s, &st);
        t_close = bench_now() - t_loop_end;
        if (rank == 0 && (rc != SMX_OK || st.done != n))
            fprintf(stderr, "lib_loop: close rc %d, done %llu of %llu: %s\n", rc,
                    (unsigned long long)st.done, (unsigned long long)n, smx_error_last());
    }
    /* Single node: CLOCK_MONOTONIC is shared by all ranks, so end times compare directly. */
    double loop_end_max = 0, close_max = 0;
    MPI_Reduce(&t_loop_end, &loop_end_max, 1, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);
    MPI_Reduce(&t_close, &close_max, 1, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);
    long hwm = bench_status_kb("VmHWM");
    long *hwms = rank == 0 ? calloc((size_t)size, sizeof(long)) : NULL;
    uint64_t *counts = rank == 0 ? calloc((size_t)size, sizeof(uint64_t)) : NULL;
    MPI_Gather(&hwm, 1, MPI_LONG, hwms, 1, MPI_LONG, 0, MPI_COMM_WORLD);
    MPI_Gather(&mine, 1, MPI_UINT64_T, counts, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD);
    if (rank == 0) {
        double loop = loop_end_max - t0;
        uint64_t total = 0;
        for (int r = 0; r < size; r++)
            total += counts[r];
        printf("mode=%s ranks=%d n=%llu chunk=%d open_s=%.4f loop_s=%.4f close_s=%.4f "
               "elems_per_s=%.0f total=%llu",
               argv[1], size, (unsigned long long)n, chunk, t_open, loop, close_max,
               (double)n / loop, (unsigned long long)total);
        printf(" counts=");
        for (int r = 0; r < size; r++)
            printf("%s%llu", r ? "," : "", (unsigned long long)counts[r]);
        printf(" hwm_kb=");
        for (int r = 0; r < size; r++)
            printf("%s%ld", r ? "," : "", hwms[r]);
        printf("\n");
        fflush(stdout);
    }
    free(hwms);
    free(counts);
    MPI_Finalize();
    return 0;
}
