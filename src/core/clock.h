/*
 * The two clocks: monotonic seconds for intervals and timeouts (never jumps), wall-clock seconds
 * since the epoch for what is recorded or compared with other machines (task start and end times,
 * deadlines). Local and thread-safe.
 */
#ifndef SMX_CLOCK_H
#define SMX_CLOCK_H

/* Seconds on CLOCK_MONOTONIC: only differences mean something. */
double smx__clock_mono(void);

/* Seconds since the epoch on CLOCK_REALTIME. */
double smx__clock_wall(void);

#endif
