/*
 * Sizes of the fixed-width text fields that travel in completion records: from the task runner
 * (exec) through the reports (session) into the state file (state). They live in the lowest layer
 * so that every layer above can agree on them without depending on its neighbours.
 */
#ifndef SMX_LIMITS_H
#define SMX_LIMITS_H

/* Longest result name a task may report, including the terminating NUL. */
#define SMX__RESULT_NAME_MAX 64
/* Bytes of a failed task's stderr kept with its record, including the terminating NUL. */
#define SMX__TAIL_MAX 512
/* Most retries a spec or --retries may ask for: the state file counts an element's attempts in 16
 * bits, and 1 + retries attempts must fit. */
#define SMX__RETRIES_MAX 65534

#endif
