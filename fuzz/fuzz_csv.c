/*
 * libFuzzer harness: the CSV reader of `rows: {csv: FILE}` lists. The input is the CSV file's
 * content; it is put in a memory file and read through the real path of the spec parser, then
 * the elements are rendered (argv with `shell: true`, env, workdir).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int fd = -1;
    if (fd < 0 && (fd = memfd_create("fuzz.csv", 0)) < 0)
        abort();
    if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
        abort();
    char spec_text[256];
    int n = snprintf(spec_text, sizeof spec_text,
                     "method: list\nshell: true\ncommand: [\"echo {index}\"]\n"
                     "workdir: \"w/{index}\"\nrows: {csv: /proc/self/fd/%d}\n",
                     fd);
    smx_spec *spec = NULL;
    if (smx__spec_parse(&spec, spec_text, (size_t)n, "fuzz.yaml", NULL) == 0) {
        smx_fuzz_use_spec(spec);
        smx__spec_free(spec);
    } else if (spec) {
        abort();
    }
    return 0;
}
