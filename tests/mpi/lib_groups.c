/*
 * Helper of tests/mpi/element_groups.sh: a library-mode sweep with element groups, where every
 * element is MPI work of its group (collectives on smx_element_comm), so that a group whose members
 * disagree on the element, or one member that stops alone, would hang or be caught here.
 *
 *   lib_groups create STATE N             one process: a fresh N-element session "default"
 *   mpirun -n P lib_groups run STATE K CHUNK LOGPREFIX [SLEEP_US]
 *
 * Every rank of a group checks, with collectives on the group communicator, that all members got
 * the same index, attempt and parameter i, that the communicator has K ranks and that its rank 0 is
 * the leader; a mismatch prints "lib_groups: MISMATCH ..." and exits 4. Each rank appends
 * "index attempt rank leader" to LOGPREFIX.RANK (one write(2) per element, so a kill -9 loses no
 * line) and its pid to LOGPREFIX.pid.RANK; any other failure inside an element aborts the job.
 * Every rank completes every element: element i with i % 11 == 5 fails (exit code 3, no retries),
 * the others are done with result r = the sum over the group of (i + rank in the group), computed
 * with MPI_Allreduce. SIGUSR1 asks the session to stop. Rank 0 prints "done=D failed=F pending=P
 * running=R close=OK|STOPPED". Exit status: 0 if smx_session_close returned SMX_OK or SMX_ESTOPPED,
 * 2 if the open failed, 1 otherwise.
 */
#include <fcntl.h>
#include <mpi.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sweepmux/errors.h"
#include "sweepmux/session.h"

#include "create_sweep.h"

static smx_session *volatile the_session;

static void on_usr1(int sig)
{
    (void)sig;
    if (the_session)
        smx_session_request_stop(the_session, "signal SIGUSR1");
}

/* Opens the log and pid files of this rank; -1 on failure. */
static int open_logs(const char *logprefix, int rank)
{
    char path[4200], pid[32];
    snprintf(path, sizeof path, "%s.pid.%d", logprefix, rank);
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        return -1;
    }
    snprintf(pid, sizeof pid, "%d\n", (int)getpid());
    fputs(pid, f);
    fclose(f);
    snprintf(path, sizeof path, "%s.%d", logprefix, rank);
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd < 0)
        perror(path);
    return fd;
}

/*
 * The group's work on element E: checks that every member holds the same element, logs it, and
 * completes it on every member (only the leader's completion counts).
 */
static int work(smx_element *e, int rank, int k, int fd, long sleep_us)
{
    MPI_Comm g = smx_element_comm(e);
    int grank = -1, gsize = 0;
    MPI_Comm_rank(g, &grank);
    MPI_Comm_size(g, &gsize);
    int64_t i = -1;
    if (smx_element_get_int(e, "i", &i) != SMX_OK) {
        fprintf(stderr, "lib_groups: rank %d: %s\n", rank, smx_error_last());
        return 1;
    }
    /* Largest and smallest of index, attempt, parameter and leader over the group, in one call. */
    int leader = rank - grank;
    long long mine[8] = {(long long)smx_element_index(e), smx_element_attempt(e), (long long)i,
                         leader};
    for (int k2 = 0; k2 < 4; k2++)
        mine[4 + k2] = -mine[k2];
    long long all[8];
    MPI_Allreduce(mine, all, 8, MPI_LONG_LONG, MPI_MAX, g);
    for (int k2 = 0; k2 < 4; k2++) {
        if (all[k2] != -all[4 + k2] || gsize != k || (uint64_t)i != smx_element_index(e)) {
            fprintf(stderr,
                    "lib_groups: MISMATCH on rank %d: field %d from %lld to %lld, group of %d\n",
                    rank, k2, -all[4 + k2], all[k2], gsize);
            return 4;
        }
    }
    char line[96];
    int len = snprintf(line, sizeof line, "%lld %d %d %d\n", (long long)i, smx_element_attempt(e),
                       rank, leader);
    if (write(fd, line, (size_t)len) != len) {
        perror("lib_groups: write");
        return 1;
    }
    if (sleep_us > 0) {
        struct timespec ts = {sleep_us / 1000000, (sleep_us % 1000000) * 1000};
        nanosleep(&ts, NULL);
    }
    long long part = i + grank, r = 0;
    MPI_Allreduce(&part, &r, 1, MPI_LONG_LONG, MPI_SUM, g);
    int rc;
    if (i % 11 == 5) {
        smx_completion c = SMX_COMPLETION_INIT;
        c.status = SMX_STATUS_FAILED;
        c.exit_code = 3;
        rc = smx_element_complete_ex(e, &c);
    } else {
        const char *names[] = {"r"};
        double v = (double)r;
        rc = smx_element_complete(e, SMX_STATUS_DONE, 1, names, &v);
    }
    if (rc != SMX_OK)
        fprintf(stderr, "lib_groups: rank %d: complete: %s\n", rank, smx_error_last());
    return rc == SMX_OK ? 0 : 1;
}

static int run(const char *state, int k, int chunk, const char *logprefix, long sleep_us)
{
    int rank = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    int fd = open_logs(logprefix, rank);
    if (fd < 0)
        return 1;
    char id[4200];
    snprintf(id, sizeof id, "%s#default", state);
    smx_session_options opts = SMX_SESSION_OPTIONS_INIT;
    opts.chunk = chunk;
    opts.group_size = k;
    smx_session *s = NULL;
    int rc = smx_session_open(&s, id, MPI_COMM_WORLD, &opts);
    if (rc != SMX_OK) {
        fprintf(stderr, "lib_groups: open failed (%d): %s\n", rc, smx_error_last());
        close(fd);
        return 2;
    }
    the_session = s;
    signal(SIGUSR1, on_usr1);
    smx_element *e = NULL;
    int bad = 0;
    while (!bad && (rc = smx_session_next(s, &e)) == SMX_OK)
        bad = work(e, rank, k, fd, sleep_us);
    /* The other members would wait for this one in the next element's collectives. */
    if (bad)
        MPI_Abort(MPI_COMM_WORLD, bad);
    if (rc != SMX_ITEROVER) {
        fprintf(stderr, "lib_groups: rank %d: next: %s\n", rank, smx_error_last());
        smx_session_request_stop(s, "error");
    }
    smx_stat st;
    the_session = NULL;
    int crc = smx_session_close(s, &st);
    close(fd);
    if (crc != SMX_OK && crc != SMX_ESTOPPED) {
        fprintf(stderr, "lib_groups: rank %d: close: %s\n", rank, smx_error_last());
        return 1;
    }
    if (rank == 0)
        printf("done=%llu failed=%llu pending=%llu running=%llu close=%s\n",
               (unsigned long long)st.done, (unsigned long long)st.failed,
               (unsigned long long)st.pending, (unsigned long long)st.running,
               crc == SMX_OK ? "OK" : "STOPPED");
    return rc == SMX_ITEROVER ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc == 4 && !strcmp(argv[1], "create"))
        return create_sweep("lib_groups", argv[2], "lib-groups", strtoull(argv[3], NULL, 10));
    if (argc < 6 || argc > 7 || strcmp(argv[1], "run")) {
        fprintf(stderr, "usage: lib_groups create STATE N | lib_groups run STATE K CHUNK "
                        "LOGPREFIX [SLEEP_US]\n");
        return 2;
    }
    int provided = 0;
    MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
    int rc = run(argv[2], atoi(argv[3]), atoi(argv[4]), argv[5], argc == 7 ? atol(argv[6]) : 0);
    MPI_Finalize();
    return rc;
}
