/*
 * Test helper: a small MPI program run as one element's task (`mpiexec -n K elem_mpi`). Its ranks
 * sum their rank numbers; rank 0 writes ranks=K and sum=K(K-1)/2 to $SWEEPMUX_RESULT, so the state
 * file shows that the element ran as a K-rank MPI job of its own.
 */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    if (MPI_Init(&argc, &argv) != MPI_SUCCESS)
        return 2;
    int rank = 0, size = 0, sum = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (MPI_Allreduce(&rank, &sum, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD) != MPI_SUCCESS)
        return 3;
    const char *path = getenv("SWEEPMUX_RESULT");
    if (rank == 0 && path) {
        FILE *f = fopen(path, "w");
        if (!f || fprintf(f, "ranks=%d\nsum=%d\n", size, sum) < 0 || fclose(f) != 0)
            return 4;
    }
    MPI_Finalize();
    return 0;
}
