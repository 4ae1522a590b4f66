/*
 * Creates a state file holding an N-element /bin/true sweep with one session "default", through
 * the internal store API (parameters stored, as `sweepmux run` does). (smx_mux_create_string +
 * smx_mux_session_create would do the same; the benchmarks do not depend on them so that only the
 * measured calls are exercised.)
 */
#ifndef SMX_BENCH_CREATE_H
#define SMX_BENCH_CREATE_H

#include <unistd.h>

#include "bench_util.h"
#include "spec/spec.h"
#include "state/store.h"
#include "sweepmux/errors.h"

/* Returns SMX_OK and fills ID ("STATE#default") or an error code (message in smx_error_last). */
static inline int bench_create(const char *state, unsigned long long n, char *id, size_t idlen)
{
    char spec_yaml[512], lock[4200];
    bench_spec(spec_yaml, sizeof spec_yaml, n);
    unlink(state);
    snprintf(lock, sizeof lock, "%s.lock", state);
    unlink(lock);
    smx_spec *spec = NULL;
    int rc = smx__spec_parse(&spec, spec_yaml, strlen(spec_yaml), "bench spec", NULL);
    if (rc != SMX_OK)
        return rc;
    char cwd[4096];
    rc = getcwd(cwd, sizeof cwd) ? smx__store_create_sweep(state, spec, "default", n, NULL, cwd)
                                 : SMX_EIO;
    smx__spec_free(spec);
    snprintf(id, idlen, "%s#default", state);
    return rc;
}

#endif
