/* Suggestions for misspelt words: see suggest.h. */
#include "suggest.h"

#include <stdint.h>
#include <string.h>

size_t smx__edit_distance(const char *a, const char *b)
{
    /* Optimal string alignment distance (a transposition counts as one edit), two rows kept. */
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64)
        return SIZE_MAX;
    size_t d[3][65];
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t *cur = d[i % 3], *prev = d[(i - 1) % 3], *prev2 = d[(i + 1) % 3];
        cur[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t cost = a[i - 1] != b[j - 1];
            size_t best = prev[j] + 1;
            if (cur[j - 1] + 1 < best)
                best = cur[j - 1] + 1;
            if (prev[j - 1] + cost < best)
                best = prev[j - 1] + cost;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                prev2[j - 2] + 1 < best)
                best = prev2[j - 2] + 1;
            cur[j] = best;
        }
    }
    return d[la % 3][lb];
}

const char *smx__suggest(const char *word, const char *const *cands)
{
    const char *best = NULL;
    size_t bestd = SIZE_MAX;
    for (size_t i = 0; cands[i]; i++) {
        size_t d = smx__edit_distance(word, cands[i]);
        if (d < bestd) {
            bestd = d;
            best = cands[i];
        }
    }
    size_t len = strlen(word);
    if (best && (bestd <= 2 || bestd * 3 <= len) && bestd < len)
        return best;
    return NULL;
}
