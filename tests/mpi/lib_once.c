/*
 * Helper of tests/mpi/exactly_once_lib.sh: a library-mode sweep (smx_session_next +
 * smx_element_complete) whose elements end in a mix of outcomes, so that both completion paths are
 * exercised side by side: elements done without results (recorded as ranges), elements done with
 * a result, and failed elements (both recorded one by one).
 *
 *   lib_once create STATE N            one process: a fresh N-element session "default"
 *   mpirun -n P lib_once run STATE CHUNK LOGPREFIX [SLEEP_US]
 *
 * Element i: i % 7 == 3 is done with result r = i; i % 11 == 5 fails (exit code 3, no retries);
 * every other element is done without results. Each rank appends "index attempt rank" to
 * LOGPREFIX.RANK with one write(2) per element before completing it, so a kill -9 loses no line.
 * Exit status: 0 if smx_session_close returned SMX_OK or SMX_ESTOPPED, 1 otherwise.
 */
#include <fcntl.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sweepmux/errors.h"
#include "sweepmux/session.h"

#include "create_sweep.h"

static int run(const char *state, int chunk, const char *logprefix, long sleep_us)
{
    int rank = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    char path[4200], id[4200];
    snprintf(path, sizeof path, "%s.%d", logprefix, rank);
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd < 0) {
        perror(path);
        return 1;
    }
    snprintf(id, sizeof id, "%s#default", state);
    smx_session_options opts = SMX_SESSION_OPTIONS_INIT;
    opts.chunk = chunk;
    smx_session *s = NULL;
    int rc = smx_session_open(&s, id, MPI_COMM_WORLD, &opts);
    if (rc != SMX_OK) {
        fprintf(stderr, "lib_once: rank %d: open: %s\n", rank, smx_error_last());
        close(fd);
        return 1;
    }
    smx_element *e = NULL;
    const char *names[] = {"r"};
    while ((rc = smx_session_next(s, &e)) == SMX_OK) {
        uint64_t i = smx_element_index(e);
        char line[64];
        int len = snprintf(line, sizeof line, "%llu %d %d\n", (unsigned long long)i,
                           smx_element_attempt(e), rank);
        if (write(fd, line, (size_t)len) != len) {
            perror("lib_once: write");
            break;
        }
        if (sleep_us > 0) {
            struct timespec ts = {sleep_us / 1000000, (sleep_us % 1000000) * 1000};
            nanosleep(&ts, NULL);
        }
        if (i % 7 == 3) {
            double v = (double)i;
            rc = smx_element_complete(e, SMX_STATUS_DONE, 1, names, &v);
        } else if (i % 11 == 5) {
            smx_completion c = SMX_COMPLETION_INIT;
            c.status = SMX_STATUS_FAILED;
            c.exit_code = 3;
            c.stderr_tail = "failed on purpose";
            rc = smx_element_complete_ex(e, &c);
        } else {
            rc = smx_element_complete(e, SMX_STATUS_DONE, 0, NULL, NULL);
        }
        if (rc != SMX_OK)
            break;
    }
    if (rc != SMX_ITEROVER)
        fprintf(stderr, "lib_once: rank %d: %s\n", rank, smx_error_last());
    smx_stat st;
    int crc = smx_session_close(s, &st);
    close(fd);
    if (crc != SMX_OK && crc != SMX_ESTOPPED) {
        fprintf(stderr, "lib_once: rank %d: close: %s\n", rank, smx_error_last());
        return 1;
    }
    if (rank == 0)
        printf("done=%llu failed=%llu pending=%llu running=%llu\n", (unsigned long long)st.done,
               (unsigned long long)st.failed, (unsigned long long)st.pending,
               (unsigned long long)st.running);
    return rc == SMX_ITEROVER ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc == 4 && !strcmp(argv[1], "create"))
        return create_sweep("lib_once", argv[2], "lib-once", strtoull(argv[3], NULL, 10));
    if (argc < 5 || argc > 6 || strcmp(argv[1], "run")) {
        fprintf(stderr, "usage: lib_once create STATE N | lib_once run STATE CHUNK LOGPREFIX "
                        "[SLEEP_US]\n");
        return 2;
    }
    int provided = 0;
    MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
    int rc = run(argv[2], atoi(argv[3]), argv[4], argc == 6 ? atol(argv[5]) : 0);
    MPI_Finalize();
    return rc;
}
