/* sweepmux: error codes and the per-thread error message. */
#ifndef SWEEPMUX_ERRORS_H
#define SWEEPMUX_ERRORS_H

#include "sweepmux/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Every function that can fail returns an int: 0 (SMX_OK) on success or one of the negative codes
 * below. The human-readable message, with its context (file:line:column for a spec, dataset path
 * for HDF5, the MPI error string for MPI), is kept per thread and read with smx_error_last().
 */
typedef enum smx_error_code {
    SMX_OK = 0,
    /* Bad input: a spec, an argument, a changed spec. Nothing was written. CLI exit code 2. */
    SMX_EINPUT = -2,
    /* The sweep was stopped (signal, deadline, halt policy) before it was complete. CLI exit 3. */
    SMX_ESTOPPED = -3,
    /* The state file is held by another run. CLI exit code 4. */
    SMX_ELOCKED = -4,
    /* File system or HDF5 failure, or a damaged state file. CLI exit code 5. */
    SMX_EIO = -5,
    /* A state file, session or element that does not exist. */
    SMX_ENOTFOUND = -6,
    /* An MPI call failed (window creation, communication). */
    SMX_EMPI = -7,
    /* Out of memory. */
    SMX_ENOMEM = -8,
    /* The state file is not a sweepmux file (not HDF5, another program's HDF5 file, not a regular
     * file), or is of an unsupported format version. CLI exit code 2. */
    SMX_EFORMAT = -9,
    /* A task could not be started (missing program, permission, bad working directory). */
    SMX_ESPAWN = -10,
    /* Invalid use of the API (NULL handle, element completed twice, wrong thread). */
    SMX_EUSAGE = -11,
    /* Returned by smx_session_next() when this rank will get no more elements. Not an error. */
    SMX_ITEROVER = -31
} smx_error_code;

/*
 * Local. The message of the last error raised on the calling thread, or "" if none. The string is
 * owned by the library and stays valid until the next failing call on the same thread.
 */
SMX_EXTERN const char *smx_error_last(void);

/* Local. The last error's code on the calling thread (SMX_OK if none). */
SMX_EXTERN int smx_error_last_code(void);

/* Local. Clears the calling thread's error. */
SMX_EXTERN void smx_error_clear(void);

/* Local. A short static name for an error code ("SMX_EINPUT", ...). */
SMX_EXTERN const char *smx_error_name(int code);

#ifdef __cplusplus
}
#endif
#endif
