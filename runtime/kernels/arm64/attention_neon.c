/* The attention partial pass on AArch64 NEON (baseline: no extension needed).
 * The x86 passes' structure (x86_64/attention_avx512.c) at 4 lanes, with the
 * same block walk (attention_pass.h); only the order of f32 summation and
 * exp's last-bit rounding differ from the generic pass.
 *
 * Per block of 64 keys of one ring run (contiguous rows):
 *  - scores: a tile of HT query heads x 16/HT keys keeps 16 accumulators over
 *    head_dim (each key row is loaded once for HT heads), reduced by pairwise
 *    adds to 4 dot products per instruction;
 *  - softmax: block maximum, rescale of the running sums when it grows, and a
 *    vector exp (the x86 passes' Cephes polynomial, ~1 ulp) of the scores;
 *  - values: HT heads x 16/HT vectors of output dimensions stay in registers
 *    while the block's value rows stream past.
 * Any head_dim: the last head_dim % 4 elements of a row are scalar. F16 (a
 * compile-time constant of every helper that reads the cache) selects f16
 * rows, widened by fcvtl as they are loaded: the rest is the f32 code. */
#include <arm_neon.h>

#include "kernels.h"

enum { kBlock = 64, kTileKeys = 16 /* keys of a score tile of one head (16 accumulators) */ };

#define ALWAYS_INLINE inline __attribute__((always_inline))

/* The address of element i of a cache of f32 or f16 elements. */
static ALWAYS_INLINE const void* element_at(const int F16, const void* cache, size_t i) {
  return (const char*)cache + i * (F16 ? sizeof(uint16_t) : sizeof(float));
}

/* Elements i..i+3 of a K/V row, widened to f32. */
static ALWAYS_INLINE float32x4_t load4(const int F16, const void* row, size_t i) {
  if (F16) return vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16((const uint16_t*)row + i)));
  return vld1q_f32((const float*)row + i);
}

/* Element i of a K/V row, widened to f32 (__fp16: by one fcvt). */
static ALWAYS_INLINE float load1(const int F16, const void* row, size_t i) {
  return F16 ? (float)((const __fp16*)row)[i] : ((const float*)row)[i];
}

/* exp(x) for x <= 0, clamped at FLT_MIN below -87.3 (see x86_64/attention_avx512.c). */
static ALWAYS_INLINE float32x4_t exp_ps(float32x4_t x) {
  x = vmaxq_f32(x, vdupq_n_f32(-87.33654f));
  const float32x4_t n = vrndnq_f32(vmulq_n_f32(x, 1.44269504088896341f));
  float32x4_t r = vfmsq_f32(x, n, vdupq_n_f32(0.693359375f));
  r = vfmsq_f32(r, n, vdupq_n_f32(-2.12194440e-4f));
  float32x4_t p = vdupq_n_f32(1.9875691500e-4f);
  p = vfmaq_f32(vdupq_n_f32(1.3981999507e-3f), p, r);
  p = vfmaq_f32(vdupq_n_f32(8.3334519073e-3f), p, r);
  p = vfmaq_f32(vdupq_n_f32(4.1665795894e-2f), p, r);
  p = vfmaq_f32(vdupq_n_f32(1.6666665459e-1f), p, r);
  p = vfmaq_f32(vdupq_n_f32(5.0000001201e-1f), p, r);
  const float32x4_t y = vfmaq_f32(vaddq_f32(r, vdupq_n_f32(1.0f)), p, vmulq_f32(r, r));
  /* 2^n with n in [-126, 0]: the biased exponent stays normal. */
  const int32x4_t e = vshlq_n_s32(vaddq_s32(vcvtq_s32_f32(n), vdupq_n_s32(127)), 23);
  return vmulq_f32(y, vreinterpretq_f32_s32(e));
}

/* scores[h][j] = scale * q_h . k_j for HT heads and the first nk (<= 16 / HT)
 * keys at k (rows `stride` apart); scores rows are kBlock apart. */
static ALWAYS_INLINE void qk_tile(const int F16, const int HT, const float* q, size_t dim, const void* k,
                                  const void* v, size_t stride, size_t nk, float scale, float* scores) {
  const int KT = kTileKeys / HT;
  const void* kp[kTileKeys];
  const void* vp[kTileKeys];
  for (int j = 0; j < KT; ++j) {
    kp[j] = element_at(F16, k, ((size_t)j < nk ? (size_t)j : nk - 1) * stride);
    vp[j] = v ? element_at(F16, v, ((size_t)j < nk ? (size_t)j : nk - 1) * stride) : NULL; /* NULL: no prefetch */
  }
  float32x4_t acc[kTileKeys];
  for (int i = 0; i < kTileKeys; ++i) acc[i] = vdupq_n_f32(0.0f);
  size_t d = 0;
  for (; d + 4 <= dim; d += 4) {
    /* The value rows these keys need next and the next tile's key rows, a
     * line at every 64 bytes of row (as on x86, where it was measured). */
    if (v && (d & (F16 ? 31 : 15)) == 0)
      for (int j = 0; j < KT; ++j) {
        __builtin_prefetch(element_at(F16, vp[j], d));
        __builtin_prefetch(element_at(F16, kp[j], KT * stride + d));
      }
    float32x4_t kv[kTileKeys];
    for (int j = 0; j < KT; ++j) kv[j] = load4(F16, kp[j], d);
    for (int h = 0; h < HT; ++h) {
      const float32x4_t qv = vld1q_f32(q + h * dim + d);
      for (int j = 0; j < KT; ++j) acc[h * KT + j] = vfmaq_f32(acc[h * KT + j], qv, kv[j]);
    }
  }
  float dots[kTileKeys];
  for (int i = 0; i < kTileKeys; i += 4)
    vst1q_f32(dots + i, vpaddq_f32(vpaddq_f32(acc[i], acc[i + 1]), vpaddq_f32(acc[i + 2], acc[i + 3])));
  for (size_t e = 0; e < dim % 4; ++e)
    for (int h = 0; h < HT; ++h)
      for (int j = 0; j < KT; ++j) dots[h * KT + j] += q[h * dim + d + e] * load1(F16, kp[j], d + e);
  for (int h = 0; h < HT; ++h)
    for (size_t j = 0; j < nk; ++j) scores[h * kBlock + j] = dots[h * KT + (int)j] * scale;
}

/* acc[h][d0 .. d0 + 4 CW) += sum_j p[h][j] v_j for HT heads. */
static ALWAYS_INLINE void pv_chunk(const int F16, const int HT, const int CW, const float* p, const void* v,
                                   size_t stride, size_t keys, float* acc, size_t dim, size_t d0) {
  float32x4_t a[kTileKeys];
  for (int h = 0; h < HT; ++h)
    for (int c = 0; c < CW; ++c) a[h * CW + c] = vld1q_f32(acc + h * dim + d0 + 4 * c);
  for (size_t j = 0; j < keys; ++j) {
    const void* vj = element_at(F16, v, j * stride + d0);
    float32x4_t vv[kTileKeys];
    for (int c = 0; c < CW; ++c) vv[c] = load4(F16, vj, 4 * (size_t)c);
    for (int h = 0; h < HT; ++h) {
      const float pj = p[h * kBlock + j];
      for (int c = 0; c < CW; ++c) a[h * CW + c] = vfmaq_n_f32(a[h * CW + c], vv[c], pj);
    }
  }
  for (int h = 0; h < HT; ++h)
    for (int c = 0; c < CW; ++c) vst1q_f32(acc + h * dim + d0 + 4 * c, a[h * CW + c]);
}

/* acc[h][:] += sum_j p[h][j] v_j for HT heads over `keys` value rows: chunks
 * of 16 / HT vectors, then single vectors, then the last dim % 4 elements. */
static ALWAYS_INLINE void pv_tile(const int F16, const int HT, const float* p, const void* v, size_t stride,
                                  size_t keys, float* acc, size_t dim) {
  const size_t width = 4 * (size_t)(kTileKeys / HT);
  size_t d0 = 0;
  for (; d0 + width <= dim; d0 += width) pv_chunk(F16, HT, kTileKeys / HT, p, v, stride, keys, acc, dim, d0);
  for (; d0 + 4 <= dim; d0 += 4) pv_chunk(F16, HT, 1, p, v, stride, keys, acc, dim, d0);
  for (size_t e = 0; e < dim % 4; ++e)
    for (int h = 0; h < HT; ++h) {
      float a = acc[h * dim + d0 + e];
      for (size_t j = 0; j < keys; ++j) a += p[h * kBlock + j] * load1(F16, v, j * stride + d0 + e);
      acc[h * dim + d0 + e] = a;
    }
}

/* Softcap, running maximum / rescale, exp and sum of one head's block of scores. */
static void softmax_block(float* s, size_t keys, float cap, float* max, float* sum, float* acc, size_t dim) {
  if (cap > 0.0f)
    for (size_t j = 0; j < keys; ++j) s[j] = cap * __builtin_tanhf(s[j] / cap);
  /* Pad to whole vectors with -inf, whose weights are masked to 0 below. */
  const size_t padded = (keys + 3) & ~(size_t)3;
  for (size_t j = keys; j < padded; ++j) s[j] = -__builtin_inff();
  const float32x4_t neg_inf = vdupq_n_f32(-__builtin_inff());
  float32x4_t mx = neg_inf;
  for (size_t j = 0; j < padded; j += 4) mx = vmaxq_f32(mx, vld1q_f32(s + j));
  const float block_max = vmaxvq_f32(mx);
  if (block_max > *max) {
    if (*max > -__builtin_inff()) {
      const float c = __builtin_expf(*max - block_max);
      *sum *= c;
      for (size_t d = 0; d < dim; ++d) acc[d] *= c;
    }
    *max = block_max;
  }
  const float32x4_t mv = vdupq_n_f32(*max);
  float32x4_t total = vdupq_n_f32(0.0f);
  for (size_t j = 0; j < padded; j += 4) {
    const float32x4_t x = vld1q_f32(s + j);
    const uint32x4_t pad = vceqq_f32(x, neg_inf);
    const float32x4_t e = vreinterpretq_f32_u32(vbicq_u32(vreinterpretq_u32_f32(exp_ps(vsubq_f32(x, mv))), pad));
    vst1q_f32(s + j, e);
    total = vaddq_f32(total, e);
  }
  *sum += vaddvq_f32(total);
}

/* The walk over blocks of keys and the head tiles, on the tiles above (shared
 * with the x86 passes). */
#include "attention_pass.h"

void gemmac_attention_partial_arm64_neon(const gemmac_attention_params* params, size_t kv_head, const float* q,
                                         size_t n, int64_t key_begin, int64_t key_end, const void* k_cache,
                                         const void* v_cache, float* max, float* sum, float* acc) {
  partial(0, params, kv_head, q, n, key_begin, key_end, k_cache, v_cache, max, sum, acc);
}

void gemmac_attention_partial_f16_arm64_neon(const gemmac_attention_params* params, size_t kv_head, const float* q,
                                             size_t n, int64_t key_begin, int64_t key_end, const void* k_cache,
                                             const void* v_cache, float* max, float* sum, float* acc) {
  partial(1, params, kv_head, q, n, key_begin, key_end, k_cache, v_cache, max, sum, acc);
}

void gemmac_attention_arm64_neon(const gemmac_attention_params* params, const float* q, size_t tokens,
                                 int64_t first_position, const float* k_cache, const float* v_cache, float* scores,
                                 float* out) {
  (void)scores;
  gemmac_attention_rows(gemmac_attention_partial_arm64_neon, params, q, tokens, first_position, k_cache, v_cache,
                        out);
}
