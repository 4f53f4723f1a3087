/*
 * SHA-256 (FIPS 180-4), in C so that the compiler and the runtime share it:
 * the compiler records the digest of a model file's FlatBuffer part in the
 * compiled forward pass, and the runtime recomputes it before binding the two
 * (gemmac/compiled_abi.h, plan_digest).
 */
#ifndef GEMMAC_RUNTIME_SRC_LOADER_SHA256_H_
#define GEMMAC_RUNTIME_SRC_LOADER_SHA256_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define GEMMAC_SHA256_BYTES 32

/* A digest in progress: init, update any number of times, final. */
typedef struct gemmac_sha256 {
  uint32_t state[8];
  uint64_t length;     /* bytes hashed so far */
  uint8_t block[64];   /* the partial block */
  size_t used;         /* its bytes */
} gemmac_sha256;

void gemmac_sha256_init(gemmac_sha256* sha);
void gemmac_sha256_update(gemmac_sha256* sha, const void* data, size_t size);
/* Pads, writes the digest (big-endian words) and leaves `sha` spent. */
void gemmac_sha256_final(gemmac_sha256* sha, uint8_t digest[GEMMAC_SHA256_BYTES]);

/* The digest of one buffer. */
void gemmac_sha256_digest(const void* data, size_t size, uint8_t digest[GEMMAC_SHA256_BYTES]);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* GEMMAC_RUNTIME_SRC_LOADER_SHA256_H_ */
