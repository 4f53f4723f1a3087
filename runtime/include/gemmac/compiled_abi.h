/*
 * The ABI between the runtime and a compiled forward pass (the C++ that
 * `gemmac compile --target T` emits and builds into libmodel_T.so). Freestanding
 * C: the generated code includes only this header and the kernels', so the
 * library needs no C++ standard library.
 *
 * The code exports one symbol, with C linkage: its description,
 *   const gemmac_compiled_model* gemmac_compiled_model_get(void);
 * (everything else it defines, kernels included, is hidden). The runtime looks
 * it up in libmodel_T.so beside the model file, or an app that links
 * libmodel_T.a (arm64-android) passes it to gemmac_model_load_linked.
 *
 * Quantized weights are read in place: the generated code knows each one's
 * offset in the model file's segment area (ctx->weights) and calls the
 * target's kernels on it directly. Only f32 / bf16 products call back into the
 * runtime (XNNPACK); norm gains, widened to f32 at load, are handed over by
 * plan op index (the model file's Plan.ops, which the compiler numbers the same way).
 */
#ifndef GEMMAC_COMPILED_ABI_H_
#define GEMMAC_COMPILED_ABI_H_

#include <stddef.h>
#include <stdint.h>

#include "kernels.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GEMMAC_COMPILED_ABI_VERSION 6u

/* out[rows, out_features] = x @ W^T for output `output` of plan op `op` (f32 /
 * bf16 weights). A failure is kept by the runtime and reported when the
 * forward pass returns. */
typedef void (*gemmac_compiled_linear_fn)(void* runtime, uint32_t op, uint32_t output, const float* x,
                                          size_t rows, float* out);

/* Runs task(context, start, count) over the tiles of `tile` items of
 * [0, range) on the runtime's threads, at most `threads` tiles at once. */
typedef void (*gemmac_compiled_task_fn)(void* context, size_t start, size_t count);
typedef void (*gemmac_compiled_parallelize_fn)(void* runtime, gemmac_compiled_task_fn task, void* context,
                                               size_t range, size_t tile);

struct gemmac_compiled_ctx {
  float* workspace;           /* gemmac_compiled_workspace_floats() floats */
  float* scores;              /* attention scratch: `threads` rows of scores_stride floats; decode splits */
  size_t scores_stride;       /* its keys across threads when they hold gemmac_attention_range_floats each */
  size_t threads;
  const uint8_t* weights;     /* the model file's segment area (Model.segment_base), mapped */
  const void* const* op_data; /* by plan op: the f32 norm gain of a norm op */
  void* const* kv_keys;       /* by KV cache: [slots, num_kv_heads * head_dim] elements of kv_type */
  void* const* kv_values;
  uint32_t kv_type;           /* gemmac_kv_type of every cache: a session option, not a compile-time one */
  gemmac_compiled_linear_fn linear;
  gemmac_compiled_parallelize_fn parallelize;
  void* runtime;              /* the callbacks' first argument */
};

typedef struct gemmac_compiled_ctx gemmac_compiled_ctx;

/* What a compiled forward pass is. abi_version comes first and stays first in
 * every version, so a runtime can read it before trusting the rest. */
typedef struct gemmac_compiled_model {
  uint32_t abi_version;     /* GEMMAC_COMPILED_ABI_VERSION */
  uint32_t op_count;        /* plan ops it was compiled from */
  /* SHA-256 of bytes [0, Model.segment_base) of the model file it was compiled
   * from: the plan, tensor and segment tables, config and tokenizer it bakes in
   * (weight offsets, shapes, vocabulary, widths, KV-cache layouts). The runtime
   * recomputes it over the file and binds only on a match, so the code never
   * runs on a plan that is not its own. */
  uint8_t plan_digest[32];
  size_t workspace_floats;  /* activation workspace it needs */
  size_t max_tokens;        /* the largest step it plans for */
  /* A prefill step: logits of rows [first_logit_row, tokens) (none if logits is NULL). */
  void (*forward)(const gemmac_compiled_ctx* ctx, const int32_t* ids, size_t tokens, int64_t first_position,
                  size_t first_logit_row, float* logits);
  /* One token at `position`. */
  void (*decode)(const gemmac_compiled_ctx* ctx, const int32_t* id, int64_t position, float* logits);
} gemmac_compiled_model;

#define GEMMAC_COMPILED_MODEL_SYMBOL "gemmac_compiled_model_get"
/* Marks the generated code's one exported definition (it is built with
 * -fvisibility=hidden). */
#define GEMMAC_COMPILED_EXPORT __attribute__((visibility("default")))

/* Glue the generated code calls: field access and parameter packing, so that
 * the emitted C++ is a flat list of calls with constant arguments. */

static inline float* gemmac_compiled_buffer(const gemmac_compiled_ctx* ctx, size_t offset) {
  return ctx->workspace + offset;
}

static inline const float* gemmac_compiled_norm_weight(const gemmac_compiled_ctx* ctx, uint32_t op) {
  return (const float*)ctx->op_data[op];
}

/* The embedding table is read in place at `offset` in the segment area. */
static inline void gemmac_compiled_embed_bf16(const gemmac_compiled_ctx* ctx, uint64_t offset, size_t rows,
                                              size_t width, const int32_t* ids, size_t tokens, float scale,
                                              float* out) {
  (void)rows; /* a row-major table needs only its width */
  gemmac_embed_bf16_generic((const uint16_t*)(ctx->weights + offset), width, ids, tokens, scale, out);
}

static inline void gemmac_compiled_embed_f32(const gemmac_compiled_ctx* ctx, uint64_t offset, size_t rows,
                                             size_t width, const int32_t* ids, size_t tokens, float scale,
                                             float* out) {
  (void)rows;
  gemmac_embed_f32_generic((const float*)(ctx->weights + offset), width, ids, tokens, scale, out);
}

static inline void gemmac_compiled_embed_q8g32(const gemmac_compiled_ctx* ctx, uint64_t offset, size_t rows,
                                               size_t width, const int32_t* ids, size_t tokens, float scale,
                                               float* out) {
  gemmac_embed_q8g32_generic(ctx->weights + offset, rows, width, ids, tokens, scale, out);
}

static inline void gemmac_compiled_embed_q4g32(const gemmac_compiled_ctx* ctx, uint64_t offset, size_t rows,
                                               size_t width, const int32_t* ids, size_t tokens, float scale,
                                               float* out) {
  gemmac_embed_q4g32_generic(ctx->weights + offset, rows, width, ids, tokens, scale, out);
}

/* Quantized products of one input, in one parallel dispatch over their
 * output features (one contiguous range per thread). */
static inline void gemmac_compiled_products(const gemmac_compiled_ctx* ctx, const gemmac_q_products* products) {
  const size_t features = gemmac_q_products_features(products);
  const size_t tile = (features + ctx->threads - 1) / ctx->threads;
  ctx->parallelize(ctx->runtime, gemmac_q_products_run, (void*)products, features, tile);
}

/* x [tokens, k] times one to three quantized weights at offsets of the segment area. */
static inline void gemmac_compiled_linear_q1(const gemmac_compiled_ctx* ctx, gemmac_linear_q_fn kernel, size_t k,
                                             const float* x, size_t tokens, uint64_t offset0, size_t n0,
                                             float* out0) {
  const gemmac_q_product parts[1] = {{ctx->weights + offset0, n0, out0}};
  const gemmac_q_products products = {kernel, k, x, tokens, parts, 1};
  gemmac_compiled_products(ctx, &products);
}

static inline void gemmac_compiled_linear_q2(const gemmac_compiled_ctx* ctx, gemmac_linear_q_fn kernel, size_t k,
                                             const float* x, size_t tokens, uint64_t offset0, size_t n0, float* out0,
                                             uint64_t offset1, size_t n1, float* out1) {
  const gemmac_q_product parts[2] = {{ctx->weights + offset0, n0, out0}, {ctx->weights + offset1, n1, out1}};
  const gemmac_q_products products = {kernel, k, x, tokens, parts, 2};
  gemmac_compiled_products(ctx, &products);
}

static inline void gemmac_compiled_linear_q3(const gemmac_compiled_ctx* ctx, gemmac_linear_q_fn kernel, size_t k,
                                             const float* x, size_t tokens, uint64_t offset0, size_t n0, float* out0,
                                             uint64_t offset1, size_t n1, float* out1, uint64_t offset2, size_t n2,
                                             float* out2) {
  const gemmac_q_product parts[3] = {
      {ctx->weights + offset0, n0, out0}, {ctx->weights + offset1, n1, out1}, {ctx->weights + offset2, n2, out2}};
  const gemmac_q_products products = {kernel, k, x, tokens, parts, 3};
  gemmac_compiled_products(ctx, &products);
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

/* The same with the quantized head at `offset` ([vocab, width]). */
static inline void gemmac_compiled_logits_q(const gemmac_compiled_ctx* ctx, gemmac_linear_q_fn kernel,
                                            uint64_t offset, const float* x, size_t width, size_t vocab,
                                            size_t tokens, size_t first_row, float* logits, float softcap) {
  if (!logits || first_row >= tokens) return;
  gemmac_compiled_linear_q1(ctx, kernel, width, x + first_row * width, tokens - first_row, offset, vocab, logits);
  if (softcap > 0.0f) gemmac_softcap_generic(logits, (tokens - first_row) * vocab, softcap);
}

/* Stores the step's keys and values in cache `cache` (position p in row
 * p % slots, as ctx->kv_type), then attends over it with the target's partial
 * pass for that type: `kernel` (gemmac_attention_partial_<variant>) on f32
 * rows, `kernel_f16` (gemmac_attention_partial_f16_<variant>) on f16 rows. The
 * variant is chosen at compile time, the row type by the session. A decode
 * step splits its keys into a range per thread (partials in ctx->scores,
 * merged after), a prefill step tiles its query rows (gemmac_attention_task). */
static inline void gemmac_compiled_attention(const gemmac_compiled_ctx* ctx, gemmac_attention_partial_fn kernel,
                                             gemmac_attention_partial_fn kernel_f16, uint32_t cache, size_t num_heads,
                                             size_t num_kv_heads, size_t head_dim, float scale, float softcap,
                                             int64_t window, size_t slots, const float* q, const float* k,
                                             const float* v, size_t tokens, int64_t first_position, float* out) {
  const gemmac_kv_type type = (gemmac_kv_type)ctx->kv_type;
  void* keys = ctx->kv_keys[cache];
  void* values = ctx->kv_values[cache];
  gemmac_kv_store_generic(type, k, v, tokens, num_kv_heads * head_dim, first_position, slots, keys, values);
  const gemmac_attention_params params = {num_heads, num_kv_heads, head_dim, scale, softcap, window, slots};
  gemmac_attention_task task;
  gemmac_attention_task_init(&task, type == GEMMAC_KV_F16 ? kernel_f16 : kernel, &params, q, tokens, first_position,
                             keys, values, out, ctx->threads, ctx->scores, ctx->threads * ctx->scores_stride);
  ctx->parallelize(ctx->runtime, gemmac_attention_task_run, &task, task.items, task.tile);
  gemmac_attention_task_finish(&task);
}

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* GEMMAC_COMPILED_ABI_H_ */
