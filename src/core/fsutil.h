/*
 * File-system helpers shared by the state file (copy-fsync-rename), the lock file and the task
 * logs: making a file and the directory entry that names it durable, and copying byte ranges
 * between files without bringing them through user space when the kernel can. Local.
 */
#ifndef SMX_FSUTIL_H
#define SMX_FSUTIL_H

#include <stddef.h>
#include <sys/types.h>

/* Opens PATH and fsyncs it. SMX_EIO (message names PATH) on failure. */
int smx__fs_sync(const char *path);

/*
 * Fsyncs the directory that holds PATH ("." for a bare name), so that a file created or renamed
 * there survives a crash. A file system that cannot fsync a directory at all (EINVAL, EBADF) is
 * not an error; any other failure is SMX_EIO.
 */
int smx__fs_sync_dir_of(const char *path);

/* Writes all LEN bytes of DATA at OFF of FD (retrying short writes). 0, or -1 with errno set. */
int smx__fs_pwrite_all(int fd, const void *data, size_t len, off_t off);

/* What smx__fs_copy found the kernel cannot do between two files, so that it stops trying. */
typedef struct smx__fs_copy_caps {
    int no_copy_file_range;
    int no_sendfile;
} smx__fs_copy_caps;

/* smx__fs_copy flags. */
enum {
    /*
     * OUT was sized beforehand and reads as zeros where it is not written: blocks of zeros are
     * left unwritten (holes) instead of copied, and sendfile is not used.
     */
    SMX__FS_COPY_SPARSE = 1
};

/*
 * Copies LEN bytes from IN at IN_OFF to OUT at OUT_OFF, neither descriptor's file position used
 * except by sendfile: copy_file_range (which keeps data extents and may share them on copy-on-write
 * file systems), then sendfile, then pread/pwrite, each tried only while the one before is
 * unsupported between these files. CAPS (may be NULL) remembers what is unsupported across calls.
 * Returns the number of bytes copied, less than LEN only if IN ended first, or -1 with errno set.
 */
long long smx__fs_copy(int in, off_t in_off, int out, off_t out_off, long long len, int flags,
                       smx__fs_copy_caps *caps);

#endif
