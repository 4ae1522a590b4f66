/* sweepmux: version, export macro and the value type shared by the public headers. */
#ifndef SWEEPMUX_COMMON_H
#define SWEEPMUX_COMMON_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SMX_VERSION_MAJOR 0
#define SMX_VERSION_MINOR 1
#define SMX_VERSION_PATCH 0
#define SMX_VERSION_STRING "0.1.0"
/* One integer that grows with every release: 10000 * major + 100 * minor + patch. */
#define SMX_VERSION_NUMBER (SMX_VERSION_MAJOR * 10000 + SMX_VERSION_MINOR * 100 + SMX_VERSION_PATCH)

#if defined(SMX_BUILDING_LIBRARY) && defined(__GNUC__)
#define SMX_EXTERN __attribute__((visibility("default")))
#else
#define SMX_EXTERN
#endif

/* Local. The version of the library the program runs with ("0.1.0"); compare with
 * SMX_VERSION_STRING. */
SMX_EXTERN const char *smx_version(void);

/* The type of a parameter value. */
typedef enum smx_value_type {
    SMX_VALUE_INT = 1,    /* 64-bit signed integer */
    SMX_VALUE_FLOAT = 2,  /* IEEE double */
    SMX_VALUE_STRING = 3, /* UTF-8 text */
    SMX_VALUE_BOOL = 4    /* true or false */
} smx_value_type;

/*
 * One parameter value. A string value borrows its bytes from the object that produced it (a spec,
 * an element) and stays valid as long as that object.
 */
typedef struct smx_value {
    smx_value_type type;
    union {
        int64_t i;
        double f;
        const char *s;
        int b;
    } u;
} smx_value;

/* The state of one element of a session. The numbers are what the state file stores. */
typedef enum smx_status {
    SMX_STATUS_PENDING = 0, /* not claimed yet, or claimed by a job that died before finishing it */
    SMX_STATUS_RUNNING = 1, /* claimed by a running job, not finished */
    SMX_STATUS_DONE = 2,    /* finished successfully */
    SMX_STATUS_FAILED = 3   /* every attempt failed */
} smx_status;

#ifdef __cplusplus
}
#endif
#endif
