/*
 * libFuzzer harness: the spec parser (YAML text -> smx_spec) on arbitrary bytes. An accepted spec
 * is then used (values, argv, env, workdir, warnings) and given a valid and an invalid command
 * override. A rejected one must come back as an error, never as a spec.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    smx_spec *spec = NULL;
    int rc = smx__spec_parse(&spec, (const char *)data, size, "fuzz.yaml", "/nonexistent-dir");
    if (rc != 0) {
        if (spec)
            abort(); /* an error must not hand out a spec */
        return 0;
    }
    smx_fuzz_use_spec(spec);
    char *good[] = {"echo", "{index}", NULL};
    char *bad[] = {"echo", "{no_such_parameter}", NULL};
    smx__spec_set_command(spec, 2, bad);
    smx__spec_set_command(spec, 2, good);
    smx_fuzz_use_spec(spec);
    smx__spec_free(spec);
    return 0;
}
