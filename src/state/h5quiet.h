/*
 * The embedding program's HDF5 error handler. The store turns HDF5's automatic error printing off
 * wherever it calls HDF5 (it reports HDF5 failures itself, naming the dataset), which would also
 * silence the program's own HDF5 errors afterwards. So every public call that reaches HDF5 saves
 * the calling thread's handler on entry and puts it back on the way out:
 *
 *     int smx_mux_open(smx_mux **out, const char *path) { SMX__H5_RESTORED(mux_open(out, path)); }
 *
 * The handler is per thread (HDF5's default error stack is), so the state file writer thread's
 * setting never reaches the program's threads.
 */
#ifndef SMX_H5QUIET_H
#define SMX_H5QUIET_H

#include <hdf5.h>

typedef struct smx__h5_handler {
    H5E_auto2_t func;
    void *data;
    int saved; /* the handler could be read */
} smx__h5_handler;

/* Saves the calling thread's automatic error handler. */
void smx__h5_save(smx__h5_handler *h);

/* Puts back the handler smx__h5_save saved; returns RC, for `return smx__h5_restore(&h, rc);`. */
int smx__h5_restore(const smx__h5_handler *h, int rc);

/*
 * For a program that closes every HDF5 file it opens (the sweepmux tool): HDF5 does not close
 * files again when the process exits. Called before any other HDF5 call. HDF5 1.10 leaves the
 * identifier of a file whose close failed (a full disk) half destroyed, and closing it again at
 * exit crashed (A3-4); the operating system releases the descriptor instead.
 */
void smx__h5_no_atexit(void);

/* The body of a public call: CALL (an int expression) between a save and a restore. */
#define SMX__H5_RESTORED(call)                                                                     \
    do {                                                                                           \
        smx__h5_handler smx__h5;                                                                   \
        smx__h5_save(&smx__h5);                                                                    \
        int smx__rc = (call);                                                                      \
        return smx__h5_restore(&smx__h5, smx__rc);                                                 \
    } while (0)

#endif
