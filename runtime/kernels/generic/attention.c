/* Causal grouped-query attention over a (possibly ring-buffer) KV cache. */
#include "kernels.h"

void gemmac_attention_generic(const gemmac_attention_params* params, const float* q,
                              size_t tokens, int64_t first_position, const float* k_cache,
                              const float* v_cache, float* scores, float* out) {
  const size_t heads = params->num_heads, dim = params->head_dim;
  const size_t group = heads / params->num_kv_heads;
  const size_t q_width = heads * dim, kv_width = params->num_kv_heads * dim;
  for (size_t t = 0; t < tokens; ++t) {
    int64_t position = first_position + (int64_t)t;
    int64_t first_key = params->window > 0 ? position - params->window + 1 : 0;
    if (first_key < 0) first_key = 0;
    size_t keys = (size_t)(position - first_key + 1);
    for (size_t h = 0; h < heads; ++h) {
      const float* qh = q + t * q_width + h * dim;
      size_t kv_offset = (h / group) * dim;
      float max_score = -__builtin_inff();
      for (size_t j = 0; j < keys; ++j) {
        const float* k = k_cache + (size_t)((first_key + (int64_t)j) % (int64_t)params->slots) * kv_width + kv_offset;
        float dot = 0.0f;
        for (size_t d = 0; d < dim; ++d) dot += qh[d] * k[d];
        float score = dot * params->scale;
        if (params->softcap > 0.0f) score = params->softcap * __builtin_tanhf(score / params->softcap);
        scores[j] = score;
        if (score > max_score) max_score = score;
      }
      /* Subtracting the maximum keeps exp() in range; the sum is >= 1. */
      float sum = 0.0f;
      for (size_t j = 0; j < keys; ++j) {
        scores[j] = __builtin_expf(scores[j] - max_score);
        sum += scores[j];
      }
      float inv_sum = 1.0f / sum;
      float* o = out + t * q_width + h * dim;
      for (size_t d = 0; d < dim; ++d) o[d] = 0.0f;
      for (size_t j = 0; j < keys; ++j) {
        const float* v = v_cache + (size_t)((first_key + (int64_t)j) % (int64_t)params->slots) * kv_width + kv_offset;
        float p = scores[j] * inv_sum;
        for (size_t d = 0; d < dim; ++d) o[d] += p * v[d];
      }
    }
  }
}
