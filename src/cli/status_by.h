/* Views of `sweepmux status` beyond the counts: the outcome by parameter value (--by) and the live
 * terminal view (--watch). */
#ifndef SMX_CLI_STATUS_BY_H
#define SMX_CLI_STATUS_BY_H

/*
 * `status PATH --by P[,Q...] [--metric NAME] [--best min|max] [--json]`: for every value (or
 * combination of values) of the parameters BY, the elements done, failed, running and pending and
 * the mean, min and max of the result METRIC (NULL: the first result) over the done ones, best
 * first (lowest mean, or highest with BEST_MAX), groups without a value of the metric last, most
 * failures first. Returns the exit code.
 */
int smx_cli_status_by(const char *path, const char *session, const char *by, const char *metric,
                      int best_max, int json);

/*
 * `status PATH --watch [SECONDS]`: redraws counts, rate, ETA, running jobs and elements and recent
 * failures every INTERVAL seconds from the file (read-only, no lock), until the session is
 * complete (exit 0, or 1 with failed elements) or the user quits with q or Ctrl-C (exit 0).
 */
int smx_cli_status_watch(const char *path, const char *session, double interval);

#endif
