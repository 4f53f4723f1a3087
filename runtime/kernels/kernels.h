/*
 * gemmac kernel library: freestanding C (clang builtin headers only), so that the
 * same code links into the portable runtime and into AOT-compiled models for any
 * target. Names follow XNNPACK: gemmac_<op>_<arch>[_<feature>]. Activations are
 * row-major f32 [tokens, width]; every kernel may run in place (out == input)
 * unless its comment says otherwise.
 */
#ifndef GEMMAC_KERNELS_KERNELS_H_
#define GEMMAC_KERNELS_KERNELS_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The row-wise kernels a step runs on every row (norms, RoPE, GELU, adds)
 * carry in the portable runtime for x86-64 (whose build defines
 * GEMMAC_VECTOR_CLONES) an AVX-512 clone, picked when the library loads: the
 * same C vectorized 16 floats wide instead of SSE2's 4. Their files keep each
 * operation as written (no contraction into FMA, no reassociation), so every
 * clone gives the same bits. A compiled model builds them for its own CPU. */
#if defined(GEMMAC_VECTOR_CLONES) && defined(__x86_64__)
#define GEMMAC_CLONED __attribute__((target_clones("avx512f", "default")))
#else
#define GEMMAC_CLONED
#endif

/* out[i] = bf16 in[i] widened to f32 (exact). */
void gemmac_bf16_to_f32_generic(const uint16_t* in, size_t count, float* out);

/* out[t] = table[ids[t]] * scale; table rows are `width` wide; ids must be valid. */
void gemmac_embed_f32_generic(const float* table, size_t width, const int32_t* ids,
                              size_t tokens, float scale, float* out);
void gemmac_embed_bf16_generic(const uint16_t* table, size_t width, const int32_t* ids,
                               size_t tokens, float scale, float* out);

/* RMS norm over each group of `group` features (width % group == 0):
 * out = x * rsqrt(mean(x^2) + eps) * (offset + w); Gemma uses offset 1. */
void gemmac_rms_norm_generic(const float* x, const float* w, size_t rows, size_t width,
                             size_t group, float eps, float offset, float* out);
/* sum = a + b, then out = rms_norm(sum) as above, group by group in one pass
 * (sum may be a or b; out must not be sum). */
void gemmac_add_rms_norm_generic(const float* a, const float* b, const float* w, size_t rows, size_t width,
                                 size_t group, float eps, float offset, float* sum, float* out);

/* Rotate-half RoPE on every head of head_dim features; row t is at position
 * first_position + t. Angles are computed in double (inv_freq = theta^(-2i/d),
 * angle = position * inv_freq), their cos and sin rounded to f32; each output
 * is (double)x_a * c - (double)x_b * s (resp. x_b * c + x_a * s) rounded to f32.
 * gemmac_rope_generic computes the angles per call; a step that rotates many
 * tensors builds the table rows once (gemmac_rope_build_table_generic) and
 * rotates each with gemmac_rope_table_generic: the same results, bit for bit. */
void gemmac_rope_generic(const float* x, size_t tokens, size_t width, size_t head_dim,
                         int64_t first_position, double theta, float* out);
/* Rows t < positions of `table` ([positions, head_dim]): cos of the angles of
 * position first_position + t for pairs i < head_dim / 2, then their sin. */
void gemmac_rope_build_table_generic(double theta, size_t head_dim, int64_t first_position, size_t positions,
                                     float* table);
/* RoPE of x [tokens, width] with row t of `table` for token t. */
void gemmac_rope_table_generic(const float* x, size_t tokens, size_t width, size_t head_dim, const float* table,
                               float* out);

/* GELU, tanh approximation: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))),
 * computed as x / (1 + exp(-2 sqrt(2/pi) (x + 0.044715 x^3))) (equal; no libm,
 * so it vectorizes). The _mul form is the gated MLP's gelu(gate) * up. */
void gemmac_gelu_tanh_generic(const float* x, size_t count, float* out);
void gemmac_gelu_tanh_mul_generic(const float* gate, const float* up, size_t count, float* out);
void gemmac_add_generic(const float* a, const float* b, size_t count, float* out);
void gemmac_mul_generic(const float* a, const float* b, size_t count, float* out);
/* x = cap * tanh(x / cap), in place. */
void gemmac_softcap_generic(float* x, size_t count, float cap);

/* ---- IEEE binary16 <-> f32 ---------------------------------------------------
 * The definitions, inline and free of branches so that loops over them
 * vectorize (the f16 KV-cache store and the generic f16 attention pass).
 * f16 -> f32 is exact. f32 -> f16 rounds to nearest even (exact when
 * representable); |f| >= 65520 gives inf, NaN the quiet NaN 0x7e00 (with the
 * sign). No intermediate is an f32 subnormal, so flush-to-zero and
 * denormals-are-zero modes do not change the results. */
static inline uint32_t gemmac_f32_bits(float f) {
  uint32_t u;
  __builtin_memcpy(&u, &f, sizeof u);
  return u;
}

static inline float gemmac_f32_from_bits(uint32_t u) {
  float f;
  __builtin_memcpy(&f, &u, sizeof f);
  return f;
}

static inline float gemmac_f16_to_f32(uint16_t h) {
  const uint32_t sign = (uint32_t)(h & 0x8000) << 16;
  const uint32_t exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
  /* Zero or subnormal: mant * 2^-24 is exact (and normal) in f32. */
  const uint32_t small = gemmac_f32_bits((float)mant * 0x1p-24f);
  /* Inf or nan keep the payload; a normal number is rebiased. */
  const uint32_t large = exp == 0x1f ? 0x7f800000 | mant << 13 : (exp + 127 - 15) << 23 | mant << 13;
  return gemmac_f32_from_bits(sign | (exp == 0 ? small : large));
}

static inline uint16_t gemmac_f32_to_f16(float f) {
  const uint32_t bits = gemmac_f32_bits(f), a = bits & 0x7fffffff;
  const uint32_t sign = (bits >> 16) & 0x8000;
  /* |f| >= 65536, inf or nan. */
  const uint32_t huge = a > 0x7f800000 ? 0x7e00 : 0x7c00;
  /* Below 2^-14, a subnormal or zero result: adding 0.5 puts the f16 quantum
   * 2^-24 at the last mantissa bit of the sum, so the f32 addition does the
   * round to nearest even. */
  const uint32_t small = gemmac_f32_bits(gemmac_f32_from_bits(a) + 0.5f) - 0x3f000000;
  /* Rebias the exponent and round the 13 dropped bits to nearest even; a carry
   * out of the mantissa bumps the exponent, up to inf for [65520, 65536). */
  const uint32_t normal = (a + ((uint32_t)(15 - 127) << 23) + 0xfff + ((a >> 13) & 1)) >> 13;
  return (uint16_t)(sign | (a >= 0x47800000 ? huge : a < 0x38800000 ? small : normal));
}

/* ---- KV cache rows -----------------------------------------------------------
 * The keys and values of past positions, [slots, num_kv_heads * head_dim] each,
 * position p in row p % slots (a ring buffer and a full cache are the same
 * thing). Elements are f32 (the exact mode) or IEEE binary16 (half the memory,
 * rounded once when stored; a session option). */
typedef enum gemmac_kv_type {
  GEMMAC_KV_F32 = 0,
  GEMMAC_KV_F16 = 1,
} gemmac_kv_type;

static inline size_t gemmac_kv_element_bytes(gemmac_kv_type type) { return type == GEMMAC_KV_F16 ? 2 : 4; }

/* Stores the rows k and v [tokens, row] of positions first_position... in
 * k_cache and v_cache ([slots, row] elements of `type` each); f16 elements are
 * gemmac_f32_to_f16 of the f32 ones. */
void gemmac_kv_store_generic(gemmac_kv_type type, const float* k, const float* v, size_t tokens, size_t row,
                             int64_t first_position, size_t slots, void* k_cache, void* v_cache);

typedef struct gemmac_attention_params {
  size_t num_heads;
  size_t num_kv_heads; /* num_heads % num_kv_heads == 0 */
  size_t head_dim;
  float scale;         /* applied to q.k */
  float softcap;       /* 0: none */
  int64_t window;      /* 0: global; otherwise query p sees keys p - window < s <= p */
  size_t slots;        /* cache rows; position s lives in row s % slots */
} gemmac_attention_params;

/* ---- Attention -------------------------------------------------------------
 * Causal grouped-query attention over a KV cache of `slots` rows
 * ([slots, num_kv_heads, head_dim] each for keys and values; position s in row
 * s % slots, so a ring buffer and a full cache are the same thing), f32 or f16
 * (gemmac_kv_type: each partial pass below reads one type). The query
 * at position p sees the keys at positions [gemmac_attention_first_key(p), p];
 * query head h reads KV head h / (num_heads / num_kv_heads). With
 *   s_j = softcap(scale * q . k_j)   (softcap(x) = cap * tanh(x / cap); none when cap is 0)
 * the output is sum_j exp(s_j - max) v_j / sum_j exp(s_j - max), in f32 (f16
 * elements are widened exactly, so an f16 pass computes what the f32 pass does
 * on the rounded rows).
 *
 * Every variant is built from one primitive, the partial pass: the query heads
 * of one KV head (at most GEMMAC_ATTENTION_MAX_GROUP at a time, so the KV rows
 * are read once for all of them) over a range of key positions, keeping per head
 *   max = max_j s_j,  sum = sum_j exp(s_j - max),  acc = sum_j exp(s_j - max) v_j
 * (unnormalized; max = -inf, sum = 0, acc = 0 before any key). A pass continues
 * the state it is given (online softmax), so one query's keys can be visited in
 * any number of ranges: prefill visits an L2-sized chunk of keys for a tile of
 * query rows before the next chunk. Partials of disjoint ranges kept apart
 * merge exactly (flash-decoding), so decode splits its keys across threads and
 * prefill splits its query rows; gemmac_attention_task below does that
 * bookkeeping for the portable executor and compiled code. */
#define GEMMAC_ATTENTION_MAX_GROUP 8

/* The first key position the query at `position` sees. */
static inline int64_t gemmac_attention_first_key(const gemmac_attention_params* params, int64_t position) {
  int64_t first = params->window > 0 ? position - params->window + 1 : 0;
  return first < 0 ? 0 : first;
}

/* The cache rows of key positions [begin, end) (end - begin <= slots): at
 * most two contiguous runs, count[0] rows from row[0], then count[1] rows from
 * row[1] = 0 (none unless the range wraps the ring); the one `%` of a range. */
static inline void gemmac_attention_ring_runs(size_t slots, int64_t begin, int64_t end, size_t row[2],
                                              size_t count[2]) {
  const size_t keys = end > begin ? (size_t)(end - begin) : 0;
  row[0] = keys ? (size_t)begin % slots : 0;
  count[0] = keys < slots - row[0] ? keys : slots - row[0];
  row[1] = 0;
  count[1] = keys - count[0];
}

/* The partial pass for the `n` (1..GEMMAC_ATTENTION_MAX_GROUP) query heads
 * q[n][head_dim] (consecutive rows, all of KV head `kv_head`) over the keys at
 * positions [key_begin, key_end), which the caller ensures are visible to the
 * query and still in the cache (key_end - key_begin <= slots). Updates max[n],
 * sum[n] and acc[n][head_dim] as described above (gemmac_attention_start sets
 * them to the state before any key). The caches hold f32 elements for
 * gemmac_attention_partial_<variant> and IEEE f16 ones for
 * gemmac_attention_partial_f16_<variant>: one function type for both, so the
 * row, split and task helpers below serve either. */
typedef void (*gemmac_attention_partial_fn)(const gemmac_attention_params* params, size_t kv_head, const float* q,
                                            size_t n, int64_t key_begin, int64_t key_end, const void* k_cache,
                                            const void* v_cache, float* max, float* sum, float* acc);
/* The state before any key: max = -inf, sum = 0, acc = 0 for n heads. */
void gemmac_attention_start(size_t n, size_t head_dim, float* max, float* sum, float* acc);
/* The definition: portable C (blocks of keys, online softmax, libm exp). */
void gemmac_attention_partial_generic(const gemmac_attention_params* params, size_t kv_head, const float* q, size_t n,
                                      int64_t key_begin, int64_t key_end, const void* k_cache, const void* v_cache,
                                      float* max, float* sum, float* acc);
void gemmac_attention_partial_f16_generic(const gemmac_attention_params* params, size_t kv_head, const float* q,
                                          size_t n, int64_t key_begin, int64_t key_end, const void* k_cache,
                                          const void* v_cache, float* max, float* sum, float* acc);
/* x86-64 builds only (x86_64/attention_*.c); the caller checks the CPU.
 * AVX2 + FMA + F16C (head_dim % 8 != 0 falls back to the generic pass). */
void gemmac_attention_partial_x86_avx2(const gemmac_attention_params* params, size_t kv_head, const float* q, size_t n,
                                       int64_t key_begin, int64_t key_end, const void* k_cache, const void* v_cache,
                                       float* max, float* sum, float* acc);
void gemmac_attention_partial_f16_x86_avx2(const gemmac_attention_params* params, size_t kv_head, const float* q,
                                           size_t n, int64_t key_begin, int64_t key_end, const void* k_cache,
                                           const void* v_cache, float* max, float* sum, float* acc);
/* AVX-512F (any head_dim, tails by masks). */
void gemmac_attention_partial_x86_avx512(const gemmac_attention_params* params, size_t kv_head, const float* q,
                                         size_t n, int64_t key_begin, int64_t key_end, const void* k_cache,
                                         const void* v_cache, float* max, float* sum, float* acc);
void gemmac_attention_partial_f16_x86_avx512(const gemmac_attention_params* params, size_t kv_head, const float* q,
                                             size_t n, int64_t key_begin, int64_t key_end, const void* k_cache,
                                             const void* v_cache, float* max, float* sum, float* acc);
#if defined(__aarch64__)
/* AArch64 builds only (arm64/attention_neon.c): NEON, which every AArch64 CPU
 * has (any head_dim). */
void gemmac_attention_partial_arm64_neon(const gemmac_attention_params* params, size_t kv_head, const float* q,
                                         size_t n, int64_t key_begin, int64_t key_end, const void* k_cache,
                                         const void* v_cache, float* max, float* sum, float* acc);
void gemmac_attention_partial_f16_arm64_neon(const gemmac_attention_params* params, size_t kv_head, const float* q,
                                             size_t n, int64_t key_begin, int64_t key_end, const void* k_cache,
                                             const void* v_cache, float* max, float* sum, float* acc);
#endif

/* Whole attention of `tokens` queries at positions first_position.. whose keys
 * and values are already in the caches, with `partial`: tiles of query rows,
 * each visiting the keys in L2-sized chunks (a chunk is read from memory once
 * per tile, not once per row). q and out are [tokens, num_heads * head_dim]
 * and must not overlap. */
void gemmac_attention_rows(gemmac_attention_partial_fn partial, const gemmac_attention_params* params, const float* q,
                           size_t tokens, int64_t first_position, const void* k_cache, const void* v_cache,
                           float* out);

/* gemmac_attention_rows with each variant's f32 partial pass. `scores` is no
 * longer used (the passes keep their scores on the stack; it may be NULL). */
void gemmac_attention_generic(const gemmac_attention_params* params, const float* q,
                              size_t tokens, int64_t first_position, const float* k_cache,
                              const float* v_cache, float* scores, float* out);
void gemmac_attention_x86_avx2(const gemmac_attention_params* params, const float* q, size_t tokens,
                               int64_t first_position, const float* k_cache, const float* v_cache, float* scores,
                               float* out);
void gemmac_attention_x86_avx512(const gemmac_attention_params* params, const float* q, size_t tokens,
                                 int64_t first_position, const float* k_cache, const float* v_cache, float* scores,
                                 float* out);
#if defined(__aarch64__)
void gemmac_attention_arm64_neon(const gemmac_attention_params* params, const float* q, size_t tokens,
                                 int64_t first_position, const float* k_cache, const float* v_cache, float* scores,
                                 float* out);
#endif

/* Floats of partial results one key range of a split query needs:
 * num_heads * (head_dim + 2) (max, sum and acc of every head). */
static inline size_t gemmac_attention_range_floats(const gemmac_attention_params* params) {
  return params->num_heads * (params->head_dim + 2);
}

/* The partial results of key range r of a split query: max[num_heads],
 * sum[num_heads], acc[num_heads][head_dim] at scratch + r * range_floats. */
void gemmac_attention_split(gemmac_attention_partial_fn partial, const gemmac_attention_params* params,
                            const float* q, int64_t position, size_t ranges, size_t range, const void* k_cache,
                            const void* v_cache, float* scratch);
/* Merges the `ranges` partial results in scratch into the output row
 * out[num_heads * head_dim] of the query. */
void gemmac_attention_merge(const gemmac_attention_params* params, size_t ranges, const float* scratch, float* out);

/* One attention call spread over threads: the only tile/range bookkeeping.
 *   gemmac_attention_task task;
 *   gemmac_attention_task_init(&task, ...);
 *   parallel for each tile of task.tile items of [0, task.items):
 *     gemmac_attention_task_run(&task, start, count);   (a pthreadpool 1-D tile task)
 *   gemmac_attention_task_finish(&task);
 * A single query (decode) is split into up to `threads` key ranges when its
 * keys are many and `scratch` holds their partial results; otherwise the
 * query rows are split (no scratch needed). */
typedef struct gemmac_attention_task {
  gemmac_attention_params params;
  gemmac_attention_partial_fn partial;
  const float* q;
  float* out;
  size_t tokens;
  int64_t first_position;
  const void* k_cache; /* the element type `partial` reads */
  const void* v_cache;
  float* scratch;
  size_t ranges; /* > 1: items are the key ranges of the single query; else query rows */
  size_t items;  /* the parallel range */
  size_t tile;   /* items per tile */
} gemmac_attention_task;

/* Fewest keys per range worth a split (measured on Zen 5: two ranges of 32 keys
 * already beat one thread; below, waking a thread costs more than it saves). */
#define GEMMAC_ATTENTION_MIN_RANGE_KEYS 32

void gemmac_attention_task_init(gemmac_attention_task* task, gemmac_attention_partial_fn partial,
                                const gemmac_attention_params* params, const float* q, size_t tokens,
                                int64_t first_position, const void* k_cache, const void* v_cache, float* out,
                                size_t threads, float* scratch, size_t scratch_floats);
void gemmac_attention_task_run(void* task, size_t start, size_t count);
void gemmac_attention_task_finish(const gemmac_attention_task* task);

/* ---- Quantized weights ----------------------------------------------------
 * A weight W [n, k] (k % 32 == 0) in groups of 32 consecutive inputs of a row,
 * one IEEE binary16 scale per group. Element (j, i) of group g = i / 32 is
 * level(j, i) * scale(j, g), computed in f32 (exact for a QAT grid: the level
 * has at most 4 bits, the scale is what the checkpoint used).
 *
 * q4g32: n * k / 2 bytes of levels, then n * k / 32 scales (f16).
 *   Row j, group g is 16 bytes at (j * k / 32 + g) * 16; its byte b holds
 *   level + 8 of input 32 g + b in the low nibble and of input 32 g + 16 + b in
 *   the high nibble (levels in [-8, 7]).
 * q8g32: n * k bytes of int8 levels (row-major), then n * k / 32 scales (f16).
 * Scale (j, g) is at index j * k / 32 + g of the scale array in both. */
#define GEMMAC_QUANT_GROUP 32

/* Bytes of a q4g32 / q8g32 tensor of [n, k]. */
static inline size_t gemmac_q4g32_bytes(size_t n, size_t k) { return n * k / 2 + n * k / 32 * 2; }
static inline size_t gemmac_q8g32_bytes(size_t n, size_t k) { return n * k + n * k / 32 * 2; }

/* IEEE binary16 <-> f32: gemmac_f16_to_f32 / gemmac_f32_to_f16 (above, with
 * the KV cache) out of line. */
float gemmac_f16_to_f32_generic(uint16_t h);
uint16_t gemmac_f32_to_f16_generic(float f);

/* Row j of a q4g32 / q8g32 weight widened to f32, times `scale`: out[i] = W[j, i] * scale
 * (the embedding lookup of a quantized table; scale 1 gives the stored values). */
void gemmac_dequantize_row_q4g32_generic(const uint8_t* w, size_t n, size_t k, size_t j, float scale, float* out);
void gemmac_dequantize_row_q8g32_generic(const uint8_t* w, size_t n, size_t k, size_t j, float scale, float* out);

/* out[t] = W[ids[t]] * scale for a q4g32 / q8g32 table W [rows, width]; ids must be valid. */
void gemmac_embed_q4g32_generic(const uint8_t* table, size_t rows, size_t width, const int32_t* ids,
                                size_t tokens, float scale, float* out);
void gemmac_embed_q8g32_generic(const uint8_t* table, size_t rows, size_t width, const int32_t* ids,
                                size_t tokens, float scale, float* out);

/* Matrix products with f32 activations (the exact mode: nothing but f32 rounding):
 *   out[t * out_stride + (j - n_begin)] = sum_i x[t * k + i] * W[j, i]
 * for tokens t < m and output features n_begin <= j < n_end (a caller splits
 * [0, n) into ranges across threads; out points at feature n_begin of token 0).
 * m == 1 is the decode matrix-vector product, m > 1 prefill. Every variant
 * agrees with the generic one to f32 rounding (order of summation). */
typedef void (*gemmac_linear_q_fn)(const uint8_t* w, size_t n, size_t k, const float* x, size_t m,
                                   size_t n_begin, size_t n_end, float* out, size_t out_stride);
void gemmac_linear_q4g32_generic(const uint8_t* w, size_t n, size_t k, const float* x, size_t m, size_t n_begin,
                                 size_t n_end, float* out, size_t out_stride);
void gemmac_linear_q8g32_generic(const uint8_t* w, size_t n, size_t k, const float* x, size_t m, size_t n_begin,
                                 size_t n_end, float* out, size_t out_stride);

#if defined(__x86_64__)
/* x86-64 variants of the same contract, built with per-file ISA flags: the
 * caller checks the CPU first. _avx512 needs AVX512F; _avx2 needs AVX2, FMA and
 * F16C. */
void gemmac_linear_q4g32_x86_avx512(const uint8_t* w, size_t n, size_t k, const float* x, size_t m, size_t n_begin,
                                    size_t n_end, float* out, size_t out_stride);
void gemmac_linear_q8g32_x86_avx512(const uint8_t* w, size_t n, size_t k, const float* x, size_t m, size_t n_begin,
                                    size_t n_end, float* out, size_t out_stride);
void gemmac_linear_q4g32_x86_avx2(const uint8_t* w, size_t n, size_t k, const float* x, size_t m, size_t n_begin,
                                  size_t n_end, float* out, size_t out_stride);
void gemmac_linear_q8g32_x86_avx2(const uint8_t* w, size_t n, size_t k, const float* x, size_t m, size_t n_begin,
                                  size_t n_end, float* out, size_t out_stride);
#elif defined(__aarch64__)
/* AArch64 variants of the same contract (arm64/quant_neon.c): NEON, which
 * every AArch64 CPU has, so nothing to check. */
void gemmac_linear_q4g32_arm64_neon(const uint8_t* w, size_t n, size_t k, const float* x, size_t m, size_t n_begin,
                                    size_t n_end, float* out, size_t out_stride);
void gemmac_linear_q8g32_arm64_neon(const uint8_t* w, size_t n, size_t k, const float* x, size_t m, size_t n_begin,
                                    size_t n_end, float* out, size_t out_stride);
#endif

/* ---- Int8 activations (an approximate mode, chosen by the caller) -----------
 * The products above with each token's row of x quantized per group of 32
 * inputs to int8 first (as llama.cpp's Q8_0), so that the dot products are
 * integer ones (AVX-512 VNNI: 64 u8 x s8 multiply-adds per instruction). The
 * definition, shared by every variant: for group g of token t,
 *   a = max_i |x_i|,  scale_x(t, g) = a / 127,  q_i = rne(x_i * (127 / a))
 * (rne: round to nearest, ties to even; q = 0 and scale 0 when a == 0; a
 * non-finite x gives a non-finite scale), and then
 *   out[t][j] = sum_g (float)isum(t, j, g) * (scale_w(j, g) * scale_x(t, g)),
 *   isum(t, j, g) = sum_{i in g} level(j, i) * q_i   (exact, in int32)
 * where each group's term is two f32 multiplications in that order and the
 * terms are summed in f32 in group order, from 0: every variant gives the
 * same bits. A token's results depend on its own row only. The signature is
 * gemmac_linear_q_fn's (f32 x; each variant quantizes what it reads). */
static inline float gemmac_quantize_group_int8(const float* x, int8_t* q) {
  /* max |x_i| as a tree over 16 lanes, which vectorizes (a chain of 32
   * dependent maxima does not); max is exact in any order, and a NaN never
   * enters (v > m is false). */
  float m[16];
  for (size_t l = 0; l < 16; ++l) m[l] = 0.0f;
  for (size_t b = 0; b < GEMMAC_QUANT_GROUP; b += 16)
    for (size_t l = 0; l < 16; ++l) {
      const float v = __builtin_fabsf(x[b + l]);
      m[l] = v > m[l] ? v : m[l];
    }
  for (size_t width = 8; width > 0; width /= 2)
    for (size_t l = 0; l < width; ++l) m[l] = m[l + width] > m[l] ? m[l + width] : m[l];
  const float a = m[0];
  const float inverse = a > 0.0f ? 127.0f / a : 0.0f;
  for (size_t i = 0; i < GEMMAC_QUANT_GROUP; ++i) {
    float r = x[i] * inverse;
    r = r >= -127.0f ? r : -127.0f; /* NaN (0 * inf) too: the scale is not finite then */
    r = r <= 127.0f ? r : 127.0f;
    /* Adding 1.5 * 2^23 leaves no fraction bits, so the addition rounds to
     * nearest even; the subtraction is exact. */
    q[i] = (int8_t)((r + 0x1.8p23f) - 0x1.8p23f);
  }
  return a / 127.0f;
}

void gemmac_linear_q4g32_int8act_generic(const uint8_t* w, size_t n, size_t k, const float* x, size_t m,
                                         size_t n_begin, size_t n_end, float* out, size_t out_stride);
void gemmac_linear_q8g32_int8act_generic(const uint8_t* w, size_t n, size_t k, const float* x, size_t m,
                                         size_t n_begin, size_t n_end, float* out, size_t out_stride);

/* Int8 tiles: a q4g32 / q8g32 weight [n, k] laid out for kernels that keep 16
 * rows in the 16 dword lanes of a register, so that each group's weights load
 * as registers with no transposes. Tile T holds rows 16 T .. 16 T + 15 (the
 * last tile's missing rows are zero levels and scales):
 *   levels: for each group g, `planes` registers of 64 bytes, where dword r of
 *     plane P is 4 bytes of row 16 T + r's group: q4 (4 planes) its bytes
 *     4 P .. 4 P + 3 as the format holds them (two levels a byte); q8 (8 planes)
 *     its levels 4 P .. 4 P + 3 plus 128 (as unsigned bytes);
 *   then the scales: for each group g, the 16 rows' f16 scales.
 * A tile is groups * (16 * group bytes + 32) bytes; tiles follow each other. */
static inline size_t gemmac_int8_tile_bytes(int q8, size_t k) {
  return k / GEMMAC_QUANT_GROUP * (16 * (q8 ? GEMMAC_QUANT_GROUP : GEMMAC_QUANT_GROUP / 2) + 32);
}
static inline size_t gemmac_int8_tiles_bytes(int q8, size_t n, size_t k) {
  return (n + 15) / 16 * gemmac_int8_tile_bytes(q8, k);
}
/* w (the q4g32 or q8g32 format) into `tiles` (gemmac_int8_tiles_bytes). */
void gemmac_int8_tiles_pack_q4g32(const uint8_t* w, size_t n, size_t k, uint8_t* tiles);
void gemmac_int8_tiles_pack_q8g32(const uint8_t* w, size_t n, size_t k, uint8_t* tiles);

#if defined(__x86_64__)
/* AVX512F + BW + VL + VNNI (x86_64/quant_int8act_avx512vnni.c), on weights in
 * int8 tiles: `w` is the tiles of the [n, k] weight. */
void gemmac_linear_q4g32_int8tiles_x86_avx512vnni(const uint8_t* w, size_t n, size_t k, const float* x, size_t m,
                                                  size_t n_begin, size_t n_end, float* out, size_t out_stride);
void gemmac_linear_q8g32_int8tiles_x86_avx512vnni(const uint8_t* w, size_t n, size_t k, const float* x, size_t m,
                                                  size_t n_begin, size_t n_end, float* out, size_t out_stride);
#endif

/* Several quantized products of the same input x [m, k], e.g. the q, k and v
 * projections, run as one product over their concatenated output features so
 * that one parallel dispatch covers them all and x is read once per tile. */
typedef struct gemmac_q_product {
  const uint8_t* weight; /* [n, k] in the kernel's layout */
  size_t n;
  float* out;            /* [m, n] */
} gemmac_q_product;

typedef struct gemmac_q_products {
  gemmac_linear_q_fn kernel;
  size_t k;
  const float* x;
  size_t m;
  const gemmac_q_product* products;
  size_t count;
} gemmac_q_products;

/* Total output features of all products: the range a caller splits across threads. */
size_t gemmac_q_products_features(const gemmac_q_products* products);
/* Features [start, start + count) of the concatenation; `context` is a
 * gemmac_q_products (the signature of a pthreadpool 1-D tile task). */
void gemmac_q_products_run(void* context, size_t start, size_t count);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* GEMMAC_KERNELS_KERNELS_H_ */
