/*
 * The set-up shared by the library test helpers (lib_once, lib_groups): a fresh state file holding
 * an N-element sweep of one integer parameter i = 0..N-1 and its session "default", made through
 * the public API as a library user makes it.
 */
#ifndef SMX_TESTS_CREATE_SWEEP_H
#define SMX_TESTS_CREATE_SWEEP_H

#include <stdio.h>
#include <stdlib.h>

#include "sweepmux/errors.h"
#include "sweepmux/mux.h"

/* Creates STATE with NAME's N-element sweep and its session "default"; 0, or 1 after a message
 * naming PROG on stderr. */
static int create_sweep(const char *prog, const char *state, const char *name, unsigned long long n)
{
    char yaml[256];
    snprintf(yaml, sizeof yaml,
             "name: %s\ncommand: [/bin/true]\nretries: 0\nparameters:\n"
             "  i: {min: 0, max: %llu, step: 1}\n",
             name, n - 1);
    smx_mux *mux = NULL;
    char *id = NULL;
    int rc = smx_mux_create_string(&mux, state, yaml);
    if (rc == SMX_OK)
        rc = smx_mux_session_create(mux, "default", &id);
    if (rc != SMX_OK)
        fprintf(stderr, "%s: create: %s\n", prog, smx_error_last());
    free(id);
    smx_mux_free(mux);
    return rc == SMX_OK ? 0 : 1;
}

#endif
