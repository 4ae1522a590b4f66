/*
 * resume: a sweep that is stopped part-way and resumed by a second job, every element done once.
 *
 *   mpirun -n 3 ./resume [--max-elements K] [--state PATH]      (defaults: 4, resume.h5)
 *
 * Rank 0 builds a sweep of 30 elements in C (smx_mux_create_elements: a float "x" and a string
 * "label" per element) in a fresh state file. Then two "jobs" run one after the other in this
 * program, as two batch jobs of a chain would:
 *
 *   job 1: every rank completes at most K elements, then asks the session to stop
 *          (smx_session_request_stop, as a walltime handler would). smx_session_close returns
 *          SMX_ESTOPPED: resumable. The state file holds the finished elements, the rest pending.
 *   job 2: smx_session_open on the same session id carries on with the pending elements only,
 *          and smx_session_close returns SMX_OK.
 *
 * At the end it checks, from the ranks' own tallies and from the state file's counts, that every
 * element was completed exactly once, and prints one line per job and a summary on rank 0.
 * Exit status 0 when all checks hold, 1 otherwise.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mpi.h>
#include <sweepmux.h>

#define NELEMENTS 30

static int rank = 0;

static int report_error(const char *what, int rc)
{
    fprintf(stderr, "resume: [rank %d] %s: %s (%s)\n", rank, what, smx_error_last(),
            smx_error_name(rc));
    return rc;
}

/* Rank 0: a fresh state file holding NELEMENTS elements, and the id of its default session. */
static int create_sweep(const char *state_path, char **id)
{
    static char labels[NELEMENTS][16];
    static const char *const names[] = {"x", "label"};
    smx_value values[NELEMENTS * 2];
    for (int i = 0; i < NELEMENTS; i++) {
        snprintf(labels[i], sizeof labels[i], "e%02d", i);
        values[2 * i].type = SMX_VALUE_FLOAT;
        values[2 * i].u.f = 0.5 * i;
        values[2 * i + 1].type = SMX_VALUE_STRING;
        values[2 * i + 1].u.s = labels[i];
    }
    smx_mux *mux = NULL;
    /* Start from scratch: an earlier run's file would already be complete. */
    int rc = smx_mux_open(&mux, state_path);
    if (rc == SMX_OK) {
        rc = smx_mux_destroy(mux, NULL);
        smx_mux_free(mux);
        mux = NULL;
        if (rc != SMX_OK)
            return report_error("smx_mux_destroy", rc);
    } else if (rc != SMX_ENOTFOUND) {
        return report_error("smx_mux_open", rc);
    }
    rc = smx_mux_create_elements(&mux, state_path, "resume-demo", 2, names, NELEMENTS, values);
    if (rc != SMX_OK)
        return report_error("smx_mux_create_elements", rc);
    rc = smx_mux_session_create(mux, NULL, id);
    if (rc != SMX_OK)
        report_error("smx_mux_session_create", rc);
    smx_mux_free(mux);
    return rc;
}

/*
 * One job: open the session, complete elements (at most MAX on this rank if MAX > 0, then ask
 * for a stop), close. DONE_COUNT[i] counts this rank's completions of element i. Returns the
 * close's code (the same on every rank), or an open error; *COMPLETED gets this rank's count.
 */
static int run_job(const char *id, long max, int done_count[NELEMENTS], long *completed,
                   smx_stat *final)
{
    static const char *const result_names[] = {"y"};
    smx_session *s = NULL;
    int rc = smx_session_open(&s, id, MPI_COMM_WORLD, NULL);
    if (rc != SMX_OK)
        return report_error("smx_session_open", rc);
    smx_element *e = NULL;
    int failed = 0;
    *completed = 0;
    while (!failed && (rc = smx_session_next(s, &e)) == SMX_OK) {
        double x = 0;
        const char *label = NULL;
        uint64_t i = smx_element_index(e);
        if ((rc = smx_element_get_double(e, "x", &x)) != SMX_OK ||
            (rc = smx_element_get_string(e, "label", &label)) != SMX_OK) {
            report_error("smx_element_get", rc);
            smx_element_complete(e, SMX_STATUS_FAILED, 0, NULL, NULL);
            failed = 1;
            break;
        }
        /* The parameters are a pure function of the index: check that they came back intact. */
        char expected[16];
        snprintf(expected, sizeof expected, "e%02d", (int)i);
        if (i >= NELEMENTS || strcmp(label, expected) != 0 || x != 0.5 * (double)i) {
            fprintf(stderr, "resume: [rank %d] element %llu has x=%g label=%s\n", rank,
                    (unsigned long long)i, x, label);
            smx_element_complete(e, SMX_STATUS_FAILED, 0, NULL, NULL);
            failed = 1;
            break;
        }
        const double y = x * x + 1.0;
        if ((rc = smx_element_complete(e, SMX_STATUS_DONE, 1, result_names, &y)) != SMX_OK) {
            report_error("smx_element_complete", rc);
            failed = 1;
            break;
        }
        done_count[i]++;
        if (++*completed == max)
            smx_session_request_stop(s, "resume: --max-elements reached");
    }
    if (!failed && rc != SMX_ITEROVER) {
        report_error("smx_session_next", rc);
        failed = 1;
    }
    if (failed)
        smx_session_request_stop(s, "resume: error on a rank");
    /* Collective, even after an error on this rank: the others are waiting in it. */
    int close_rc = smx_session_close(s, final);
    if (close_rc != SMX_OK && close_rc != SMX_ESTOPPED)
        return report_error("smx_session_close", close_rc);
    return failed ? SMX_EUSAGE : close_rc;
}

static int parse_args(int argc, char **argv, long *max, const char **state)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--max-elements") && i + 1 < argc) {
            *max = strtol(argv[++i], NULL, 10);
        } else if (!strcmp(argv[i], "--state") && i + 1 < argc) {
            *state = argv[++i];
        } else {
            if (rank == 0)
                fprintf(stderr, "usage: resume [--max-elements K] [--state PATH]\n");
            return -1;
        }
    }
    return *max > 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
    int provided = 0, nranks = 1, ok = 1;
    if (MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
        return 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &nranks);
    long max = 4;
    const char *state_path = "resume.h5";
    if (provided < MPI_THREAD_FUNNELED || parse_args(argc, argv, &max, &state_path) != 0) {
        MPI_Finalize();
        return provided < MPI_THREAD_FUNNELED ? 1 : 2;
    }

    /* The session id is a string: rank 0 makes it and sends it to everyone (0: rank 0 failed). */
    char *id = NULL;
    int idlen = 0;
    if (rank == 0 && create_sweep(state_path, &id) == SMX_OK)
        idlen = (int)strlen(id) + 1;
    MPI_Bcast(&idlen, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (idlen == 0) {
        MPI_Finalize();
        return 1;
    }
    if (rank != 0 && !(id = malloc((size_t)idlen)))
        MPI_Abort(MPI_COMM_WORLD, 1);
    MPI_Bcast(id, idlen, MPI_CHAR, 0, MPI_COMM_WORLD);

    int done_count[NELEMENTS] = {0}, all_counts[NELEMENTS] = {0};
    long completed[2] = {0, 0}, job_total[2] = {0, 0};
    smx_stat final[2];

    /* Job 1 is cut short: it must end resumable, with some but not all elements done. */
    int rc = run_job(id, max, done_count, &completed[0], &final[0]);
    MPI_Allreduce(&completed[0], &job_total[0], 1, MPI_LONG, MPI_SUM, MPI_COMM_WORLD);
    if (rc != SMX_ESTOPPED) {
        if (rank == 0)
            fprintf(stderr, "resume: job 1 returned %s, expected SMX_ESTOPPED\n",
                    smx_error_name(rc));
        ok = 0;
    } else if (rank == 0) {
        printf("resume: job 1 stopped (resumable): %ld of %d elements done, state file done=%llu "
               "pending=%llu\n",
               job_total[0], NELEMENTS, (unsigned long long) final[0].done,
               (unsigned long long) final[0].pending);
        if (final[0].done != (uint64_t)job_total[0] || final[0].done >= NELEMENTS)
            ok = 0;
    }

    /* Job 2 resumes the same session and gets only what job 1 left. */
    if (ok) {
        rc = run_job(id, 0, done_count, &completed[1], &final[1]);
        MPI_Allreduce(&completed[1], &job_total[1], 1, MPI_LONG, MPI_SUM, MPI_COMM_WORLD);
        if (rc != SMX_OK)
            ok = 0;
        else if (rank == 0)
            printf("resume: job 2 complete: %ld more elements done\n", job_total[1]);
    }
    free(id);

    /* Exactly once: over both jobs and all ranks, every element was completed once. */
    MPI_Reduce(done_count, all_counts, NELEMENTS, MPI_INT, MPI_SUM, 0, MPI_COMM_WORLD);
    if (rank == 0 && ok) {
        int once = 0;
        for (int i = 0; i < NELEMENTS; i++) {
            once += all_counts[i] == 1;
            if (all_counts[i] != 1)
                fprintf(stderr, "resume: element %d completed %d times\n", i, all_counts[i]);
        }
        smx_mux *mux = NULL;
        smx_stat st;
        if ((rc = smx_mux_open(&mux, state_path)) != SMX_OK ||
            (rc = smx_mux_stat(mux, NULL, &st)) != SMX_OK) {
            report_error("smx_mux_stat", rc);
            ok = 0;
        } else {
            printf("resume: %d ranks, %d elements, %d completed exactly once; state file "
                   "total=%llu done=%llu pending=%llu running=%llu failed=%llu\n",
                   nranks, NELEMENTS, once, (unsigned long long)st.total,
                   (unsigned long long)st.done, (unsigned long long)st.pending,
                   (unsigned long long)st.running, (unsigned long long)st.failed);
            ok = once == NELEMENTS && st.total == NELEMENTS && st.done == NELEMENTS &&
                 job_total[0] + job_total[1] == NELEMENTS && smx_mux_done(mux, NULL);
        }
        smx_mux_free(mux);
    }
    MPI_Bcast(&ok, 1, MPI_INT, 0, MPI_COMM_WORLD);
    MPI_Finalize();
    return ok ? 0 : 1;
}
