/* Checking MPI calls: see mpicheck.h. */
#include "session/mpicheck.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int vfail(int mpi_rc, const char *what, va_list ap)
{
    char msg[MPI_MAX_ERROR_STRING], head[512];
    int len = 0;
    if (MPI_Error_string(mpi_rc, msg, &len) != MPI_SUCCESS)
        snprintf(msg, sizeof msg, "unknown MPI error %d", mpi_rc);
    vsnprintf(head, sizeof head, what, ap);
    return smx__error(SMX_EMPI, "%s failed: %s", head, msg);
}

int smx__mpi_error(int mpi_rc, const char *what, ...)
{
    va_list ap;
    va_start(ap, what);
    int rc = vfail(mpi_rc, what, ap);
    va_end(ap);
    return rc;
}

int smx__mpi_check(int mpi_rc, const char *what, ...)
{
    if (mpi_rc == MPI_SUCCESS)
        return SMX_OK;
    va_list ap;
    va_start(ap, what);
    int rc = vfail(mpi_rc, what, ap);
    va_end(ap);
    return rc;
}
