/*
 * Shared by the libFuzzer harnesses: exercise a parsed spec the way `check --show` and a run do
 * (values, argv, env, workdir of a few elements, warnings), so that a spec the parser accepts is
 * also safe to use.
 */
#ifndef SMX_FUZZ_COMMON_H
#define SMX_FUZZ_COMMON_H

#include <stdint.h>
#include <stdlib.h>

#include "core/value.h"
#include "spec/spec.h"
#include "spec/template.h"

static inline void smx_fuzz_use_spec(const smx_spec *spec)
{
    uint64_t n = smx__spec_count(spec);
    size_t np = smx__spec_nparams(spec);
    smx_value *vals = calloc(np ? np : 1, sizeof *vals);
    if (!vals)
        return;
    uint64_t picks[] = {0, 1, 2, n / 2, n ? n - 2 : 0, n ? n - 1 : 0, n, UINT64_MAX};
    for (size_t k = 0; k < sizeof picks / sizeof picks[0]; k++) {
        uint64_t i = picks[k];
        if (smx__spec_values(spec, i, vals) != 0)
            continue;
        char buf[128];
        for (size_t p = 0; p < np; p++)
            smx__value_format(&vals[p], buf, sizeof buf);
        char **argv = NULL, **env = NULL, *dir = NULL;
        if (smx__spec_has_command(spec) && smx__template_argv(spec, i, vals, &argv) == 0)
            smx__strv_free(argv);
        if (smx__template_env(spec, i, vals, &env) == 0)
            smx__strv_free(env);
        if (smx__template_workdir(spec, i, vals, &dir) == 0)
            free(dir);
    }
    for (size_t w = 0; w < smx__spec_nwarnings(spec); w++)
        (void)smx__spec_warning(spec, w);
    free(vals);
}

#endif
