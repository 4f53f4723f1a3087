/* The vector partial passes' walk over blocks of keys, shared by
 * x86_64/attention_avx2.c, x86_64/attention_avx512.c and arm64/attention_neon.c
 * (each built with its own ISA flags): a file includes this after defining
 * kBlock, kTileKeys, ALWAYS_INLINE, element_at, softmax_block and the templates
 * qk_tile and pv_tile, whose first two arguments are compile-time constants:
 * F16 selects f16 rows, HT (4, 2 or 1) is the number of query heads of a tile.
 * A score tile covers kTileKeys / HT keys. It defines partial(F16, ...), the
 * pass over f32 (F16 == 0) or f16 rows. */
#ifndef GEMMAC_KERNELS_ATTENTION_PASS_H_
#define GEMMAC_KERNELS_ATTENTION_PASS_H_

/* The n heads in tiles of HT = 4, then 2, then 1 of kTileKeys / HT keys each:
 * each key row is loaded once per tile. v (NULL: none) is the block's value
 * rows, for the tiles to prefetch. The three loops are written out: folded
 * into one helper over HT they compile to other (not measured) x86 code. */
static ALWAYS_INLINE void qk_block(const int F16, const float* q, size_t n, size_t dim, const void* k, const void* v,
                                   size_t stride, size_t keys, float scale, float* scores) {
  for (size_t h0 = 0; h0 < n;) {
    const size_t left = n - h0;
    const float* qh = q + h0 * dim;
    float* sh = scores + h0 * kBlock;
    const void* pv = h0 == 0 ? v : NULL; /* prefetch once per block */
    if (left >= 4) {
      for (size_t j = 0; j < keys; j += kTileKeys / 4)
        qk_tile(F16, 4, qh, dim, element_at(F16, k, j * stride), pv ? element_at(F16, pv, j * stride) : NULL, stride,
                keys - j < kTileKeys / 4 ? keys - j : kTileKeys / 4, scale, sh + j);
      h0 += 4;
    } else if (left >= 2) {
      for (size_t j = 0; j < keys; j += kTileKeys / 2)
        qk_tile(F16, 2, qh, dim, element_at(F16, k, j * stride), pv ? element_at(F16, pv, j * stride) : NULL, stride,
                keys - j < kTileKeys / 2 ? keys - j : kTileKeys / 2, scale, sh + j);
      h0 += 2;
    } else {
      for (size_t j = 0; j < keys; j += kTileKeys)
        qk_tile(F16, 1, qh, dim, element_at(F16, k, j * stride), pv ? element_at(F16, pv, j * stride) : NULL, stride,
                keys - j < kTileKeys ? keys - j : kTileKeys, scale, sh + j);
      h0 += 1;
    }
  }
}

/* acc += the block's weighted value rows, for the n heads in tiles of 4, 2, 1. */
static ALWAYS_INLINE void pv_block(const int F16, const float* scores, size_t n, size_t dim, const void* v,
                                   size_t stride, size_t keys, float* acc) {
  for (size_t h0 = 0; h0 < n;) {
    const size_t left = n - h0;
    if (left >= 4) {
      pv_tile(F16, 4, scores + h0 * kBlock, v, stride, keys, acc + h0 * dim, dim);
      h0 += 4;
    } else if (left >= 2) {
      pv_tile(F16, 2, scores + h0 * kBlock, v, stride, keys, acc + h0 * dim, dim);
      h0 += 2;
    } else {
      pv_tile(F16, 1, scores + h0 * kBlock, v, stride, keys, acc + h0 * dim, dim);
      h0 += 1;
    }
  }
}

/* Each element type's blocks as functions of their own: the compiler optimizes
 * them apart and then inlines them, which schedules the tiles as well as before
 * f16 existed; forcing the templates into the pass measured 5% slower (x86). */
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

#endif /* GEMMAC_KERNELS_ATTENTION_PASS_H_ */
