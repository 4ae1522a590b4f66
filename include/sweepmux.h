/*
 * sweepmux: distribute the elements of a parameter sweep over the ranks of an MPI job, exactly once
 * per element per job, with the sweep's state in one HDF5 file that survives crashes and walltime
 * limits. See README.md ("C library") for a complete program.
 *
 *   smx_mux_create_file()      a sweep in a state file        (Local)
 *   smx_mux_session_create()   a read session, as an id       (Local)
 *   smx_session_open()         the session on a communicator  (Collective)
 *   smx_session_next()         this rank's next element       (Local; its group's, with groups)
 *   smx_element_comm()         the ranks working on it        (Local)
 *   smx_element_complete()     its status and results         (Local)
 *   smx_session_close()        everything durable             (Collective)
 *   smx_mux_stat(), smx_mux_done(), smx_mux_destroy()
 *
 * The library never calls MPI_Init or MPI_Finalize, never prints and never exits. Functions return
 * 0 or a negative SMX_E... code; smx_error_last() tells what went wrong.
 */
#ifndef SWEEPMUX_H
#define SWEEPMUX_H

#include "sweepmux/common.h"
#include "sweepmux/errors.h"
#include "sweepmux/mux.h"
#include "sweepmux/session.h"

#endif
