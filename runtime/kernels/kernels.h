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

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* GEMMAC_KERNELS_KERNELS_H_ */
