/* q4g32 / q8g32 linear on AVX-512F (compiled with -mavx512f, which implies
 * AVX2, FMA and F16C; nothing beyond AVX512F is used).
 *
 * Exact: every product is level * x or (level * scale) * x in f32, where
 * level * scale is exact (a 4- or 8-bit level times an 11-bit f16 significand
 * fits f32's 24 bits); only the order of summation differs from the generic
 * kernel. vpermps looks 16 f32 up by the low 4 bits of each dword index and
 * ignores the rest, which turns nibbles into numbers in one instruction.
 *
 * Prefill (tiles of up to 3 rows x 6 tokens): a q4 group's 16 bytes are
 * widened to dwords (vpmovzxbd) and looked up in the group's table of levels
 * -8..7 times its scale, once as is (low nibbles: inputs 0..15) and once shifted
 * by 4 (inputs 16..31); the two exact weight vectors feed 2 FMAs for each token
 * of the tile, into one accumulator per row and token.
 *
 * Decode (one token, 8 rows per pass): 64 bytes (4 groups) of a row are one
 * load; the dword lanes hold 8 nibbles each, and shifts by 0, 4, .., 28 bring
 * each to the low bits of the table lookup, giving 8 planes of levels. x is
 * reordered once per call to match the planes, so each plane is one FMA; the
 * lane sums (lane d covers group d / 4) are then scaled per group by one FMA.
 * That is 27 vector instructions per 128 weights (vs 28 for the prefill
 * unpacking at one token). An odd last token of a prefill takes this path too.
 *
 * Decode prefetches each load's address plus kPrefetchBytes: the 8 interleaved
 * row streams defeat the hardware prefetchers. */
#include <immintrin.h>

#include "kernels.h"

enum {
  kTileRows = 3,
  kTileTokens = 6,
  kDecodeRows = 8,
  kScaleChunk = 64,           /* groups of f16 scales widened per row and pass */
  kDecodeChunk = 2048,        /* inputs reordered per pass by q4_decode */
  kL2ChunkBytes = 256 * 1024, /* weights per row chunk revisited by each token tile */
  kPrefetchBytes = 16 * 1024, /* how far ahead decode prefetches weights */
};

/* The driver: linear(), its prefill tiles and decode rows on linear_tile below
 * (shared with x86_64/quant_avx2.c and arm64/quant_neon.c). */
#include "quant_linear.h"

static inline void widen16(const uint16_t* h, float* out) {
  _mm512_storeu_ps(out, _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i*)h)));
}

/* Widens `count` f16 scales to f32 (out[count..] may be written too), 16 at a
 * time. The last 16 overlap the ones before them rather than reading past the
 * tensor; fewer than 16 in all go through a zero-padded copy. */
static inline void widen_scales(const uint16_t* h, size_t count, float* out) {
  size_t i = 0;
  for (; i + 16 <= count; i += 16) widen16(h + i, out + i);
  if (i == count) return;
  if (count >= 16) {
    widen16(h + count - 16, out + count - 16);
  } else {
    uint16_t tail[16]; /* filled by a loop: an initializer may become a memset call */
    for (size_t e = 0; e < 16; ++e) tail[e] = e < count ? h[e] : 0;
    widen16(tail, out);
  }
}

/* Widens the scales of rows [j, j + rows), groups [g0, g0 + chunk) of a weight
 * with `groups` groups per row to scale[r * chunk + g]. */
static inline __attribute__((always_inline)) void widen_rows(const uint16_t* scales, size_t groups, size_t j,
                                                             size_t rows, size_t g0, size_t chunk, float* scale) {
  if (chunk == groups) {
    widen_scales(scales + j * groups, rows * groups, scale); /* the rows' scales are contiguous */
  } else {
#pragma clang loop unroll(full)
    for (size_t r = 0; r < rows; ++r) widen_scales(scales + (j + r) * groups + g0, chunk, scale + r * chunk);
  }
}

static inline void prefetch_range(const void* p, size_t bytes) {
  for (size_t b = 0; b < bytes; b += 64) _mm_prefetch((const char*)p + b, _MM_HINT_T0);
}

/* [sum(a), sum(b), sum(c), sum(d)]. */
static inline __m128 reduce4(__m512 a, __m512 b, __m512 c, __m512 d) {
  const __m512 ab = _mm512_add_ps(_mm512_shuffle_f32x4(a, b, _MM_SHUFFLE(1, 0, 1, 0)),
                                  _mm512_shuffle_f32x4(a, b, _MM_SHUFFLE(3, 2, 3, 2)));
  const __m512 cd = _mm512_add_ps(_mm512_shuffle_f32x4(c, d, _MM_SHUFFLE(1, 0, 1, 0)),
                                  _mm512_shuffle_f32x4(c, d, _MM_SHUFFLE(3, 2, 3, 2)));
  /* 128-bit lane q holds four partial sums of a, b, c, d for q = 0..3. */
  __m512 v = _mm512_add_ps(_mm512_shuffle_f32x4(ab, cd, _MM_SHUFFLE(2, 0, 2, 0)),
                           _mm512_shuffle_f32x4(ab, cd, _MM_SHUFFLE(3, 1, 3, 1)));
  v = _mm512_add_ps(v, _mm512_permute_ps(v, _MM_SHUFFLE(2, 3, 0, 1)));
  v = _mm512_add_ps(v, _mm512_permute_ps(v, _MM_SHUFFLE(1, 0, 3, 2)));
  return _mm512_castps512_ps128(
      _mm512_permutexvar_ps(_mm512_setr_epi32(0, 4, 8, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), v));
}

/* sums[a] = the sum of the lanes of acc[a], a < count. */
static inline __attribute__((always_inline)) void reduce(const __m512* acc, size_t count, float* sums) {
  size_t a = 0;
#pragma clang loop unroll(full)
  for (; a + 4 <= count; a += 4) _mm_storeu_ps(sums + a, reduce4(acc[a], acc[a + 1], acc[a + 2], acc[a + 3]));
#pragma clang loop unroll(full)
  for (; a < count; ++a) sums[a] = _mm512_reduce_add_ps(acc[a]);
}

static inline __m512 q4_levels(void) { return _mm512_setr_ps(-8, -7, -6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7); }

/* out[t * out_stride + r] = sum_i x[t * k + i] * W[j + r, i] for r < rows,
 * t < tokens; `q8` selects the weight format. rows and tokens are constants at
 * every call, so the loops unroll and the accumulators live in registers;
 * `prefetch` (decode) fetches weights and scales kPrefetchBytes of weights ahead. */
static inline __attribute__((always_inline)) void linear_tile(int q8, const uint8_t* w, const uint16_t* scales,
                                                              size_t k, const float* x, size_t j, size_t rows,
                                                              size_t tokens, int prefetch, float* out,
                                                              size_t out_stride) {
  enum { kMaxRows = kDecodeRows > kTileRows ? kDecodeRows : kTileRows };
  const size_t groups = k / GEMMAC_QUANT_GROUP;
  const size_t group_bytes = q8 ? GEMMAC_QUANT_GROUP : GEMMAC_QUANT_GROUP / 2;
  const uint8_t* tile = w + j * groups * group_bytes;
  const __m512 levels = q4_levels();
  __m512 acc[kMaxRows * kTileTokens];
#pragma clang loop unroll(full)
  for (size_t a = 0; a < rows * tokens; ++a) acc[a] = _mm512_setzero_ps();

  if (prefetch)
    prefetch_range((const char*)(scales + j * groups) + kPrefetchBytes / group_bytes * 2, rows * groups * 2);
  float scale[kMaxRows * kScaleChunk];
  for (size_t g0 = 0; g0 < groups; g0 += kScaleChunk) {
    const size_t chunk = groups - g0 < kScaleChunk ? groups - g0 : kScaleChunk;
    widen_rows(scales, groups, j, rows, g0, chunk, scale);
    for (size_t g = 0; g < chunk; ++g) {
      const size_t i = (g0 + g) * GEMMAC_QUANT_GROUP;
#pragma clang loop unroll(full)
      for (size_t r = 0; r < rows; ++r) {
        const uint8_t* p = tile + (r * groups + g0 + g) * group_bytes;
        if (prefetch) _mm_prefetch((const char*)p + kPrefetchBytes, _MM_HINT_T0);
        __m512 lo, hi; /* W[j + r, i .. i + 15], W[j + r, i + 16 .. i + 31] */
        if (q8) {
          const __m512 s = _mm512_set1_ps(scale[r * chunk + g]);
          lo = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i*)p))), s);
          hi = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i*)(p + 16)))), s);
        } else {
          const __m512 table = _mm512_mul_ps(levels, _mm512_set1_ps(scale[r * chunk + g]));
          const __m512i bytes = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i*)p));
          lo = _mm512_permutexvar_ps(bytes, table);
          hi = _mm512_permutexvar_ps(_mm512_srli_epi32(bytes, 4), table);
        }
#pragma clang loop unroll(full)
        for (size_t t = 0; t < tokens; ++t) {
          __m512* a = &acc[r * tokens + t];
          *a = _mm512_fmadd_ps(lo, _mm512_loadu_ps(x + t * k + i), *a);
          *a = _mm512_fmadd_ps(hi, _mm512_loadu_ps(x + t * k + i + 16), *a);
        }
      }
    }
  }

  float sums[kMaxRows * kTileTokens];
  reduce(acc, rows * tokens, sums);
  store_tile(sums, rows, tokens, out, out_stride);
}

/* x reordered for q4_decode_tile: block q (128 inputs, the 4 groups of 64
 * weight bytes) is 8 planes of 16; lane d of plane p holds the input of the
 * nibble at bits 4 p of dword d (byte p / 2, low nibble when p is even). Zero
 * past `count`, up to a whole block. */
static void q4_decode_x(const float* x, size_t count, float* xp) {
  for (size_t q = 0; q * 128 < count; ++q)
    for (size_t p = 0; p < 8; ++p)
      for (size_t d = 0; d < 16; ++d) {
        const size_t i = q * 128 + 32 * (d / 4) + 4 * (d % 4) + p / 2 + 16 * (p % 2);
        xp[q * 128 + p * 16 + d] = i < count ? x[i] : 0.0f;
      }
}

/* out[r] (+)= sum over inputs [i0, i0 + count) of xp * W[j + r, i]; `accumulate`
 * adds to out instead of storing. */
static inline __attribute__((always_inline)) void q4_decode_tile(const uint8_t* w, const uint16_t* scales, size_t k,
                                                                 size_t i0, size_t count, const float* xp, size_t j,
                                                                 size_t rows, int accumulate, float* out) {
  const size_t groups = k / GEMMAC_QUANT_GROUP, chunk = count / GEMMAC_QUANT_GROUP;
  const uint8_t* tile = w + j * k / 2;
  const __m512 levels = q4_levels();
  const __m512i group_of_lane = _mm512_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3);
  prefetch_range((const char*)(scales + j * groups) + kPrefetchBytes / 8, rows * groups * 2);
  float scale[kDecodeRows * kScaleChunk];
  widen_rows(scales, groups, j, rows, i0 / GEMMAC_QUANT_GROUP, chunk, scale);
  __m512 acc[kDecodeRows];
#pragma clang loop unroll(full)
  for (size_t r = 0; r < rows; ++r) acc[r] = _mm512_setzero_ps();

  for (size_t q = 0; q * 128 < count; ++q) {
    /* A block of fewer than 4 groups ends the row: a masked load reads only its
     * bytes, and the scales of the missing groups are zeroed (their x are 0). */
    const size_t left = chunk - 4 * q;
    const __mmask16 mask = left >= 4 ? 0xffff : (__mmask16)((1u << 4 * left) - 1);
    const float* xq = xp + q * 128;
#pragma clang loop unroll(full)
    for (size_t r = 0; r < rows; ++r) {
      const uint8_t* p = tile + r * k / 2 + (i0 + q * 128) / 2;
      _mm_prefetch((const char*)p + kPrefetchBytes, _MM_HINT_T0);
      /* Masked loads are slow to stream, so only the tail uses one. */
      const __m512i z = left >= 4 ? _mm512_loadu_si512(p) : _mm512_maskz_loadu_epi32(mask, p);
      /* Two partial sums halve the dependency chain. */
      __m512 even = _mm512_mul_ps(_mm512_permutexvar_ps(z, levels), _mm512_loadu_ps(xq));
      __m512 odd = _mm512_mul_ps(_mm512_permutexvar_ps(_mm512_srli_epi32(z, 4), levels), _mm512_loadu_ps(xq + 16));
#pragma clang loop unroll(full)
      for (unsigned s = 2; s < 8; s += 2) {
        even = _mm512_fmadd_ps(_mm512_permutexvar_ps(_mm512_srli_epi32(z, 4 * s), levels), _mm512_loadu_ps(xq + 16 * s),
                               even);
        odd = _mm512_fmadd_ps(_mm512_permutexvar_ps(_mm512_srli_epi32(z, 4 * s + 4), levels),
                              _mm512_loadu_ps(xq + 16 * s + 16), odd);
      }
      const __m512 s = _mm512_maskz_permutexvar_ps(mask, group_of_lane,
                                                   _mm512_castps128_ps512(_mm_loadu_ps(scale + r * chunk + 4 * q)));
      acc[r] = _mm512_fmadd_ps(_mm512_add_ps(even, odd), s, acc[r]);
    }
  }

  float sums[kDecodeRows];
  reduce(acc, rows, sums);
#pragma clang loop unroll(full)
  for (size_t r = 0; r < rows; ++r) out[r] = accumulate ? out[r] + sums[r] : sums[r];
}

/* One token of a q4 weight: out[j - n_begin] = sum_i x[i] * W[j, i]. */
static void q4_decode(const uint8_t* w, const uint16_t* scales, size_t k, const float* x, size_t n_begin, size_t n_end,
                      float* out) {
  float xp[kDecodeChunk];
  for (size_t i0 = 0; i0 < k; i0 += kDecodeChunk) {
    const size_t count = k - i0 < kDecodeChunk ? k - i0 : kDecodeChunk;
    q4_decode_x(x + i0, count, xp);
    size_t j = n_begin;
    for (; j + kDecodeRows <= n_end; j += kDecodeRows)
      q4_decode_tile(w, scales, k, i0, count, xp, j, kDecodeRows, i0 != 0, out + (j - n_begin));
    for (; j < n_end; ++j) q4_decode_tile(w, scales, k, i0, count, xp, j, 1, i0 != 0, out + (j - n_begin));
  }
}

void gemmac_linear_q4g32_x86_avx512(const uint8_t* w, size_t n, size_t k, const float* x, size_t m, size_t n_begin,
                                    size_t n_end, float* out, size_t out_stride) {
  /* The even tokens through the driver, an odd last one (and decode) by q4_decode. */
  const size_t tiled = m & ~(size_t)1;
  linear(0, w, n, k, x, tiled, n_begin, n_end, out, out_stride);
  if (tiled < m) q4_decode(w, quant_scales(0, w, n, k), k, x + tiled * k, n_begin, n_end, out + tiled * out_stride);
}

void gemmac_linear_q8g32_x86_avx512(const uint8_t* w, size_t n, size_t k, const float* x, size_t m, size_t n_begin,
                                    size_t n_end, float* out, size_t out_stride) {
  linear(1, w, n, k, x, m, n_begin, n_end, out, out_stride);
}
