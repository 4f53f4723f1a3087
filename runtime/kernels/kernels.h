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

/* Rotate-half RoPE on every head of head_dim features; row t is at position
 * first_position + t. Angles are computed in double (inv_freq = theta^(-2i/d)). */
void gemmac_rope_generic(const float* x, size_t tokens, size_t width, size_t head_dim,
                         int64_t first_position, double theta, float* out);

void gemmac_gelu_tanh_generic(const float* x, size_t count, float* out);
void gemmac_add_generic(const float* a, const float* b, size_t count, float* out);
void gemmac_mul_generic(const float* a, const float* b, size_t count, float* out);
/* x = cap * tanh(x / cap), in place. */
void gemmac_softcap_generic(float* x, size_t count, float cap);

typedef struct gemmac_attention_params {
  size_t num_heads;
  size_t num_kv_heads; /* num_heads % num_kv_heads == 0 */
  size_t head_dim;
  float scale;         /* applied to q.k */
  float softcap;       /* 0: none */
  int64_t window;      /* 0: global; otherwise query p sees keys p - window < s <= p */
  size_t slots;        /* cache rows; position s lives in row s % slots */
} gemmac_attention_params;

/* Causal grouped-query attention for `tokens` queries at positions
 * first_position.. whose keys/values are already in the caches
 * ([slots, num_kv_heads, head_dim] each). q and out are
 * [tokens, num_heads * head_dim] and must not overlap; scores is scratch of at
 * least min(slots, first_position + tokens) floats. */
void gemmac_attention_generic(const gemmac_attention_params* params, const float* q,
                              size_t tokens, int64_t first_position, const float* k_cache,
                              const float* v_cache, float* scores, float* out);

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

/* IEEE binary16 <-> f32 (f32 -> f16 rounds to nearest even; exact when representable). */
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

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* GEMMAC_KERNELS_KERNELS_H_ */
