/* The x86 partial passes' walk over blocks of keys, shared by attention_avx2.c
 * and attention_avx512.c (each built with its own ISA flags): a file includes
 * this after defining kBlock, ALWAYS_INLINE, element_at, softmax_block and the
 * templates qk_block and pv_block, whose first argument F16 (a compile-time
 * constant) selects f16 rows. It defines partial(F16, ...), the pass over
 * f32 (F16 == 0) or f16 rows. */
#ifndef GEMMAC_KERNELS_X86_64_ATTENTION_PASS_H_
#define GEMMAC_KERNELS_X86_64_ATTENTION_PASS_H_

/* Each element type's blocks as functions of their own: the compiler optimizes
 * them apart and then inlines them, which schedules the tiles as well as before
 * f16 existed; forcing the templates into the pass measured 5% slower. */
static void qk_block_f32(const float* q, size_t n, size_t dim, const void* k, const void* v, size_t stride,
                         size_t keys, float scale, float* scores) {
  qk_block(0, q, n, dim, k, v, stride, keys, scale, scores);
}

static void qk_block_f16(const float* q, size_t n, size_t dim, const void* k, const void* v, size_t stride,
                         size_t keys, float scale, float* scores) {
  qk_block(1, q, n, dim, k, v, stride, keys, scale, scores);
}

static void pv_block_f32(const float* scores, size_t n, size_t dim, const void* v, size_t stride, size_t keys,
                         float* acc) {
  pv_block(0, scores, n, dim, v, stride, keys, acc);
}

static void pv_block_f16(const float* scores, size_t n, size_t dim, const void* v, size_t stride, size_t keys,
                         float* acc) {
  pv_block(1, scores, n, dim, v, stride, keys, acc);
}

/* Per block of kBlock keys of one ring run (contiguous rows): the scores of
 * all n heads, their online softmax, then the value rows. */
static ALWAYS_INLINE void partial(const int F16, const gemmac_attention_params* params, size_t kv_head, const float* q,
                                  size_t n, int64_t key_begin, int64_t key_end, const void* k_cache,
                                  const void* v_cache, float* max, float* sum, float* acc) {
  const size_t dim = params->head_dim, stride = params->num_kv_heads * dim;
  float scores[GEMMAC_ATTENTION_MAX_GROUP * kBlock] __attribute__((aligned(64)));
  size_t row[2], count[2];
  gemmac_attention_ring_runs(params->slots, key_begin, key_end, row, count);
  for (int run = 0; run < 2; ++run)
    for (size_t j0 = 0; j0 < count[run]; j0 += kBlock) {
      const size_t keys = count[run] - j0 < kBlock ? count[run] - j0 : kBlock;
      const void* k = element_at(F16, k_cache, (row[run] + j0) * stride + kv_head * dim);
      const void* v = element_at(F16, v_cache, (row[run] + j0) * stride + kv_head * dim);
      (F16 ? qk_block_f16 : qk_block_f32)(q, n, dim, k, v, stride, keys, params->scale, scores);
      for (size_t h = 0; h < n; ++h)
        softmax_block(scores + h * kBlock, keys, params->softcap, max + h, sum + h, acc + h * dim, dim);
      (F16 ? pv_block_f16 : pv_block_f32)(scores, n, dim, v, stride, keys, acc);
    }
}

#endif /* GEMMAC_KERNELS_X86_64_ATTENTION_PASS_H_ */
