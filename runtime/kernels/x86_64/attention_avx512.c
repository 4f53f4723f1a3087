/* The attention partial pass on AVX-512F (compiled with -mavx512f; nothing
 * beyond AVX512F is used). Same blocks and online softmax as the generic pass
 * (generic/attention.c, the definition); only the order of f32 summation and
 * exp's last-bit rounding differ.
 *
 * Per block of 64 keys of one ring run (contiguous rows):
 *  - scores: a tile of HT query heads x 16/HT keys keeps 16 zmm accumulators
 *    over head_dim (each key row is loaded once for HT heads), then one
 *    transpose-and-add tree turns the 16 accumulators into one vector of 16
 *    dot products;
 *  - softmax: block maximum, rescale of the running sums when it grows, and a
 *    vector exp (Cephes polynomial, ~1 ulp) of the block's scores;
 *  - values: HT heads x 16/HT zmm of output dimensions stay in registers while
 *    the block's value rows stream past (each row read once for HT heads).
 * HT is 4, 2 or 1: a group of n heads is covered by tiles of 4, then 2, then 1.
 * A head_dim that is not a multiple of 16 is handled by masked loads/stores.
 * F16 (a compile-time constant of every helper that reads the cache) selects
 * f16 rows, widened by _mm512_cvtph_ps as they are loaded: the rest is the
 * f32 code. */
#include <immintrin.h>

#include "kernels.h"

enum { kBlock = 64, kTileKeys = 16 /* keys of a score tile of one head (16 lanes) */ };

#define ALWAYS_INLINE inline __attribute__((always_inline))

/* The address of element i of a cache of f32 or f16 elements. */
static ALWAYS_INLINE const void* element_at(const int F16, const void* cache, size_t i) {
  return (const char*)cache + i * (F16 ? sizeof(uint16_t) : sizeof(float));
}

/* Elements i..i+15 of a K/V row, widened to f32; lanes outside the (prefix)
 * mask m are 0 and not read. */
static ALWAYS_INLINE __m512 load16(const int F16, __mmask16 m, const void* row, size_t i) {
  if (!F16) return _mm512_maskz_loadu_ps(m, (const float*)row + i);
  const uint16_t* h = (const uint16_t*)row + i;
  if (m == 0xFFFF) return _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i*)h));
  /* A masked 16-bit load needs AVX512BW: a tail's elements go through the stack. */
  uint16_t tail[16] = {0};
  for (int l = 0; l < 16; ++l)
    if (m >> l & 1) tail[l] = h[l];
  return _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i*)tail));
}

/* exp(x) for x <= 0 (scores minus their maximum). Below -87.3 the result is
 * clamped at FLT_MIN instead of underflowing: < 1.2e-38 of the maximum's weight. */
static ALWAYS_INLINE __m512 exp_ps(__m512 x) {
  x = _mm512_max_ps(x, _mm512_set1_ps(-87.33654f));
  const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
  __m512 p = _mm512_set1_ps(1.9875691500e-4f);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
  const __m512 y = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
  return _mm512_scalef_ps(y, n);
}

/* Lane e of the result is the sum of the 16 lanes of v[e]. */
static ALWAYS_INLINE __m512 reduce16(const __m512 v[16]) {
  __m512 t[8], u[4], w[2];
  for (int i = 0; i < 8; ++i) /* per 128-bit lane: (a0+a2, b0+b2, a1+a3, b1+b3) */
    t[i] = _mm512_add_ps(_mm512_unpacklo_ps(v[2 * i], v[2 * i + 1]), _mm512_unpackhi_ps(v[2 * i], v[2 * i + 1]));
  for (int i = 0; i < 4; ++i) { /* per 128-bit lane: the lane's sums of v[4i..4i+3] */
    const __m512d a = _mm512_castps_pd(t[2 * i]), b = _mm512_castps_pd(t[2 * i + 1]);
    u[i] = _mm512_add_ps(_mm512_castpd_ps(_mm512_unpacklo_pd(a, b)), _mm512_castpd_ps(_mm512_unpackhi_pd(a, b)));
  }
  for (int i = 0; i < 2; ++i)
    w[i] = _mm512_add_ps(_mm512_shuffle_f32x4(u[2 * i], u[2 * i + 1], 0x88),
                         _mm512_shuffle_f32x4(u[2 * i], u[2 * i + 1], 0xDD));
  return _mm512_add_ps(_mm512_shuffle_f32x4(w[0], w[1], 0x88), _mm512_shuffle_f32x4(w[0], w[1], 0xDD));
}

static ALWAYS_INLINE __mmask16 tail_mask(size_t remaining) {
  return remaining >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << remaining) - 1u);
}

/* scores[h][j] = scale * q_h . k_j for HT heads and the first nk (<= 16 / HT)
 * keys at k (rows `stride` apart); scores rows are kBlock apart. */
static ALWAYS_INLINE void qk_tile(const int F16, const int HT, const float* q, size_t dim, const void* k,
                                  const void* v, size_t stride, size_t nk, float scale, float* scores) {
  const int KT = kTileKeys / HT;
  const void* kp[16];
  const void* vp[16];
  for (int j = 0; j < KT; ++j) {
    kp[j] = element_at(F16, k, ((size_t)j < nk ? (size_t)j : nk - 1) * stride);
    vp[j] = v ? element_at(F16, v, ((size_t)j < nk ? (size_t)j : nk - 1) * stride) : NULL; /* NULL: no prefetch */
  }
  __m512 acc[16];
  for (int i = 0; i < 16; ++i) acc[i] = _mm512_setzero_ps();
  size_t d = 0;
  for (; d + 16 <= dim; d += 16) {
    __m512 kv[16];
    /* The value rows these keys will need next, a line at every 64 bytes of
     * row (every step for f32, every other for f16): the value pass walks a
     * block in column chunks, which hardware prefetch misses. */
    if (v && (!F16 || (d & 31) == 0))
      for (int j = 0; j < KT; ++j) {
        _mm_prefetch((const char*)element_at(F16, vp[j], d), _MM_HINT_T0);
        _mm_prefetch((const char*)element_at(F16, kp[j], KT * stride + d), _MM_HINT_T0);
      }
    for (int j = 0; j < KT; ++j) kv[j] = load16(F16, 0xFFFF, kp[j], d);
    for (int h = 0; h < HT; ++h) {
      const __m512 qv = _mm512_loadu_ps(q + h * dim + d);
      for (int j = 0; j < KT; ++j) acc[h * KT + j] = _mm512_fmadd_ps(qv, kv[j], acc[h * KT + j]);
    }
  }
  if (d < dim) {
    const __mmask16 m = tail_mask(dim - d);
    __m512 kv[16];
    for (int j = 0; j < KT; ++j) kv[j] = load16(F16, m, kp[j], d);
    for (int h = 0; h < HT; ++h) {
      const __m512 qv = _mm512_maskz_loadu_ps(m, q + h * dim + d);
      for (int j = 0; j < KT; ++j) acc[h * KT + j] = _mm512_fmadd_ps(qv, kv[j], acc[h * KT + j]);
    }
  }
  float dots[16];
  _mm512_storeu_ps(dots, _mm512_mul_ps(reduce16(acc), _mm512_set1_ps(scale)));
  for (int h = 0; h < HT; ++h)
    for (size_t j = 0; j < nk; ++j) scores[h * kBlock + j] = dots[h * KT + (int)j];
}

/* acc[h][:] += sum_j p[h][j] v_j for HT heads over `keys` value rows. */
static ALWAYS_INLINE void pv_tile(const int F16, const int HT, const float* p, const void* v, size_t stride,
                                  size_t keys, float* acc, size_t dim) {
  const int CW = 16 / HT; /* zmm of output dimensions per head and pass */
  for (size_t d0 = 0; d0 < dim; d0 += 16 * (size_t)CW) {
    __mmask16 m[16];
    for (int c = 0; c < CW; ++c) {
      const size_t at = d0 + 16 * (size_t)c;
      m[c] = at < dim ? tail_mask(dim - at) : 0;
    }
    __m512 a[16];
    for (int h = 0; h < HT; ++h)
      for (int c = 0; c < CW; ++c) a[h * CW + c] = _mm512_maskz_loadu_ps(m[c], acc + h * dim + d0 + 16 * c);
    for (size_t j = 0; j < keys; ++j) {
      const void* vj = element_at(F16, v, j * stride + d0);
      __m512 vv[16];
      for (int c = 0; c < CW; ++c) vv[c] = load16(F16, m[c], vj, 16 * (size_t)c);
      for (int h = 0; h < HT; ++h) {
        const __m512 pb = _mm512_set1_ps(p[h * kBlock + j]);
        for (int c = 0; c < CW; ++c) a[h * CW + c] = _mm512_fmadd_ps(pb, vv[c], a[h * CW + c]);
      }
    }
    for (int h = 0; h < HT; ++h)
      for (int c = 0; c < CW; ++c) _mm512_mask_storeu_ps(acc + h * dim + d0 + 16 * c, m[c], a[h * CW + c]);
  }
}

/* Softcap, running maximum / rescale, exp and sum of one head's block of scores. */
static void softmax_block(float* s, size_t keys, float cap, float* max, float* sum, float* acc, size_t dim) {
  if (cap > 0.0f)
    for (size_t j = 0; j < keys; ++j) s[j] = cap * __builtin_tanhf(s[j] / cap);
  const __m512 neg_inf = _mm512_set1_ps(-__builtin_inff());
  __m512 mx = neg_inf;
  for (size_t j = 0; j < keys; j += 16) mx = _mm512_max_ps(mx, _mm512_mask_loadu_ps(neg_inf, tail_mask(keys - j), s + j));
  const float block_max = _mm512_reduce_max_ps(mx);
  if (block_max > *max) {
    if (*max > -__builtin_inff()) {
      const float c = __builtin_expf(*max - block_max);
      *sum *= c;
      const __m512 cv = _mm512_set1_ps(c);
      for (size_t d = 0; d < dim; d += 16) {
        const __mmask16 m = tail_mask(dim - d);
        _mm512_mask_storeu_ps(acc + d, m, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, acc + d), cv));
      }
    }
    *max = block_max;
  }
  const __m512 mv = _mm512_set1_ps(*max);
  __m512 total = _mm512_setzero_ps();
  for (size_t j = 0; j < keys; j += 16) {
    const __mmask16 m = tail_mask(keys - j);
    const __m512 e = exp_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, s + j), mv));
    _mm512_mask_storeu_ps(s + j, m, e);
    total = _mm512_mask_add_ps(total, m, total, e);
  }
  *sum += _mm512_reduce_add_ps(total);
}

/* The walk over blocks of keys and the head tiles, on the tiles above (shared
 * with attention_avx2.c and arm64/attention_neon.c). */
#include "attention_pass.h"

void gemmac_attention_partial_x86_avx512(const gemmac_attention_params* params, size_t kv_head, const float* q,
                                         size_t n, int64_t key_begin, int64_t key_end, const void* k_cache,
                                         const void* v_cache, float* max, float* sum, float* acc) {
  partial(0, params, kv_head, q, n, key_begin, key_end, k_cache, v_cache, max, sum, acc);
}

void gemmac_attention_partial_f16_x86_avx512(const gemmac_attention_params* params, size_t kv_head, const float* q,
                                             size_t n, int64_t key_begin, int64_t key_end, const void* k_cache,
                                             const void* v_cache, float* max, float* sum, float* acc) {
  partial(1, params, kv_head, q, n, key_begin, key_end, k_cache, v_cache, max, sum, acc);
}

void gemmac_attention_x86_avx512(const gemmac_attention_params* params, const float* q, size_t tokens,
                                 int64_t first_position, const float* k_cache, const float* v_cache, float* scores,
                                 float* out) {
  (void)scores;
  gemmac_attention_rows(gemmac_attention_partial_x86_avx512, params, q, tokens, first_position, k_cache, v_cache,
                        out);
}
