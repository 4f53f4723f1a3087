/* q4g32 / q8g32 linear with int8 activations (kernels.h) on AVX-512 VNNI
 * (compiled with -mavx512f -mavx512bw -mavx512vl -mavx512vnni).
 *
 * vpdpbusd multiplies 4 unsigned bytes by 4 signed bytes and adds the 4
 * products to a dword lane, 64 multiply-adds per instruction. The weights are
 * the unsigned side: a q4 level l in [-8, 7] is stored as the nibble l + 8, a
 * q8 level becomes l + 128 by flipping its sign bit, so sum (l + offset) q =
 * sum l q + offset * sum q; each group's integer sum starts at -offset * sum q
 * (computed once per token when the activations are quantized), which leaves
 * the exact integer dot product of the definition.
 *
 * Tiles: 16 rows, one per dword lane, by the tokens of a pass (up to 16).
 * For each group, the 16 rows' weight bytes are loaded and transposed so that
 * a register holds 4 levels of every row (q4: 8 such planes, the low nibbles
 * of dword d for inputs 4d.., the high ones for 16 + 4d..; q8: dword d for
 * inputs 4d..), and each token's 4 int8 inputs are broadcast against them:
 * 8 vpdpbusd give a group's 16 integer sums, which are converted and scaled,
 * (float)isum * (scale_w * scale_x), and added to the token's accumulator in
 * group order, exactly as the generic variant sums: every variant gives the
 * same bits. No lane idles at any k (a row's groups need not fill a
 * register) and no sum crosses lanes. A tile's transposes are shared by the
 * pass's tokens; with more than 16 tokens, rows are visited in L2-sized
 * chunks so that the passes after the first find them in cache.
 *
 * Measured on Zen 5 (one core, thread CPU time, weights streamed from
 * memory): 16 tokens by 65536 x 640, q4 257 GMAC/s and q8 174 (the earlier
 * layout, a row's groups in the lanes, 136 and 125: at k = 640 its second
 * register of groups was three quarters empty, and every row ended in a
 * horizontal sum); one token, the same as that layout (q8 26, bandwidth). */
#include <immintrin.h>

#include "kernels.h"

/* Each group's term is a multiplication then an addition, as defined. */
#pragma STDC FP_CONTRACT OFF

enum {
  kTokens = 16,               /* tokens per pass: packed together, sharing each transposed tile */
  kRows = 16,                 /* rows per tile: one dword lane each */
  kChunkGroups = 64,          /* groups packed per pass (2048 inputs) */
  kL2ChunkBytes = 256 * 1024, /* weights per row chunk revisited by each token pass */
  kPrefetchTiles = 1,         /* how many tiles ahead of the one running its weights are fetched */
};

/* A pass's activations: tokens' groups [g0, g0 + chunk) quantized. */
typedef struct packed_x {
  int8_t q[kTokens][kChunkGroups * GEMMAC_QUANT_GROUP];
  float scale[kTokens][kChunkGroups]; /* scale_x */
  int32_t bias[kTokens][kChunkGroups]; /* -offset * sum q */
} packed_x;

static void pack(const float* x, size_t k, size_t tokens, size_t g0, size_t chunk, int32_t offset, packed_x* p) {
  for (size_t t = 0; t < tokens; ++t)
    for (size_t g = 0; g < chunk; ++g) {
      int8_t* q = p->q[t] + g * GEMMAC_QUANT_GROUP;
      p->scale[t][g] = gemmac_quantize_group_int8(x + t * k + (g0 + g) * GEMMAC_QUANT_GROUP, q);
      const __m256i bytes = _mm256_loadu_si256((const __m256i*)q); /* the sum was a scalar loop otherwise */
      const int32_t sum = _mm512_reduce_add_epi32(_mm512_add_epi32(
          _mm512_cvtepi8_epi32(_mm256_castsi256_si128(bytes)), _mm512_cvtepi8_epi32(_mm256_extracti128_si256(bytes, 1))));
      p->bias[t][g] = -offset * sum;
    }
}

/* The 16 bytes at `offset` of rows r, r + 4, r + 8, r + 12 of `row`, in
 * that order of 128-bit lanes; of their first `bytes` only (zeros after: no
 * read past them) when `bytes` < 16. */
static inline __m512i load_quarter(const uint8_t* const* row, size_t r, size_t offset, size_t bytes) {
  const __mmask16 mask = bytes >= 16 ? 0xffff : (__mmask16)((1u << bytes) - 1);
  __m512i v = _mm512_castsi128_si512(_mm_maskz_loadu_epi8(mask, row[r] + offset));
  v = _mm512_inserti32x4(v, _mm_maskz_loadu_epi8(mask, row[r + 4] + offset), 1);
  v = _mm512_inserti32x4(v, _mm_maskz_loadu_epi8(mask, row[r + 8] + offset), 2);
  return _mm512_inserti32x4(v, _mm_maskz_loadu_epi8(mask, row[r + 12] + offset), 3);
}

/* d[i] = dword i (of 4) of 16 bytes at `offset` of each row's group, in lane r for row r. */
static inline void transpose16x4(const uint8_t* const* row, size_t offset, __m512i* d) {
  const __m512i a0 = load_quarter(row, 0, offset, 16), a1 = load_quarter(row, 1, offset, 16);
  const __m512i a2 = load_quarter(row, 2, offset, 16), a3 = load_quarter(row, 3, offset, 16);
  const __m512i t0 = _mm512_unpacklo_epi32(a0, a1), t1 = _mm512_unpackhi_epi32(a0, a1);
  const __m512i t2 = _mm512_unpacklo_epi32(a2, a3), t3 = _mm512_unpackhi_epi32(a2, a3);
  d[0] = _mm512_unpacklo_epi64(t0, t2);
  d[1] = _mm512_unpackhi_epi64(t0, t2);
  d[2] = _mm512_unpacklo_epi64(t1, t3);
  d[3] = _mm512_unpackhi_epi64(t1, t3);
}

/* scale_w[g][r] = the f32 scale of group g (of `chunk`) of row r, from the
 * rows' f16 scales at `row` (gathers measured 2x slower at one token). */
static inline void tile_scales(const uint8_t* const* row, size_t chunk, float (*scale_w)[kRows]) {
  for (size_t g = 0; g < chunk; g += 8) {
    /* Lane L of a_i: the scales of groups g..g + 7 of row i + 4 L. */
    const size_t bytes = 2 * (chunk - g);
    const __m512i a0 = load_quarter(row, 0, 2 * g, bytes), a1 = load_quarter(row, 1, 2 * g, bytes);
    const __m512i a2 = load_quarter(row, 2, 2 * g, bytes), a3 = load_quarter(row, 3, 2 * g, bytes);
    /* Lane L of s_h: groups g + 2 h (low qword) and g + 2 h + 1 (high) of rows 4 L..4 L + 3. */
    const __m512i t0 = _mm512_unpacklo_epi16(a0, a1), t1 = _mm512_unpackhi_epi16(a0, a1);
    const __m512i t2 = _mm512_unpacklo_epi16(a2, a3), t3 = _mm512_unpackhi_epi16(a2, a3);
    const __m512i s[4] = {_mm512_unpacklo_epi32(t0, t2), _mm512_unpackhi_epi32(t0, t2), _mm512_unpacklo_epi32(t1, t3),
                          _mm512_unpackhi_epi32(t1, t3)};
    const __m512i low = _mm512_setr_epi64(0, 2, 4, 6, 0, 0, 0, 0), high = _mm512_setr_epi64(1, 3, 5, 7, 0, 0, 0, 0);
    for (size_t h = 0; h < 4 && g + 2 * h < chunk; ++h) {
      _mm512_storeu_ps(scale_w[g + 2 * h], _mm512_cvtph_ps(_mm512_castsi512_si256(_mm512_permutexvar_epi64(low, s[h]))));
      if (g + 2 * h + 1 < chunk)
        _mm512_storeu_ps(scale_w[g + 2 * h + 1],
                         _mm512_cvtph_ps(_mm512_castsi512_si256(_mm512_permutexvar_epi64(high, s[h]))));
    }
  }
}

/* The unsigned planes of group g of the tile's rows: planes[P] holds in lane
 * r the levels of inputs inputs[P].. of row r. */
static inline __attribute__((always_inline)) void tile_planes(int q8, const uint8_t* const* row, size_t g,
                                                              __m512i* planes) {
  if (q8) {
    const size_t at = g * GEMMAC_QUANT_GROUP;
    transpose16x4(row, at, planes);
    transpose16x4(row, at + 16, planes + 4);
    const __m512i sign = _mm512_set1_epi8((char)0x80);
#pragma clang loop unroll(full)
    for (size_t p = 0; p < 8; ++p) planes[p] = _mm512_xor_si512(planes[p], sign);
  } else {
    __m512i d[4];
    transpose16x4(row, g * GEMMAC_QUANT_GROUP / 2, d);
    const __m512i nibble = _mm512_set1_epi8(0x0f);
#pragma clang loop unroll(full)
    for (size_t i = 0; i < 4; ++i) {
      planes[i] = _mm512_and_si512(d[i], nibble);
      planes[4 + i] = _mm512_and_si512(_mm512_srli_epi32(d[i], 4), nibble);
    }
  }
}

/* Rows [j0, j0 + rows) (rows <= kRows) by the pass's `tokens` tokens over
 * groups [g0, g0 + chunk): out[t * out_stride + r] for row j0 + r; with
 * `accumulate`, the sums continue those already in out. */
static inline __attribute__((always_inline)) void tile(int q8, const uint8_t* w, const uint16_t* scales,
                                                       size_t n, size_t groups, size_t j0, size_t rows, size_t g0,
                                                       size_t chunk, const packed_x* p, size_t tokens, int accumulate,
                                                       float* out, size_t out_stride) {
  const size_t group_bytes = q8 ? GEMMAC_QUANT_GROUP : GEMMAC_QUANT_GROUP / 2;
  /* Missing rows of a last tile repeat its last row; their lanes are not stored. */
  const uint8_t* row[kRows];
  const uint8_t* row_scales[kRows];
  for (size_t r = 0; r < kRows; ++r) {
    const size_t j = j0 + (r < rows ? r : rows - 1);
    row[r] = w + (j * groups + g0) * group_bytes;
    row_scales[r] = (const uint8_t*)(scales + j * groups + g0);
  }
  float scale_w[kChunkGroups][kRows];
  tile_scales(row_scales, chunk, scale_w);
  /* A later tile's weights (rows clamped to the matrix) are fetched a few
   * lines a group, spread over this tile's groups: the hardware prefetchers
   * alone left streamed weights at a fraction of the bandwidth. */
  const size_t ahead = j0 + kPrefetchTiles * kRows, row_lines = (chunk * group_bytes + 63) / 64;
  const size_t per_group = (kRows * row_lines + chunk - 1) / chunk;
  size_t fetch_row = 0, fetch_line = 0;
  const __mmask16 lanes = (__mmask16)((1u << rows) - 1);
  __m512 acc[kTokens];
#pragma clang loop unroll(full)
  for (size_t t = 0; t < tokens; ++t)
    acc[t] = accumulate ? _mm512_maskz_loadu_ps(lanes, out + t * out_stride) : _mm512_setzero_ps();
  for (size_t g = 0; g < chunk; ++g) {
    for (size_t i = 0; i < per_group && fetch_row < kRows; ++i) {
      const size_t j = ahead + fetch_row < n ? ahead + fetch_row : n - 1;
      _mm_prefetch((const char*)(w + (j * groups + g0) * group_bytes) + 64 * fetch_line, _MM_HINT_T0);
      if (fetch_line == 0) _mm_prefetch((const char*)(scales + j * groups + g0), _MM_HINT_T0);
      if (++fetch_line == row_lines) fetch_line = 0, ++fetch_row;
    }
    __m512i planes[8];
    tile_planes(q8, row, g, planes);
    const __m512 row_scale = _mm512_loadu_ps(scale_w[g]);
#pragma clang loop unroll(full)
    for (size_t t = 0; t < tokens; ++t) {
      const int32_t* q = (const int32_t*)(p->q[t] + g * GEMMAC_QUANT_GROUP);
      __m512i isum = _mm512_set1_epi32(p->bias[t][g]);
      /* q4 planes 0..3 are inputs 4 P.., 4..7 are 16 + 4 (P - 4)..; q8 planes P are 4 P.. in both halves. */
#pragma clang loop unroll(full)
      for (size_t plane = 0; plane < 8; ++plane) isum = _mm512_dpbusd_epi32(isum, planes[plane], _mm512_set1_epi32(q[plane]));
      const __m512 scale = _mm512_mul_ps(row_scale, _mm512_set1_ps(p->scale[t][g]));
      acc[t] = _mm512_add_ps(acc[t], _mm512_mul_ps(_mm512_cvtepi32_ps(isum), scale));
    }
  }
#pragma clang loop unroll(full)
  for (size_t t = 0; t < tokens; ++t) _mm512_mask_storeu_ps(out + t * out_stride, lanes, acc[t]);
}

/* Rows [j_begin, j_end) by one pass's tokens: out points at row j_begin of its first token. */
static inline __attribute__((always_inline)) void pass_rows(int q8, const uint8_t* w, const uint16_t* scales,
                                                            size_t n, size_t groups, size_t j_begin, size_t j_end, size_t g0,
                                                            size_t chunk, const packed_x* p, size_t tokens,
                                                            int accumulate, float* out, size_t out_stride) {
  /* Token counts are constants in each case, so that the accumulators live in registers. */
  switch (tokens) {
#define GEMMAC_PASS_TOKENS(T)                                                                               \
  case T:                                                                                                   \
    for (size_t j0 = j_begin; j0 < j_end; j0 += kRows)                                                      \
      tile(q8, w, scales, n, groups, j0, j_end - j0 < kRows ? j_end - j0 : kRows, g0, chunk, p, T, accumulate, \
           out + (j0 - j_begin), out_stride);                                                               \
    break;
    GEMMAC_PASS_TOKENS(1) GEMMAC_PASS_TOKENS(2) GEMMAC_PASS_TOKENS(3) GEMMAC_PASS_TOKENS(4)
    GEMMAC_PASS_TOKENS(5) GEMMAC_PASS_TOKENS(6) GEMMAC_PASS_TOKENS(7) GEMMAC_PASS_TOKENS(8)
    GEMMAC_PASS_TOKENS(9) GEMMAC_PASS_TOKENS(10) GEMMAC_PASS_TOKENS(11) GEMMAC_PASS_TOKENS(12)
    GEMMAC_PASS_TOKENS(13) GEMMAC_PASS_TOKENS(14) GEMMAC_PASS_TOKENS(15) GEMMAC_PASS_TOKENS(16)
#undef GEMMAC_PASS_TOKENS
  }
}

static inline __attribute__((always_inline)) void linear(int q8, const uint8_t* w, size_t n, size_t k, const float* x,
                                                         size_t m, size_t n_begin, size_t n_end, float* out,
                                                         size_t out_stride) {
  const size_t groups = k / GEMMAC_QUANT_GROUP;
  const size_t group_bytes = q8 ? GEMMAC_QUANT_GROUP : GEMMAC_QUANT_GROUP / 2;
  const uint16_t* scales = (const uint16_t*)(w + n * groups * group_bytes);
  /* One pass over the tokens visits all rows at once; several, rows in L2 chunks. */
  const size_t chunk_rows =
      m <= kTokens ? n_end - n_begin : (kL2ChunkBytes / (groups * (group_bytes + 2)) / kRows + 1) * kRows;
  packed_x p;
  for (size_t j = n_begin; j < n_end; j += chunk_rows) {
    const size_t j_end = n_end - j < chunk_rows ? n_end : j + chunk_rows;
    for (size_t t = 0; t < m; t += kTokens) {
      const size_t tokens = m - t < kTokens ? m - t : kTokens;
      for (size_t g0 = 0; g0 < groups; g0 += kChunkGroups) {
        const size_t chunk = groups - g0 < kChunkGroups ? groups - g0 : kChunkGroups;
        pack(x + t * k, k, tokens, g0, chunk, q8 ? 128 : 8, &p);
        pass_rows(q8, w, scales, n, groups, j, j_end, g0, chunk, &p, tokens, g0 != 0,
                  out + t * out_stride + (j - n_begin), out_stride);
      }
    }
  }
}

void gemmac_linear_q4g32_int8act_x86_avx512vnni(const uint8_t* w, size_t n, size_t k, const float* x, size_t m,
                                                size_t n_begin, size_t n_end, float* out, size_t out_stride) {
  linear(0, w, n, k, x, m, n_begin, n_end, out, out_stride);
}

void gemmac_linear_q8g32_int8act_x86_avx512vnni(const uint8_t* w, size_t n, size_t k, const float* x, size_t m,
                                                size_t n_begin, size_t n_end, float* out, size_t out_stride) {
  linear(1, w, n, k, x, m, n_begin, n_end, out, out_stride);
}
