/*
 * Element states by name: the names the state file's enum type, `status`, `export` and `requeue`
 * use. The numbers are smx_status (sweepmux/common.h), which is what the state file stores.
 */
#ifndef SMX_STATUS_H
#define SMX_STATUS_H

#include "sweepmux/common.h"

/* Number of states (they are 0 .. SMX__STATUS_COUNT - 1). */
#define SMX__STATUS_COUNT 4

/* The names in state order, NULL-terminated (a list of choices for an option). */
extern const char *const smx__status_names[SMX__STATUS_COUNT + 1];

/* "pending", "running", "done" or "failed"; "unknown" for any other number. */
const char *smx__status_name(int status);

/* The state called NAME, or -1 if there is none. */
int smx__status_parse(const char *name);

/* Non-zero for a state an attempt ended in (done or failed), as opposed to pending or running. */
static inline int smx__status_is_final(int status)
{
    return status == SMX_STATUS_DONE || status == SMX_STATUS_FAILED;
}

#endif
