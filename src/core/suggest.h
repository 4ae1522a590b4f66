/* "Did you mean ...?": the closest known word to a misspelt one (spec keys, methods, CLI options).
 */
#ifndef SMX_SUGGEST_H
#define SMX_SUGGEST_H

#include <stddef.h>

/*
 * Optimal string alignment distance between A and B: insertions, deletions, substitutions and
 * transpositions of neighbours each count one. SIZE_MAX for words over 64 bytes.
 */
size_t smx__edit_distance(const char *a, const char *b);

/*
 * The candidate in CANDS (NULL-terminated) closest to WORD, if it is close enough to be a likely
 * typo (at most 2 edits, or a third of WORD's length, and fewer edits than WORD has letters);
 * NULL otherwise.
 */
const char *smx__suggest(const char *word, const char *const *cands);

#endif
