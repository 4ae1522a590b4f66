/*
 * The physical floor for `sweepmux run` on tiny tasks: P ranks each claim the next position with
 * MPI_Fetch_and_op(MPI_SUM, chunk) + MPI_Win_flush (the same counter protocol as sweepmux, window
 * on rank 0), posix_spawn the command and waitpid it. No state, no logs, no environment changes.
 *
 *   mpirun -n P spawn_raw N CHUNK [CMD]      (CMD defaults to /bin/true)
 *
 * Rank 0 prints the loop time (barrier to the last rank done) and tasks/s.
 */
#include <mpi.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "bench_util.h"

extern char **environ;

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (argc < 3) {
        if (rank == 0)
            fprintf(stderr, "usage: spawn_raw N CHUNK [CMD]\n");
        MPI_Finalize();
        return 2;
    }
    uint64_t n = strtoull(argv[1], NULL, 10), want = strtoull(argv[2], NULL, 10);
    char *cmd = argc > 3 ? argv[3] : "/bin/true";
    char *child_argv[] = {cmd, NULL};

    MPI_Win win = bench_counter_window(rank);
    double t0 = bench_now();
    uint64_t mine = 0, failed = 0;
    for (;;) {
        uint64_t old = 0;
        MPI_Fetch_and_op(&want, &old, MPI_UINT64_T, 0, 0, MPI_SUM, win);
        MPI_Win_flush(0, win);
        if (old >= n)
            break;
        uint64_t end = old + want < n ? old + want : n;
        for (uint64_t p = old; p < end; p++) {
            pid_t pid;
            int st = 0;
            if (posix_spawn(&pid, cmd, NULL, NULL, child_argv, environ) != 0 ||
                waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
                failed++;
            mine++;
        }
    }
    double t1 = bench_now(), tmax = 0;
    MPI_Win_unlock_all(win);
    MPI_Win_free(&win);
    MPI_Reduce(&t1, &tmax, 1, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);
    uint64_t tot = 0, totf = 0;
    MPI_Reduce(&mine, &tot, 1, MPI_UINT64_T, MPI_SUM, 0, MPI_COMM_WORLD);
    MPI_Reduce(&failed, &totf, 1, MPI_UINT64_T, MPI_SUM, 0, MPI_COMM_WORLD);
    if (rank == 0)
        printf("mode=spawn_raw ranks=%d n=%llu chunk=%llu loop_s=%.4f tasks_per_s=%.1f "
               "total=%llu failed=%llu\n",
               size, (unsigned long long)n, (unsigned long long)want, tmax - t0,
               (double)n / (tmax - t0), (unsigned long long)tot, (unsigned long long)totf);
    MPI_Finalize();
    return 0;
}
