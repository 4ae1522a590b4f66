/* A small self-contained SHA-256 (FIPS 180-4), used to fingerprint the exact text of a spec. */
#ifndef SMX_SHA256_H
#define SMX_SHA256_H

#include <stddef.h>
#include <stdint.h>

typedef struct smx__sha256 {
    uint32_t h[8];
    uint64_t nbytes;
    unsigned char buf[64];
    size_t nbuf;
} smx__sha256;

void smx__sha256_init(smx__sha256 *c);
void smx__sha256_update(smx__sha256 *c, const void *data, size_t len);
void smx__sha256_final(smx__sha256 *c, unsigned char digest[32]);

/* One-shot: writes the digest of DATA as 64 lowercase hex digits plus a NUL into HEX. */
void smx__sha256_hex(const void *data, size_t len, char hex[65]);

#endif
