/*
 * libFuzzer harness: the parser of the `name=value` lines a task writes to $SWEEPMUX_RESULT, on
 * arbitrary bytes (the first 64 KiB, as the runner reads them). Every name it returns must be a
 * valid, NUL-terminated name within bounds.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "exec/runner.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 64 * 1024)
        size = 64 * 1024;
    char *buf = malloc(size + 1); /* the spare byte the parser may overwrite */
    char(*names)[SMX__RESULT_NAME_MAX] = malloc(SMX__TASK_RESULTS_MAX * sizeof *names);
    double *values = malloc(SMX__TASK_RESULTS_MAX * sizeof *values);
    if (!buf || !names || !values)
        abort();
    memcpy(buf, data, size);
    size_t n = smx__runner_parse_results(buf, size, names, values);
    if (n > SMX__TASK_RESULTS_MAX)
        abort();
    for (size_t i = 0; i < n; i++) {
        size_t l = strnlen(names[i], SMX__RESULT_NAME_MAX);
        if (l == 0 || l >= SMX__RESULT_NAME_MAX)
            abort();
    }
    free(buf);
    free(names);
    free(values);
    return 0;
}
