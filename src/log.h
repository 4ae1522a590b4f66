/*
 * Task output logs. By default each rank appends every finished task's stdout and stderr to one
 * file, `rank-NNNNN.log`, between delimiter lines naming the element and attempt, and writes one
 * line per task to `rank-NNNNN.idx` (index, attempt, stream, byte offset, length), so a task's
 * output is found without millions of files. With SMX__LOG_PER_TASK each attempt gets
 * `task-INDEX-ATTEMPT.out` / `.err` instead. File names are built from numbers only.
 */
#ifndef SMX_LOG_H
#define SMX_LOG_H

#include <stdint.h>

#include "runner.h"

typedef struct smx__log smx__log;

int smx__log_open(smx__log **out, const char *dir, int rank, smx__log_mode mode);
void smx__log_close(smx__log *log);

/*
 * Files the output of one finished attempt whose stdout and stderr were captured in the files
 * OUT_PATH and ERR_PATH (the runner's per-slot scratch files).
 */
int smx__log_task(smx__log *log, uint64_t index, int attempt, const char *out_path,
                  const char *err_path);

#endif
