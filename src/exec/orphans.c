/* Processes a task left behind outside its process group: see orphans.h. */
#include "exec/orphans.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

int smx__orphans_enable(void)
{
#ifdef PR_SET_CHILD_SUBREAPER
    return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0 ? 0 : -1;
#else
    return -1;
#endif
}

/* Reads the state and process group of PID from /proc/PID/stat. */
static void read_stat(smx__orphan *o)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%ld/stat", (long)o->pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    size_t len = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[len] = '\0';
    /* The command name may hold spaces and parentheses: the fields follow the last ')'. */
    char *p = strrchr(buf, ')');
    char state = 0;
    long ppid = 0, pgrp = 0;
    if (p && sscanf(p + 1, " %c %ld %ld", &state, &ppid, &pgrp) == 3) {
        o->zombie = state == 'Z' || state == 'X';
        o->pgid = (pid_t)pgrp;
    }
}

/* Finds $SWEEPMUX_RESULT in /proc/PID/environ (a zombie's is empty). */
static void read_result(smx__orphan *o)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/environ", (long)o->pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    static const char key[] = "SWEEPMUX_RESULT=";
    char buf[65536];
    ssize_t len = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (len <= 0)
        return;
    buf[len] = '\0';
    for (char *e = buf; e < buf + len; e += strlen(e) + 1)
        if (!strncmp(e, key, sizeof key - 1)) {
            snprintf(o->result, sizeof o->result, "%s", e + sizeof key - 1);
            return;
        }
}

static int skipped(pid_t pid, const pid_t *skip, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (skip[i] == pid)
            return 1;
    return 0;
}

/* Adds the children listed in one thread's /proc/self/task/TID/children. */
static size_t add_children(const char *tid, const pid_t *skip, size_t n, smx__orphan *out,
                           size_t max, size_t k)
{
    char path[300];
    snprintf(path, sizeof path, "/proc/self/task/%s/children", tid);
    FILE *f = fopen(path, "r");
    if (!f)
        return k;
    long pid;
    while (k < max && fscanf(f, "%ld", &pid) == 1) {
        if (pid <= 1 || skipped((pid_t)pid, skip, n))
            continue;
        smx__orphan *o = &out[k++];
        memset(o, 0, sizeof *o);
        o->pid = (pid_t)pid;
        read_stat(o);
        if (!o->zombie)
            read_result(o);
    }
    fclose(f);
    return k;
}

size_t smx__orphans_list(const pid_t *skip, size_t n, smx__orphan *out, size_t max)
{
    /* Children belong to the thread that made them; orphans to whichever thread adopted them. */
    DIR *d = opendir("/proc/self/task");
    if (!d)
        return 0;
    size_t k = 0;
    struct dirent *e;
    while ((e = readdir(d)) && k < max)
        if (e->d_name[0] != '.')
            k = add_children(e->d_name, skip, n, out, max, k);
    closedir(d);
    return k;
}
