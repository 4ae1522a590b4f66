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

typedef enum smx__log_mode {
    SMX__LOG_PER_RANK =
        0, /* default: one log file per rank, each task's output delimited, plus an index */
    SMX__LOG_PER_TASK = 1, /* one file per task attempt (opt-in) */
    SMX__LOG_NONE = 2      /* discard output (stderr tail is still kept for failures) */
} smx__log_mode;

/*
 * Most bytes of one stream (stdout or stderr) of one attempt that go into the rank log; the rest
 * is left out and a line after the record says how much (A6-4). Holes of a sparse output stay
 * holes in the log.
 */
#define SMX__LOG_STREAM_MAX ((long long)1 << 30)

typedef struct smx__log smx__log;

int smx__log_open(smx__log **out, const char *dir, int rank, smx__log_mode mode);
void smx__log_close(smx__log *log);

/*
 * Files the output of one finished attempt whose stdout and stderr were captured in the files
 * OUT_PATH and ERR_PATH (the runner's per-slot scratch files).
 */
int smx__log_task(smx__log *log, uint64_t index, int attempt, const char *out_path,
                  const char *err_path);

/*
 * One captured stream for smx__log_task_src: its path (needed for SMX__LOG_PER_TASK, which moves
 * the file), and optionally an open descriptor and its size, so the caller that already holds them
 * saves the log a reopen and a stat (fd -1 / size -1: unknown).
 */
typedef struct smx__log_src {
    const char *path;
    int fd;
    long long size;
} smx__log_src;

/*
 * Like smx__log_task, for a caller that holds the captured files open. Empty streams are skipped
 * in every mode (no delimiter, no index line, no empty per-task file). In SMX__LOG_PER_TASK mode a
 * non-empty file is renamed into the log directory (copied if that fails with EXDEV), so it no
 * longer exists under PATH afterwards. Returns 0 or SMX_EIO.
 */
int smx__log_task_src(smx__log *log, uint64_t index, int attempt, const smx__log_src *out,
                      const smx__log_src *err);

/* Creates PATH and its missing parents (mkdir -p; mode 0777 before umask). 0 or SMX_EIO. */
int smx__log_mkdirs(const char *path);

#endif
