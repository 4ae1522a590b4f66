/*
 * libFuzzer harness: the template renderer. The input is split at NUL bytes into a command
 * argument, an env value and a workdir template; each becomes a double-quoted YAML string (escaped
 * so that any bytes reach the template code) in a spec with an int, a float, a string and a bool
 * parameter, once with `shell: false` and once with `shell: true`. Accepted specs are rendered.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"

/* Appends S[0..N) to OUT as the inside of a YAML double-quoted string. */
static size_t quote(char *out, const uint8_t *s, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned c = s[i];
        if (c == '"' || c == '\\') {
            out[k++] = '\\';
            out[k++] = (char)c;
        } else if (c < 0x20 || c >= 0x7f) {
            k += (size_t)sprintf(out + k, "\\x%02x", c);
        } else {
            out[k++] = (char)c;
        }
    }
    return k;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    const uint8_t *part[3] = {data, data, data};
    size_t len[3] = {0, 0, 0};
    size_t p = 0, start = 0;
    for (size_t i = 0; i <= size && p < 3; i++) {
        if (i == size || data[i] == 0) {
            part[p] = data + start;
            len[p++] = i - start;
            start = i + 1;
        }
    }
    char *text = malloc(4 * size + 512);
    if (!text)
        return 0;
    for (int shell = 0; shell <= 1; shell++) {
        size_t k = (size_t)sprintf(text, "shell: %s\ncommand: [\"", shell ? "true" : "false");
        k += quote(text + k, part[0], len[0]);
        k += (size_t)sprintf(text + k, "\"%s]\nenv: {V: \"", shell ? "" : ", \"{s}\"");
        k += quote(text + k, part[1], len[1]);
        k += (size_t)sprintf(text + k, "\"}\nworkdir: \"");
        k += quote(text + k, part[2], len[2]);
        k += (size_t)sprintf(text + k,
                             "\"\nparameters:\n  i: [0, -7, 9223372036854775807]\n"
                             "  f: [0.5, -1e300, 1e-300]\n  s: [\"a b\", \"\", \"'\\\"$\"]\n"
                             "  b: [true, false]\n");
        smx_spec *spec = NULL;
        if (smx__spec_parse(&spec, text, k, "fuzz.yaml", NULL) == 0) {
            smx_fuzz_use_spec(spec);
            smx__spec_free(spec);
        } else if (spec) {
            abort();
        }
    }
    free(text);
    return 0;
}
