/* q4g32 / q8g32 linear on AVX2 + FMA + F16C (Haswell and later).
 *
 * As in the AVX-512 kernel, each weight group is widened to exact f32 weights,
 * level * scale, and multiplied into f32 accumulators by FMA. A q4 group becomes
 * four ymm: vpmovzxbd widens bytes 0..7 and 8..15 to dwords, masking keeps the
 * low nibbles (inputs 0..15) and a shift by 4 the high ones (inputs 16..31);
 * then fma(nibble, scale, -8 * scale) is (nibble - 8) * scale, exactly.
 *
 * With 16 ymm registers, prefill tiles are 2 rows x 4 tokens (one accumulator
 * per row and token) and decode (one token, also an odd last token of a
 * prefill) takes 4 rows per pass, prefetching each load's address plus
 * kPrefetchBytes since the interleaved row streams defeat the hardware
 * prefetchers. */
#include <immintrin.h>

#include "kernels.h"

enum {
  kTileRows = 2,
  kTileTokens = 4,
  kDecodeRows = 4,
  kMaxRows = 4,
  kScaleChunk = 64,           /* groups of f16 scales widened per row and pass */
  kL2ChunkBytes = 256 * 1024, /* weights per row chunk revisited by each token tile */
  kPrefetchBytes = 16 * 1024, /* how far ahead decode prefetches weights */
};

/* The driver: linear(), its prefill tiles and decode rows on linear_tile below
 * (shared with x86_64/quant_avx512.c and arm64/quant_neon.c). */
#include "quant_linear.h"

static inline void widen8(const uint16_t* h, float* out, float* out_m8) {
  const __m256 s = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i*)h));
  _mm256_storeu_ps(out, s);
  _mm256_storeu_ps(out_m8, _mm256_mul_ps(s, _mm256_set1_ps(-8.0f)));
}

/* Widens `count` f16 scales to f32 in `out` and their product with -8 in
 * `out_m8` (out[count..] may be written too), 8 at a time. The last 8 overlap
 * the ones before them rather than reading past the tensor; fewer than 8 in all
 * go through a zero-padded copy. */
static inline void widen_scales(const uint16_t* h, size_t count, float* out, float* out_m8) {
  size_t i = 0;
  for (; i + 8 <= count; i += 8) widen8(h + i, out + i, out_m8 + i);
  if (i == count) return;
  if (count >= 8) {
    widen8(h + count - 8, out + count - 8, out_m8 + count - 8);
  } else {
    uint16_t tail[8]; /* filled by a loop: an initializer may become a memset call */
    for (size_t e = 0; e < 8; ++e) tail[e] = e < count ? h[e] : 0;
    widen8(tail, out, out_m8);
  }
}

static inline void prefetch_range(const void* p, size_t bytes) {
  for (size_t b = 0; b < bytes; b += 64) _mm_prefetch((const char*)p + b, _MM_HINT_T0);
}

/* [sum(a), sum(b), sum(c), sum(d)]. */
static inline __m128 reduce4(__m256 a, __m256 b, __m256 c, __m256 d) {
  const __m256 v = _mm256_hadd_ps(_mm256_hadd_ps(a, b), _mm256_hadd_ps(c, d));
  return _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
}

static inline float reduce1(__m256 a) {
  __m128 v = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
  v = _mm_add_ps(v, _mm_movehl_ps(v, v));
  v = _mm_add_ss(v, _mm_movehdup_ps(v));
  return _mm_cvtss_f32(v);
}

/* out[t * out_stride + r] = sum_i x[t * k + i] * W[j + r, i] for r < rows,
 * t < tokens; `q8` selects the weight format. rows and tokens are constants at
 * every call, so the loops unroll and the accumulators live in registers;
 * `prefetch` (decode) fetches weights and scales kPrefetchBytes of weights ahead. */
static inline __attribute__((always_inline)) void linear_tile(int q8, const uint8_t* w, const uint16_t* scales,
                                                              size_t k, const float* x, size_t j, size_t rows,
                                                              size_t tokens, int prefetch, float* out,
                                                              size_t out_stride) {
  const size_t groups = k / GEMMAC_QUANT_GROUP;
  const size_t group_bytes = q8 ? GEMMAC_QUANT_GROUP : GEMMAC_QUANT_GROUP / 2;
  const uint8_t* tile = w + j * groups * group_bytes;
  const __m256i low_nibble = _mm256_set1_epi32(0xf);
  __m256 acc[kMaxRows * kTileTokens];
#pragma clang loop unroll(full)
  for (size_t a = 0; a < rows * tokens; ++a) acc[a] = _mm256_setzero_ps();

  if (prefetch)
    prefetch_range((const char*)(scales + j * groups) + kPrefetchBytes / group_bytes * 2, rows * groups * 2);
  float scale[kMaxRows * kScaleChunk], scale_m8[kMaxRows * kScaleChunk];
  for (size_t g0 = 0; g0 < groups; g0 += kScaleChunk) {
    const size_t chunk = groups - g0 < kScaleChunk ? groups - g0 : kScaleChunk;
    if (chunk == groups) {
      widen_scales(scales + j * groups, rows * groups, scale, scale_m8); /* the rows' scales are contiguous */
    } else {
#pragma clang loop unroll(full)
      for (size_t r = 0; r < rows; ++r)
        widen_scales(scales + (j + r) * groups + g0, chunk, scale + r * chunk, scale_m8 + r * chunk);
    }
    for (size_t g = 0; g < chunk; ++g) {
      const size_t i = (g0 + g) * GEMMAC_QUANT_GROUP;
#pragma clang loop unroll(full)
      for (size_t r = 0; r < rows; ++r) {
        const uint8_t* p = tile + (r * groups + g0 + g) * group_bytes;
        if (prefetch) _mm_prefetch((const char*)p + kPrefetchBytes, _MM_HINT_T0);
        const __m256 s = _mm256_broadcast_ss(&scale[r * chunk + g]);
        __m256 v[4]; /* W[j + r, i + 8 q .. i + 8 q + 7] */
        if (q8) {
#pragma clang loop unroll(full)
          for (size_t q = 0; q < 4; ++q)
            v[q] = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i*)(p + 8 * q)))),
                                 s);
        } else {
          const __m256 s_m8 = _mm256_broadcast_ss(&scale_m8[r * chunk + g]);
          const __m256i b0 = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i*)p));
          const __m256i b1 = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i*)(p + 8)));
          v[0] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_and_si256(b0, low_nibble)), s, s_m8);
          v[1] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_and_si256(b1, low_nibble)), s, s_m8);
          v[2] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_srli_epi32(b0, 4)), s, s_m8);
          v[3] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_srli_epi32(b1, 4)), s, s_m8);
        }
#pragma clang loop unroll(full)
        for (size_t t = 0; t < tokens; ++t) {
          __m256* a = &acc[r * tokens + t];
#pragma clang loop unroll(full)
          for (size_t q = 0; q < 4; ++q) *a = _mm256_fmadd_ps(v[q], _mm256_loadu_ps(x + t * k + i + 8 * q), *a);
        }
      }
    }
  }

  float sums[kMaxRows * kTileTokens];
  size_t a = 0;
#pragma clang loop unroll(full)
  for (; a + 4 <= rows * tokens; a += 4) _mm_storeu_ps(sums + a, reduce4(acc[a], acc[a + 1], acc[a + 2], acc[a + 3]));
#pragma clang loop unroll(full)
  for (; a < rows * tokens; ++a) sums[a] = reduce1(acc[a]);
  store_tile(sums, rows, tokens, out, out_stride);
}

GEMMAC_QUANT_LINEAR_ENTRY_POINTS(x86_avx2)
