/*
 * Helpers shared by the benchmark programs: a monotonic clock, the peak RSS of this process, and
 * the YAML of an N-element sweep whose command is /bin/true.
 */
#ifndef SMX_BENCH_UTIL_H
#define SMX_BENCH_UTIL_H

#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static inline double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* A field of /proc/self/status in kB ("VmHWM", "VmRSS"), or -1. */
static inline long bench_status_kb(const char *field)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    char line[256];
    long kb = -1;
    size_t n = strlen(field);
    while (fgets(line, sizeof line, f)) {
        if (!strncmp(line, field, n) && line[n] == ':') {
            kb = strtol(line + n + 1, NULL, 10);
            break;
        }
    }
    fclose(f);
    return kb;
}

/*
 * The raw loops' claim counter: the same window sweepmux's claim protocol uses (one uint64 on rank
 * 0, MPI_Win_allocate, zeroed, in a lock_all epoch), with no state around it. Collective.
 */
static inline MPI_Win bench_counter_window(int rank)
{
    MPI_Win win;
    uint64_t *base = NULL;
    MPI_Info info;
    MPI_Info_create(&info);
    MPI_Info_set(info, "accumulate_ops", "same_op_no_op");
    MPI_Info_set(info, "same_disp_unit", "true");
    MPI_Win_allocate(rank == 0 ? sizeof(uint64_t) : 0, sizeof(uint64_t), info, MPI_COMM_WORLD,
                     &base, &win);
    MPI_Info_free(&info);
    if (rank == 0)
        base[0] = 0;
    MPI_Barrier(MPI_COMM_WORLD);
    MPI_Win_lock_all(MPI_MODE_NOCHECK, win);
    return win;
}

/* The spec of a one-parameter grid with N elements running /bin/true. */
static inline void bench_spec(char *buf, size_t len, unsigned long long n)
{
    snprintf(buf, len,
             "name: bench\n"
             "command: [/bin/true]\n"
             "parameters:\n"
             "  i: {min: 0, max: %llu, step: 1}\n",
             n - 1);
}

#endif
