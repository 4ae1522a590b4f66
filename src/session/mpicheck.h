/*
 * Checking MPI calls. A session's communicator returns errors (MPI_ERRORS_RETURN) instead of
 * aborting, so every call's result is checked and turned into SMX_EMPI with MPI's own words.
 */
#ifndef SMX_MPICHECK_H
#define SMX_MPICHECK_H

#include <mpi.h>

#include "core/error.h"

/*
 * Records "WHAT failed: <MPI_Error_string>" (WHAT is printf-style) as the thread's error and
 * returns SMX_EMPI.
 */
int smx__mpi_error(int mpi_rc, const char *what, ...) SMX__PRINTF(2, 3);

/* SMX_OK if MPI_RC is MPI_SUCCESS, else as smx__mpi_error. */
int smx__mpi_check(int mpi_rc, const char *what, ...) SMX__PRINTF(2, 3);

/*
 * Calls EXPR, an MPI call; on failure sets `rc` to SMX_EMPI with the message and jumps to `done`
 * (the goto-done style that SMX_H5 uses for HDF5 in store.c).
 */
#define SMX_MPI(expr, ...)                                                                         \
    do {                                                                                           \
        int smx__mrc = (expr);                                                                     \
        if (smx__mrc != MPI_SUCCESS) {                                                             \
            rc = smx__mpi_error(smx__mrc, __VA_ARGS__);                                            \
            goto done;                                                                             \
        }                                                                                          \
    } while (0)

#endif
