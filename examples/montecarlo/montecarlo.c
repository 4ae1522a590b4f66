/*
 * montecarlo: estimate pi once per element of a sweep, over every rank of an MPI job.
 *
 *   mpirun -n 3 ./montecarlo [STATE.h5]        (default: montecarlo.h5 in the current directory)
 *
 * Rank 0 creates the sweep (2 sample sizes x 12 seeds = 24 elements) in a state file from a YAML
 * string and broadcasts the session id. Every rank then takes elements with smx_session_next,
 * throws darts with an RNG seeded from the element's parameters, and reports the estimate as the
 * named results "pi" and "abs_error". Rank 0 finally prints the session's counts from the state
 * file. Run it again in the same directory and it finds the sweep complete and computes nothing.
 *
 * Every call is checked; a failure prints smx_error_last() and the program exits 1.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mpi.h>
#include <sweepmux.h>

static const char SPEC[] = "name: montecarlo-pi\n"
                           "description: estimate pi by throwing darts at the unit square\n"
                           "parameters:\n"
                           "  samples: {values: [20000, 200000]}\n"
                           "  seed:    {min: 1, max: 12, step: 1}\n";

static int rank = 0;

/* Prints what failed, with the library's message, on whichever rank it happened. */
static int report_error(const char *what, int rc)
{
    fprintf(stderr, "montecarlo: [rank %d] %s: %s (%s)\n", rank, what, smx_error_last(),
            smx_error_name(rc));
    return rc;
}

/* splitmix64: a tiny, well-mixed generator; the same seed gives the same darts on any rank. */
static uint64_t next_u64(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static double next_unit(uint64_t *state)
{
    return (double)(next_u64(state) >> 11) * 0x1.0p-53;
}

/* The work of one element. Long computations let the session progress now and then, so that on
 * rank 0 (which also serves the other ranks' claims) nobody waits for us. */
static int estimate_pi(smx_session *s, int64_t samples, int64_t seed, double *pi)
{
    uint64_t state = (uint64_t)seed, inside = 0;
    for (int64_t i = 0; i < samples; i++) {
        double x = next_unit(&state), y = next_unit(&state);
        inside += x * x + y * y <= 1.0;
        if (i % 50000 == 0) {
            int rc = smx_session_progress(s);
            if (rc != SMX_OK)
                return report_error("smx_session_progress", rc);
        }
    }
    *pi = 4.0 * (double)inside / (double)samples;
    return SMX_OK;
}

/* Rank 0: create (or reopen) the sweep and its default session; the id goes to every rank. */
static int create_sweep(const char *state_path, smx_mux **mux, char **id)
{
    int rc = smx_mux_create_string(mux, state_path, SPEC);
    if (rc != SMX_OK)
        return report_error("smx_mux_create_string", rc);
    rc = smx_mux_session_create(*mux, NULL, id);
    if (rc != SMX_OK)
        return report_error("smx_mux_session_create", rc);
    return SMX_OK;
}

/* Every rank: take elements until there are none left for us. */
static int work(smx_session *s, long *computed, double *sum_pi)
{
    static const char *const names[] = {"pi", "abs_error"};
    smx_element *e = NULL;
    int rc;
    while ((rc = smx_session_next(s, &e)) == SMX_OK) {
        int64_t samples = 0, seed = 0;
        double pi = 0;
        if ((rc = smx_element_get_int(e, "samples", &samples)) != SMX_OK ||
            (rc = smx_element_get_int(e, "seed", &seed)) != SMX_OK) {
            report_error("smx_element_get_int", rc);
            smx_element_complete(e, SMX_STATUS_FAILED, 0, NULL, NULL);
            return rc;
        }
        if ((rc = estimate_pi(s, samples, seed, &pi)) != SMX_OK) {
            smx_element_complete(e, SMX_STATUS_FAILED, 0, NULL, NULL);
            return rc;
        }
        const double values[] = {pi, fabs(pi - 3.14159265358979323846)};
        rc = smx_element_complete(e, SMX_STATUS_DONE, 2, names, values);
        if (rc != SMX_OK)
            return report_error("smx_element_complete", rc);
        ++*computed;
        *sum_pi += pi;
    }
    return rc == SMX_ITEROVER ? SMX_OK : report_error("smx_session_next", rc);
}

int main(int argc, char **argv)
{
    const char *state_path = argc > 1 ? argv[1] : "montecarlo.h5";
    int provided = 0, nranks = 1, failed = 0;
    /* The library needs at least MPI_THREAD_FUNNELED: rank 0 runs a helper thread. */
    if (MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
        return 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &nranks);
    if (provided < MPI_THREAD_FUNNELED) {
        if (rank == 0)
            fprintf(stderr, "montecarlo: MPI provides no MPI_THREAD_FUNNELED\n");
        MPI_Finalize();
        return 1;
    }

    /* smx_mux_* calls are Local: rank 0 makes the sweep, then broadcasts the session id. The
     * length 0 tells the others that rank 0 failed. */
    smx_mux *mux = NULL;
    char *id = NULL;
    int idlen = 0;
    if (rank == 0 && create_sweep(state_path, &mux, &id) == SMX_OK)
        idlen = (int)strlen(id) + 1;
    MPI_Bcast(&idlen, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (idlen == 0) {
        smx_mux_free(mux);
        MPI_Finalize();
        return 1;
    }
    if (rank != 0 && !(id = malloc((size_t)idlen)))
        MPI_Abort(MPI_COMM_WORLD, 1);
    MPI_Bcast(id, idlen, MPI_CHAR, 0, MPI_COMM_WORLD);

    /* Collective: every rank returns the same code, so every rank takes the same branch. */
    smx_session *s = NULL;
    int rc = smx_session_open(&s, id, MPI_COMM_WORLD, NULL);
    free(id);
    if (rc != SMX_OK) {
        report_error("smx_session_open", rc);
        smx_mux_free(mux);
        MPI_Finalize();
        return 1;
    }

    long computed = 0, total_computed = 0;
    double sum_pi = 0, total_pi = 0;
    if (work(s, &computed, &sum_pi) != SMX_OK) {
        /* Stop handing out work, but still close: smx_session_close is collective. */
        smx_session_request_stop(s, "montecarlo: error on a rank");
        failed = 1;
    }
    smx_stat final;
    rc = smx_session_close(s, &final);
    if (rc != SMX_OK) {
        report_error("smx_session_close", rc);
        failed = 1;
    }

    MPI_Reduce(&computed, &total_computed, 1, MPI_LONG, MPI_SUM, 0, MPI_COMM_WORLD);
    MPI_Reduce(&sum_pi, &total_pi, 1, MPI_DOUBLE, MPI_SUM, 0, MPI_COMM_WORLD);
    int any_failed = 0;
    MPI_Allreduce(&failed, &any_failed, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);

    if (rank == 0) {
        /* The durable counts, read back from the state file after the session closed. */
        smx_stat st;
        rc = smx_mux_stat(mux, NULL, &st);
        if (rc != SMX_OK) {
            report_error("smx_mux_stat", rc);
            any_failed = 1;
        } else {
            printf("montecarlo: sweepmux %s, %d ranks, state %s\n", smx_version(), nranks,
                   state_path);
            printf("montecarlo: total=%llu done=%llu failed=%llu pending=%llu running=%llu\n",
                   (unsigned long long)st.total, (unsigned long long)st.done,
                   (unsigned long long)st.failed, (unsigned long long)st.pending,
                   (unsigned long long)st.running);
            printf("montecarlo: computed=%ld in this job", total_computed);
            if (total_computed > 0)
                printf(", mean pi estimate %.5f", total_pi / (double)total_computed);
            printf("\n");
            if (st.done != smx_mux_count(mux) || st.done != st.total)
                any_failed = 1;
        }
        smx_mux_free(mux);
    }
    MPI_Bcast(&any_failed, 1, MPI_INT, 0, MPI_COMM_WORLD);
    MPI_Finalize();
    return any_failed ? 1 : 0;
}
