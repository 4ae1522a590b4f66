/*
 * Helpers shared by the benchmark programs: a monotonic clock, the peak RSS of this process, and
 * the YAML of an N-element sweep whose command is /bin/true.
 */
#ifndef SMX_BENCH_UTIL_H
#define SMX_BENCH_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static inline double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* A field of /proc/self/status in kB ("VmHWM", "VmRSS"), or -1. */
static inline long bench_status_kb(const char *field)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    char line[256];
    long kb = -1;
    size_t n = strlen(field);
    while (fgets(line, sizeof line, f)) {
        if (!strncmp(line, field, n) && line[n] == ':') {
            kb = strtol(line + n + 1, NULL, 10);
            break;
        }
    }
    fclose(f);
    return kb;
}

/* The spec of a one-parameter grid with N elements running /bin/true. */
static inline void bench_spec(char *buf, size_t len, unsigned long long n)
{
    snprintf(buf, len,
             "name: bench\n"
             "command: [/bin/true]\n"
             "parameters:\n"
             "  i: {min: 0, max: %llu, step: 1}\n",
             n - 1);
}

#endif
