/* q4g32 / q8g32 linear with int8 activations (kernels.h) on AVX-512 VNNI
 * (compiled with -mavx512f -mavx512bw -mavx512vl -mavx512vnni), reading the
 * weights in int8 tiles (kernels.h).
 *
 * vpdpbusd multiplies 4 unsigned bytes by 4 signed bytes and adds the 4
 * products to a dword lane, 64 multiply-adds per instruction. The weights are
 * the unsigned side: a q4 level l in [-8, 7] is stored as the nibble l + 8, a
 * q8 level in the tiles as l + 128, so sum (l + offset) q = sum l q + offset *
 * sum q; each group's integer sum starts at -offset * sum q (computed once per
 * token when the activations are quantized), which leaves the exact integer
 * dot product of the definition.
 *
 * Tiles: 16 rows, one per dword lane, by the tokens of a pass (up to 16).
 * For each group, the tile's planes load as they are (q4: the low nibbles of
 * plane P are inputs 4 P.., its high ones 16 + 4 P..), and each token's 4 int8
 * inputs are broadcast against them: 8 vpdpbusd give a group's 16 integer
 * sums, which are converted and scaled, (float)isum * (scale_w * scale_x), and
 * added to the token's accumulator in group order, exactly as the generic
 * variant sums: every variant gives the same bits. No lane idles at any k and
 * no sum crosses lanes. With more than 16 tokens, rows are visited in L2-sized
 * chunks so that the passes after the first find them in cache.
 *
 * Measured on Zen 5 (one core, thread CPU time): 16 tokens by 4096 x 640 q4
 * in cache, 343 GMAC/s where the same tiles transposed from the row-major
 * format at each group ran 276 (the transposes were a fifth of the work). */
#include <immintrin.h>

#include "kernels.h"

/* Each group's term is a multiplication then an addition, as defined. */
#pragma STDC FP_CONTRACT OFF

enum {
  kTokens = 16,               /* tokens per pass: quantized together, sharing each group's planes */
  kRows = 16,                 /* rows per tile: one dword lane each */
  kChunkGroups = 64,          /* groups packed per pass (2048 inputs) */
  kL2ChunkBytes = 256 * 1024, /* weights per row chunk revisited by each token pass */
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

/* Rows 16 T .. 16 T + 15 of tile `tile` by the pass's `tokens` tokens over
 * groups [g0, g0 + chunk): out[t * out_stride + r] for row 16 T + r; with
 * `accumulate`, the sums continue those already in out. `next` is the tile
 * after it, whose weights are fetched meanwhile. */
static inline __attribute__((always_inline)) void run_tile(int q8, const uint8_t* tile, const uint8_t* next,
                                                           size_t groups, size_t g0, size_t chunk, const packed_x* p,
                                                           size_t tokens, int accumulate, float* out,
                                                           size_t out_stride) {
  const size_t plane_bytes = 16 * (q8 ? GEMMAC_QUANT_GROUP : GEMMAC_QUANT_GROUP / 2);
  const uint16_t* scales = (const uint16_t*)(tile + groups * plane_bytes) + 16 * g0;
  const uint16_t* next_scales = (const uint16_t*)(next + groups * plane_bytes) + 16 * g0;
  tile += g0 * plane_bytes;
  next += g0 * plane_bytes;
  __m512 acc[kTokens];
#pragma clang loop unroll(full)
  for (size_t t = 0; t < tokens; ++t) acc[t] = accumulate ? _mm512_loadu_ps(out + t * out_stride) : _mm512_setzero_ps();
  for (size_t g = 0; g < chunk; ++g) {
    /* The hardware prefetchers alone left streamed weights at a fraction of the bandwidth. */
#pragma clang loop unroll(full)
    for (size_t line = 0; line < plane_bytes; line += 64)
      _mm_prefetch((const char*)(next + g * plane_bytes + line), _MM_HINT_T0);
    if (g % 2 == 0) _mm_prefetch((const char*)(next_scales + 16 * g), _MM_HINT_T0);
    __m512i planes[8];
    const uint8_t* levels = tile + g * plane_bytes;
    if (q8) {
#pragma clang loop unroll(full)
      for (size_t plane = 0; plane < 8; ++plane) planes[plane] = _mm512_loadu_si512(levels + 64 * plane);
    } else {
      const __m512i nibble = _mm512_set1_epi8(0x0f);
#pragma clang loop unroll(full)
      for (size_t plane = 0; plane < 4; ++plane) {
        const __m512i d = _mm512_loadu_si512(levels + 64 * plane);
        planes[plane] = _mm512_and_si512(d, nibble);
        planes[4 + plane] = _mm512_and_si512(_mm512_srli_epi32(d, 4), nibble);
      }
    }
    const __m512 row_scale = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i*)(scales + 16 * g)));
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
  for (size_t t = 0; t < tokens; ++t) _mm512_storeu_ps(out + t * out_stride, acc[t]);
}

/* Rows [j_begin, j_end) by one pass's tokens: out points at row n_begin of its
 * first token. A tile only partly in the range runs into a scratch tile. */
static inline __attribute__((always_inline)) void pass_tiles(int q8, const uint8_t* w, size_t n, size_t groups,
                                                             size_t j_begin, size_t j_end, size_t n_begin, size_t g0,
                                                             size_t chunk, const packed_x* p, size_t tokens,
                                                             int accumulate, float* out, size_t out_stride) {
  const size_t tile_bytes = gemmac_int8_tile_bytes(q8, groups * GEMMAC_QUANT_GROUP), last = (n - 1) / kRows;
  for (size_t j0 = j_begin / kRows * kRows; j0 < j_end; j0 += kRows) {
    const uint8_t* here = w + j0 / kRows * tile_bytes;
    const uint8_t* next = w + (j0 / kRows < last ? j0 / kRows + 1 : last) * tile_bytes;
    if (j0 >= j_begin && j0 + kRows <= j_end) {
      run_tile(q8, here, next, groups, g0, chunk, p, tokens, accumulate, out + (j0 - n_begin), out_stride);
      continue;
    }
    const size_t r_begin = j0 < j_begin ? j_begin - j0 : 0, r_end = j_end - j0 < kRows ? j_end - j0 : kRows;
    float scratch[kTokens][kRows];
    for (size_t t = 0; t < tokens; ++t)
      for (size_t r = r_begin; r < r_end; ++r)
        scratch[t][r] = accumulate ? out[t * out_stride + (j0 + r - n_begin)] : 0.0f;
    run_tile(q8, here, next, groups, g0, chunk, p, tokens, accumulate, &scratch[0][0], kRows);
    for (size_t t = 0; t < tokens; ++t)
      for (size_t r = r_begin; r < r_end; ++r) out[t * out_stride + (j0 + r - n_begin)] = scratch[t][r];
  }
}

/* The same with the token count a constant in each case, so that the accumulators live in registers. */
static inline __attribute__((always_inline)) void pass_rows(int q8, const uint8_t* w, size_t n, size_t groups,
                                                            size_t j_begin, size_t j_end, size_t n_begin, size_t g0,
                                                            size_t chunk, const packed_x* p, size_t tokens,
                                                            int accumulate, float* out, size_t out_stride) {
  switch (tokens) {
#define GEMMAC_PASS_TOKENS(T)                                                                                  \
  case T:                                                                                                      \
    pass_tiles(q8, w, n, groups, j_begin, j_end, n_begin, g0, chunk, p, T, accumulate, out, out_stride);     \
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
  /* One pass over the tokens visits all rows at once; several, rows in L2 chunks. */
  const size_t chunk_rows = m <= kTokens ? n + kRows : (kL2ChunkBytes / gemmac_int8_tile_bytes(q8, k) + 1) * kRows;
  packed_x p;
  for (size_t j = n_begin, j_end; j < n_end; j = j_end) {
    const size_t chunk_end = j / kRows * kRows + chunk_rows; /* chunks end on tile boundaries */
    j_end = chunk_end < n_end ? chunk_end : n_end;
    for (size_t t = 0; t < m; t += kTokens) {
      const size_t tokens = m - t < kTokens ? m - t : kTokens;
      for (size_t g0 = 0; g0 < groups; g0 += kChunkGroups) {
        const size_t chunk = groups - g0 < kChunkGroups ? groups - g0 : kChunkGroups;
        pack(x + t * k, k, tokens, g0, chunk, q8 ? 128 : 8, &p);
        pass_rows(q8, w, n, groups, j, j_end, n_begin, g0, chunk, &p, tokens, g0 != 0, out + t * out_stride,
                  out_stride);
      }
    }
  }
}

void gemmac_linear_q4g32_int8tiles_x86_avx512vnni(const uint8_t* w, size_t n, size_t k, const float* x, size_t m,
                                                  size_t n_begin, size_t n_end, float* out, size_t out_stride) {
  linear(0, w, n, k, x, m, n_begin, n_end, out, out_stride);
}

void gemmac_linear_q8g32_int8tiles_x86_avx512vnni(const uint8_t* w, size_t n, size_t k, const float* x, size_t m,
                                                  size_t n_begin, size_t n_end, float* out, size_t out_stride) {
  linear(1, w, n, k, x, m, n_begin, n_end, out, out_stride);
}
