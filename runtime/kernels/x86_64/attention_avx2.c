/* The attention partial pass on AVX2 + FMA (compiled with -mavx2 -mfma -mf16c).
 * The AVX-512 pass (attention_avx512.c) at half the width: score tiles of HT
 * heads x 8/HT keys (8 ymm accumulators, one hadd tree for 8 dot products),
 * value tiles of HT heads x 8/HT ymm of output dimensions. head_dim must be a
 * multiple of 8; anything else runs the generic pass. F16 (a compile-time
 * constant of every helper that reads the cache) selects f16 rows, widened by
 * F16C as they are loaded: the rest is the f32 code. */
#include <immintrin.h>

#include "kernels.h"

enum { kBlock = 64, kTileKeys = 8 /* keys of a score tile of one head (8 lanes) */ };

#define ALWAYS_INLINE inline __attribute__((always_inline))

/* The address of element i of a cache of f32 or f16 elements. */
static ALWAYS_INLINE const void* element_at(const int F16, const void* cache, size_t i) {
  return (const char*)cache + i * (F16 ? sizeof(uint16_t) : sizeof(float));
}

/* Elements i..i+7 of a K/V row, widened to f32. */
static ALWAYS_INLINE __m256 load8(const int F16, const void* row, size_t i) {
  if (F16) return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i*)((const uint16_t*)row + i)));
  return _mm256_loadu_ps((const float*)row + i);
}

/* exp(x) for x <= 0, clamped at FLT_MIN below -87.3 (see attention_avx512.c). */
static ALWAYS_INLINE __m256 exp_ps(__m256 x) {
  x = _mm256_max_ps(x, _mm256_set1_ps(-87.33654f));
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
  const __m256 y = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
  /* 2^n with n in [-126, 0]: the biased exponent stays normal. */
  const __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(y, _mm256_castsi256_ps(e));
}

/* Lane e of the result is the sum of the 8 lanes of v[e]. */
static ALWAYS_INLINE __m256 reduce8(const __m256 v[8]) {
  const __m256 t0 = _mm256_hadd_ps(v[0], v[1]), t1 = _mm256_hadd_ps(v[2], v[3]);
  const __m256 t2 = _mm256_hadd_ps(v[4], v[5]), t3 = _mm256_hadd_ps(v[6], v[7]);
  const __m256 u0 = _mm256_hadd_ps(t0, t1), u1 = _mm256_hadd_ps(t2, t3); /* per 128-bit half: v[0..3], v[4..7] */
  return _mm256_add_ps(_mm256_permute2f128_ps(u0, u1, 0x20), _mm256_permute2f128_ps(u0, u1, 0x31));
}

static ALWAYS_INLINE float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

static ALWAYS_INLINE float hmax(__m256 v) {
  __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_max_ps(s, _mm_movehl_ps(s, s));
  s = _mm_max_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

/* scores[h][j] = scale * q_h . k_j for HT heads and the first nk (<= 8 / HT) keys. */
static ALWAYS_INLINE void qk_tile(const int F16, const int HT, const float* q, size_t dim, const void* k,
                                  const void* v, size_t stride, size_t nk, float scale, float* scores) {
  const int KT = kTileKeys / HT;
  const void* kp[8];
  const void* vp[8];
  for (int j = 0; j < KT; ++j) {
    kp[j] = element_at(F16, k, ((size_t)j < nk ? (size_t)j : nk - 1) * stride);
    vp[j] = v ? element_at(F16, v, ((size_t)j < nk ? (size_t)j : nk - 1) * stride) : NULL; /* NULL: no prefetch */
  }
  __m256 acc[8];
  for (int i = 0; i < 8; ++i) acc[i] = _mm256_setzero_ps();
  for (size_t d = 0; d < dim; d += 8) {
    __m256 kv[8];
    /* The value rows these keys need next and the next tile's key rows, a
     * line at every 64 bytes of row (see attention_avx512.c). */
    if (v && (d & (F16 ? 31 : 15)) == 0)
      for (int j = 0; j < KT; ++j) {
        _mm_prefetch((const char*)element_at(F16, vp[j], d), _MM_HINT_T0);
        _mm_prefetch((const char*)element_at(F16, kp[j], KT * stride + d), _MM_HINT_T0);
      }
    for (int j = 0; j < KT; ++j) kv[j] = load8(F16, kp[j], d);
    for (int h = 0; h < HT; ++h) {
      const __m256 qv = _mm256_loadu_ps(q + h * dim + d);
      for (int j = 0; j < KT; ++j) acc[h * KT + j] = _mm256_fmadd_ps(qv, kv[j], acc[h * KT + j]);
    }
  }
  float dots[8];
  _mm256_storeu_ps(dots, _mm256_mul_ps(reduce8(acc), _mm256_set1_ps(scale)));
  for (int h = 0; h < HT; ++h)
    for (size_t j = 0; j < nk; ++j) scores[h * kBlock + j] = dots[h * KT + (int)j];
}

/* acc[h][d0 .. d0 + 8 CW) += sum_j p[h][j] v_j for HT heads. */
static ALWAYS_INLINE void pv_chunk(const int F16, const int HT, const int CW, const float* p, const void* v,
                                   size_t stride, size_t keys, float* acc, size_t dim, size_t d0) {
  __m256 a[8];
  for (int h = 0; h < HT; ++h)
    for (int c = 0; c < CW; ++c) a[h * CW + c] = _mm256_loadu_ps(acc + h * dim + d0 + 8 * c);
  for (size_t j = 0; j < keys; ++j) {
    const void* vj = element_at(F16, v, j * stride + d0);
    __m256 vv[8];
    for (int c = 0; c < CW; ++c) vv[c] = load8(F16, vj, 8 * (size_t)c);
    for (int h = 0; h < HT; ++h) {
      const __m256 pb = _mm256_broadcast_ss(p + h * kBlock + j);
      for (int c = 0; c < CW; ++c) a[h * CW + c] = _mm256_fmadd_ps(pb, vv[c], a[h * CW + c]);
    }
  }
  for (int h = 0; h < HT; ++h)
    for (int c = 0; c < CW; ++c) _mm256_storeu_ps(acc + h * dim + d0 + 8 * c, a[h * CW + c]);
}

static ALWAYS_INLINE void pv_tile(const int F16, const int HT, const float* p, const void* v, size_t stride,
                                  size_t keys, float* acc, size_t dim) {
  const size_t width = 8 * (size_t)(8 / HT);
  size_t d0 = 0;
  for (; d0 + width <= dim; d0 += width) pv_chunk(F16, HT, 8 / HT, p, v, stride, keys, acc, dim, d0);
  for (; d0 < dim; d0 += 8) pv_chunk(F16, HT, 1, p, v, stride, keys, acc, dim, d0);
}

static void softmax_block(float* s, size_t keys, float cap, float* max, float* sum, float* acc, size_t dim) {
  if (cap > 0.0f)
    for (size_t j = 0; j < keys; ++j) s[j] = cap * __builtin_tanhf(s[j] / cap);
  /* Pad to whole vectors with -inf, whose weights are masked to 0 below. */
  const size_t padded = (keys + 7) & ~(size_t)7;
  for (size_t j = keys; j < padded; ++j) s[j] = -__builtin_inff();
  __m256 mx = _mm256_set1_ps(-__builtin_inff());
  for (size_t j = 0; j < padded; j += 8) mx = _mm256_max_ps(mx, _mm256_loadu_ps(s + j));
  const float block_max = hmax(mx);
  if (block_max > *max) {
    if (*max > -__builtin_inff()) {
      const float c = __builtin_expf(*max - block_max);
      *sum *= c;
      const __m256 cv = _mm256_set1_ps(c);
      for (size_t d = 0; d < dim; d += 8) _mm256_storeu_ps(acc + d, _mm256_mul_ps(_mm256_loadu_ps(acc + d), cv));
    }
    *max = block_max;
  }
  const __m256 mv = _mm256_set1_ps(*max), neg_inf = _mm256_set1_ps(-__builtin_inff());
  __m256 total = _mm256_setzero_ps();
  for (size_t j = 0; j < padded; j += 8) {
    const __m256 x = _mm256_loadu_ps(s + j);
    const __m256 e = _mm256_and_ps(exp_ps(_mm256_sub_ps(x, mv)), _mm256_cmp_ps(x, neg_inf, _CMP_NEQ_OQ));
    _mm256_storeu_ps(s + j, e);
    total = _mm256_add_ps(total, e);
  }
  *sum += hsum(total);
}

/* The walk over blocks of keys and the head tiles, on the tiles above (shared
 * with attention_avx512.c and arm64/attention_neon.c). */
#include "attention_pass.h"

void gemmac_attention_partial_x86_avx2(const gemmac_attention_params* params, size_t kv_head, const float* q, size_t n,
                                       int64_t key_begin, int64_t key_end, const void* k_cache, const void* v_cache,
                                       float* max, float* sum, float* acc) {
  if (params->head_dim % 8 != 0)
    gemmac_attention_partial_generic(params, kv_head, q, n, key_begin, key_end, k_cache, v_cache, max, sum, acc);
  else
    partial(0, params, kv_head, q, n, key_begin, key_end, k_cache, v_cache, max, sum, acc);
}

void gemmac_attention_partial_f16_x86_avx2(const gemmac_attention_params* params, size_t kv_head, const float* q,
                                           size_t n, int64_t key_begin, int64_t key_end, const void* k_cache,
                                           const void* v_cache, float* max, float* sum, float* acc) {
  if (params->head_dim % 8 != 0)
    gemmac_attention_partial_f16_generic(params, kv_head, q, n, key_begin, key_end, k_cache, v_cache, max, sum, acc);
  else
    partial(1, params, kv_head, q, n, key_begin, key_end, k_cache, v_cache, max, sum, acc);
}

void gemmac_attention_x86_avx2(const gemmac_attention_params* params, const float* q, size_t tokens,
                               int64_t first_position, const float* k_cache, const float* v_cache, float* scores,
                               float* out) {
  (void)scores;
  gemmac_attention_rows(gemmac_attention_partial_x86_avx2, params, q, tokens, first_position, k_cache, v_cache, out);
}
