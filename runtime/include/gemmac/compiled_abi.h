/*
 * The ABI between the runtime and a compiled forward pass (the C++ that
 * `gemmac compile --target T` emits and builds into libmodel_T.so). Freestanding
 * C: the generated code includes only this header and the kernels', so the
 * library needs no C++ standard library.
 *
 * The library exports, with C linkage:
 *   uint32_t gemmac_compiled_abi_version(void);    GEMMAC_COMPILED_ABI_VERSION
 *   uint32_t gemmac_compiled_op_count(void);       plan ops it was compiled from
 *   size_t gemmac_compiled_workspace_floats(void); activation workspace it needs
 *   size_t gemmac_compiled_max_tokens(void);       the largest step it plans for
 *   void gemmac_compiled_forward(const gemmac_compiled_ctx* ctx, const int32_t* ids,
 *                                size_t tokens, int64_t first_position,
 *                                size_t first_logit_row, float* logits);
 *
 * Weights stay with the runtime, addressed by plan op index (the model file's
 * Plan.ops, which the compiler numbers the same way): the big matrix products
 * call back into the runtime (XNNPACK), norm gains and the embedding table are
 * handed over as pointers.
 */
#ifndef GEMMAC_RUNTIME_SRC_COMPILED_ABI_H_
#define GEMMAC_RUNTIME_SRC_COMPILED_ABI_H_

#include <stddef.h>
#include <stdint.h>

#include "kernels.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GEMMAC_COMPILED_ABI_VERSION 2u

/* out[rows, out_features] = x @ W^T for output `output` of plan op `op`. A
 * failure is kept by the runtime and reported when the forward pass returns. */
typedef void (*gemmac_compiled_linear_fn)(void* runtime, uint32_t op, uint32_t output, const float* x,
                                          size_t rows, float* out);

/* Runs task(context, start, count) over the tiles of `tile` items of
 * [0, range) on the runtime's threads, at most `threads` tiles at once. */
typedef void (*gemmac_compiled_task_fn)(void* context, size_t start, size_t count);
typedef void (*gemmac_compiled_parallelize_fn)(void* runtime, gemmac_compiled_task_fn task, void* context,
                                               size_t range, size_t tile);

typedef struct gemmac_compiled_ctx {
  float* workspace;           /* gemmac_compiled_workspace_floats() floats */
  float* scores;              /* attention scratch: `threads` rows of scores_stride floats */
  size_t scores_stride;       /* rows of the largest KV cache */
  size_t threads;
  const void* const* op_data; /* by plan op: the f32 norm gain of a norm op, the table of the embed op */
  float* const* kv_keys;      /* by KV cache: [slots, num_kv_heads * head_dim] */
  float* const* kv_values;
  gemmac_compiled_linear_fn linear;
  gemmac_compiled_parallelize_fn parallelize;
  void* runtime;              /* the callbacks' first argument */
} gemmac_compiled_ctx;

/* Glue the generated code calls: field access and parameter packing, so that
 * the emitted C++ is a flat list of calls with constant arguments. */

static inline float* gemmac_compiled_buffer(const gemmac_compiled_ctx* ctx, size_t offset) {
  return ctx->workspace + offset;
}

static inline const float* gemmac_compiled_norm_weight(const gemmac_compiled_ctx* ctx, uint32_t op) {
  return (const float*)ctx->op_data[op];
}

static inline void gemmac_compiled_embed_bf16(const gemmac_compiled_ctx* ctx, uint32_t op, size_t rows, size_t width,
                                              const int32_t* ids, size_t tokens, float scale, float* out) {
  (void)rows; /* a row-major table needs only its width */
  gemmac_embed_bf16_generic((const uint16_t*)ctx->op_data[op], width, ids, tokens, scale, out);
}

static inline void gemmac_compiled_embed_f32(const gemmac_compiled_ctx* ctx, uint32_t op, size_t rows, size_t width,
                                             const int32_t* ids, size_t tokens, float scale, float* out) {
  (void)rows;
  gemmac_embed_f32_generic((const float*)ctx->op_data[op], width, ids, tokens, scale, out);
}

static inline void gemmac_compiled_embed_q8g32(const gemmac_compiled_ctx* ctx, uint32_t op, size_t rows, size_t width,
                                               const int32_t* ids, size_t tokens, float scale, float* out) {
  gemmac_embed_q8g32_generic((const uint8_t*)ctx->op_data[op], rows, width, ids, tokens, scale, out);
}

static inline void gemmac_compiled_embed_q4g32(const gemmac_compiled_ctx* ctx, uint32_t op, size_t rows, size_t width,
                                               const int32_t* ids, size_t tokens, float scale, float* out) {
  gemmac_embed_q4g32_generic((const uint8_t*)ctx->op_data[op], rows, width, ids, tokens, scale, out);
}

static inline void gemmac_compiled_linear(const gemmac_compiled_ctx* ctx, uint32_t op, uint32_t output,
                                          const float* x, size_t rows, float* out) {
  ctx->linear(ctx->runtime, op, output, x, rows, out);
}

/* The logits of rows [first_row, tokens) into `logits`; nothing without logits. */
static inline void gemmac_compiled_logits(const gemmac_compiled_ctx* ctx, uint32_t op, const float* x,
                                          size_t width, size_t vocab, size_t tokens, size_t first_row,
                                          float* logits, float softcap) {
  if (!logits || first_row >= tokens) return;
  ctx->linear(ctx->runtime, op, 0, x + first_row * width, tokens - first_row, logits);
  if (softcap > 0.0f) gemmac_softcap_generic(logits, (tokens - first_row) * vocab, softcap);
}

/* Query rows [start, start + count) of one attention op, as one parallel task. */
typedef struct gemmac_compiled_attention_task {
  const gemmac_attention_params* params;
  const float* q;
  float* out;
  size_t q_width;
  int64_t first_position;
  const float* keys;
  const float* values;
  float* scores;
  size_t scores_stride;
  size_t tile;
} gemmac_compiled_attention_task;

static inline void gemmac_compiled_attention_tile(void* context, size_t start, size_t count) {
  const gemmac_compiled_attention_task* task = (const gemmac_compiled_attention_task*)context;
  gemmac_attention_generic(task->params, task->q + start * task->q_width, count,
                           task->first_position + (int64_t)start, task->keys, task->values,
                           task->scores + (start / task->tile) * task->scores_stride,
                           task->out + start * task->q_width);
}

/* Stores the step's keys and values in cache `cache` (position p in row
 * p % slots), then attends over it, one tile of query rows per thread. */
static inline void gemmac_compiled_attention(const gemmac_compiled_ctx* ctx, uint32_t cache, size_t num_heads,
                                             size_t num_kv_heads, size_t head_dim, float scale, float softcap,
                                             int64_t window, size_t slots, const float* q, const float* k,
                                             const float* v, size_t tokens, int64_t first_position,
                                             float* out) {
  const size_t row = num_kv_heads * head_dim;
  float* keys = ctx->kv_keys[cache];
  float* values = ctx->kv_values[cache];
  for (size_t t = 0; t < tokens; ++t) {
    const size_t slot = (size_t)(first_position + (int64_t)t) % slots;
    for (size_t i = 0; i < row; ++i) {
      keys[slot * row + i] = k[t * row + i];
      values[slot * row + i] = v[t * row + i];
    }
  }
  gemmac_attention_params params = {num_heads, num_kv_heads, head_dim, scale, softcap, window, slots};
  const size_t tile = (tokens + ctx->threads - 1) / ctx->threads;
  gemmac_compiled_attention_task task = {&params, q, out, num_heads * head_dim, first_position,
                                         keys, values, ctx->scores, ctx->scores_stride, tile};
  ctx->parallelize(ctx->runtime, gemmac_compiled_attention_tile, &task, tokens, tile);
}

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* GEMMAC_RUNTIME_SRC_COMPILED_ABI_H_ */
