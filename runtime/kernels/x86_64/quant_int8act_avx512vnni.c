/* q4g32 / q8g32 linear with int8 activations (kernels.h) on AVX-512 VNNI
 * (compiled with -mavx512f -mavx512bw -mavx512vl -mavx512vnni).
 *
 * vpdpbusd multiplies 4 unsigned bytes by 4 signed bytes and adds the 4
 * products to a dword lane, 64 multiply-adds per instruction. The weights are
 * the unsigned side: a q4 level l in [-8, 7] is stored as the nibble l + 8, a
 * q8 level becomes l + 128 by flipping its sign bit, so sum (l + offset) q =
 * sum l q + offset * sum q; each group's accumulator starts at
 * -offset * sum q (computed once per token when the activations are packed),
 * which leaves the exact integer dot product of the definition.
 *
 * Layout: a block of 16 groups keeps group g in dword lane g, so that a
 * group's sum never leaves its lane. A row's weight bytes of a block (q4: 16
 * a group, q8: 32) are transposed into 8 planes, plane P holding in lane g the
 * levels of inputs 4P..4P+3 of group g (q4: the low nibbles of bytes 4P.. for
 * P < 4, the high nibbles of bytes 4(P - 4).. for P >= 4); the activations are
 * quantized and packed once per call in the same planes. 8 vpdpbusd give the
 * block's 16 integer sums, which are converted to f32 and scaled as the
 * definition says, (float)isum * (scale_w * scale_x), into one f32
 * accumulator per token.
 *
 * Tiles: one row x up to 8 tokens; a pass packs up to 16 tokens, whose
 * tiles share each unpacked row (loads, a transpose, nibble masks): a batch
 * step's rows, whose packed activations stay in L1. The last block of a row
 * (groups % 16) reads its bytes and scales with masks; the packed activations
 * of the missing groups are zeros (at k = 640, 4 of the second block's 16
 * lanes work: sharing such blocks between 4 rows measured no faster end to
 * end). With more than 16 tokens, rows are visited in L2-sized chunks so that
 * the token passes after the first find the chunk's weights in cache.
 *
 * Measured on Zen 5 (one core, q4, 65536 x 640 streamed, thread CPU time):
 * 125..145 GMAC/s at 8..16 tokens against the f32 kernel's 62..81; 215..230
 * at k = 2048 in L2. That is a third of what vpdpbusd alone sustains (one
 * core: ~8 a nanosecond); neither the unpacking, the reductions nor the
 * stack layout explained the rest in experiments. */
#include <immintrin.h>

#include "kernels.h"
#include "reduce_avx512.h"

/* Each group's term is a multiplication then an addition, as defined. */
#pragma STDC FP_CONTRACT OFF

enum {
  kTokens = 16,               /* tokens per pass: packed together, sharing each unpacked row */
  kTileTokens = 8,            /* tokens per tile: its accumulators and the row's planes fill the registers */
  kBlock = 16,                /* groups per block: one dword lane each */
  kPlanes = 8,                /* 4-byte planes per group (32 inputs) */
  kChunkGroups = 64,          /* groups packed per pass (2048 inputs) */
  kL2ChunkBytes = 256 * 1024, /* weights per row chunk revisited by each token pass */
  kPrefetchBytes = 16 * 1024, /* how far ahead of the row being unpacked its weights are fetched */
};

/* A pass's activations: tokens' groups [g0, g0 + chunk) quantized, in planes. */
typedef struct packed_x {
  /* Block b of token t at planes[t][b * 512], plane P at + 64 P, group lane l at + 4 l. */
  int8_t planes[kTokens][kChunkGroups * GEMMAC_QUANT_GROUP];
  float scale[kTokens][kChunkGroups];  /* scale_x; 0 for padding */
  int32_t bias[kTokens][kChunkGroups]; /* -offset * sum q; 0 for padding */
} packed_x;

static void pack(const float* x, size_t k, size_t tokens, size_t g0, size_t chunk, int32_t offset, packed_x* p) {
  const size_t padded = (chunk + kBlock - 1) / kBlock * kBlock;
  for (size_t t = 0; t < tokens; ++t)
    for (size_t g = 0; g < padded; ++g) {
      int8_t q[GEMMAC_QUANT_GROUP];
      float scale = 0.0f;
      int32_t sum = 0;
      if (g < chunk) {
        scale = gemmac_quantize_group_int8(x + t * k + (g0 + g) * GEMMAC_QUANT_GROUP, q);
        for (size_t i = 0; i < GEMMAC_QUANT_GROUP; ++i) sum += q[i];
      } else {
        for (size_t i = 0; i < GEMMAC_QUANT_GROUP; ++i) q[i] = 0;
      }
      p->scale[t][g] = scale;
      p->bias[t][g] = -offset * sum;
      int8_t* block = p->planes[t] + g / kBlock * kBlock * GEMMAC_QUANT_GROUP + g % kBlock * 4;
      for (size_t plane = 0; plane < kPlanes; ++plane) __builtin_memcpy(block + plane * 64, q + 4 * plane, 4);
    }
}

/* The 64-byte load `v` of a block of `count` groups: whole, or its first
 * `bytes` bytes (zeros after) at the end of a row. */
static inline __m512i load_part(const uint8_t* p, size_t v, size_t count, size_t group_bytes) {
  const size_t first = v * 64, bytes = count * group_bytes;
  if (count == kBlock) return _mm512_loadu_si512(p + first);
  if (bytes <= first) return _mm512_setzero_si512();
  const size_t left = bytes - first;
  return _mm512_maskz_loadu_epi32(left >= 64 ? 0xffff : (__mmask16)((1u << left / 4) - 1), p + first);
}

/* W_P = [block P of a0, of a1, of a2, of a3] for P < 4 (a 4 x 4 transpose of 128-bit blocks). */
static inline void transpose_blocks(__m512i a0, __m512i a1, __m512i a2, __m512i a3, __m512i* w) {
  const __m512i t0 = _mm512_shuffle_i64x2(a0, a1, _MM_SHUFFLE(1, 0, 1, 0));
  const __m512i t1 = _mm512_shuffle_i64x2(a0, a1, _MM_SHUFFLE(3, 2, 3, 2));
  const __m512i t2 = _mm512_shuffle_i64x2(a2, a3, _MM_SHUFFLE(1, 0, 1, 0));
  const __m512i t3 = _mm512_shuffle_i64x2(a2, a3, _MM_SHUFFLE(3, 2, 3, 2));
  w[0] = _mm512_shuffle_i64x2(t0, t2, _MM_SHUFFLE(2, 0, 2, 0));
  w[1] = _mm512_shuffle_i64x2(t0, t2, _MM_SHUFFLE(3, 1, 3, 1));
  w[2] = _mm512_shuffle_i64x2(t1, t3, _MM_SHUFFLE(2, 0, 2, 0));
  w[3] = _mm512_shuffle_i64x2(t1, t3, _MM_SHUFFLE(3, 1, 3, 1));
}

/* The unsigned planes of one row's block of `count` groups at `p`. */
static inline __attribute__((always_inline)) void weight_planes(int q8, const uint8_t* p, size_t count,
                                                                __m512i* planes) {
  if (q8) {
    /* Load v holds groups 2v, 2v + 1 (dwords 0..7 each). First, per pair of
     * loads (groups 4h..4h+3): lane 4 P + g' = dword P of group 4h + g'
     * (P < 4 in lo, P - 4 in hi); then a block transpose across the pairs. */
    const __m512i idx_lo = _mm512_setr_epi32(0, 8, 16, 24, 1, 9, 17, 25, 2, 10, 18, 26, 3, 11, 19, 27);
    const __m512i idx_hi = _mm512_add_epi32(idx_lo, _mm512_set1_epi32(4));
    __m512i lo[4], hi[4];
#pragma clang loop unroll(full)
    for (size_t h = 0; h < 4; ++h) {
      const __m512i a = load_part(p, 2 * h, count, 32), b = load_part(p, 2 * h + 1, count, 32);
      lo[h] = _mm512_permutex2var_epi32(a, idx_lo, b);
      hi[h] = _mm512_permutex2var_epi32(a, idx_hi, b);
    }
    transpose_blocks(lo[0], lo[1], lo[2], lo[3], planes);
    transpose_blocks(hi[0], hi[1], hi[2], hi[3], planes + 4);
    const __m512i sign = _mm512_set1_epi8((char)0x80);
#pragma clang loop unroll(full)
    for (size_t plane = 0; plane < kPlanes; ++plane) planes[plane] = _mm512_xor_si512(planes[plane], sign);
  } else {
    /* Load v holds groups 4v..4v+3 (dwords 0..3 each). First, per pair of
     * loads (groups 0..7, 8..15): lanes 0..7 = dword 0 (lo) or 2 (hi) of the
     * 8 groups, lanes 8..15 = dword 1 (lo) or 3 (hi); then their halves. */
    const __m512i idx_lo = _mm512_setr_epi32(0, 4, 8, 12, 16, 20, 24, 28, 1, 5, 9, 13, 17, 21, 25, 29);
    const __m512i idx_hi = _mm512_add_epi32(idx_lo, _mm512_set1_epi32(2));
    const __m512i l0 = load_part(p, 0, count, 16), l1 = load_part(p, 1, count, 16);
    const __m512i l2 = load_part(p, 2, count, 16), l3 = load_part(p, 3, count, 16);
    const __m512i a_lo = _mm512_permutex2var_epi32(l0, idx_lo, l1), a_hi = _mm512_permutex2var_epi32(l0, idx_hi, l1);
    const __m512i b_lo = _mm512_permutex2var_epi32(l2, idx_lo, l3), b_hi = _mm512_permutex2var_epi32(l2, idx_hi, l3);
    const __m512i bytes[4] = {
        _mm512_shuffle_i64x2(a_lo, b_lo, _MM_SHUFFLE(1, 0, 1, 0)), _mm512_shuffle_i64x2(a_lo, b_lo, _MM_SHUFFLE(3, 2, 3, 2)),
        _mm512_shuffle_i64x2(a_hi, b_hi, _MM_SHUFFLE(1, 0, 1, 0)), _mm512_shuffle_i64x2(a_hi, b_hi, _MM_SHUFFLE(3, 2, 3, 2))};
    const __m512i nibble = _mm512_set1_epi8(0x0f);
#pragma clang loop unroll(full)
    for (size_t d = 0; d < 4; ++d) {
      planes[d] = _mm512_and_si512(bytes[d], nibble);
      planes[4 + d] = _mm512_and_si512(_mm512_srli_epi32(bytes[d], 4), nibble);
    }
  }
}

/* One row's groups [g0, g0 + chunk) unpacked: its planes and scales per block. */
typedef struct row_planes {
  __m512i planes[kChunkGroups / kBlock][kPlanes];
  __m512 scale_w[kChunkGroups / kBlock];
} row_planes;

static inline __attribute__((always_inline)) void unpack_row(int q8, const uint8_t* w, const uint16_t* scales,
                                                             size_t groups, size_t j, size_t g0, size_t chunk,
                                                             row_planes* out) {
  const size_t group_bytes = q8 ? GEMMAC_QUANT_GROUP : GEMMAC_QUANT_GROUP / 2;
  const uint8_t* row = w + (j * groups + g0) * group_bytes;
  const uint16_t* row_scales = scales + j * groups + g0;
  /* The hardware prefetchers alone left a decode of streamed weights at half
   * the f32 kernel's bandwidth. */
  for (size_t line = 0; line < chunk * group_bytes; line += 64)
    _mm_prefetch((const char*)row + kPrefetchBytes + line, _MM_HINT_T0);
  _mm_prefetch((const char*)(row_scales + kPrefetchBytes / group_bytes), _MM_HINT_T0);
  for (size_t b = 0; b * kBlock < chunk; ++b) {
    const size_t count = chunk - b * kBlock < kBlock ? chunk - b * kBlock : kBlock;
    weight_planes(q8, row + b * kBlock * group_bytes, count, out->planes[b]);
    const __m256i half = count == kBlock
                             ? _mm256_loadu_si256((const __m256i*)(row_scales + b * kBlock))
                             : _mm256_maskz_loadu_epi16((__mmask16)((1u << count) - 1), row_scales + b * kBlock);
    out->scale_w[b] = _mm512_cvtph_ps(half);
  }
}

/* out[t * out_stride] (+)= the products of an unpacked row with the packed
 * tokens first <= t < first + tokens over `chunk` groups; `accumulate` adds
 * to out instead of storing. */
static inline __attribute__((always_inline)) void row_tile(const row_planes* row, size_t chunk, const packed_x* p,
                                                           size_t first, size_t tokens, int accumulate, float* out,
                                                           size_t out_stride) {
  __m512 acc[kTileTokens];
#pragma clang loop unroll(full)
  for (size_t t = 0; t < tokens; ++t) acc[t] = _mm512_setzero_ps();
  for (size_t b = 0; b * kBlock < chunk; ++b) {
    __m512i planes[kPlanes];
#pragma clang loop unroll(full)
    for (size_t plane = 0; plane < kPlanes; ++plane) planes[plane] = row->planes[b][plane];
#pragma clang loop unroll(full)
    for (size_t t = 0; t < tokens; ++t) {
      const int8_t* xb = p->planes[first + t] + b * kBlock * GEMMAC_QUANT_GROUP;
      __m512i isum = _mm512_loadu_si512(p->bias[first + t] + b * kBlock);
#pragma clang loop unroll(full)
      for (size_t plane = 0; plane < kPlanes; ++plane)
        isum = _mm512_dpbusd_epi32(isum, planes[plane], _mm512_loadu_si512(xb + plane * 64));
      const __m512 scale = _mm512_mul_ps(row->scale_w[b], _mm512_loadu_ps(p->scale[first + t] + b * kBlock));
      acc[t] = _mm512_add_ps(acc[t], _mm512_mul_ps(_mm512_cvtepi32_ps(isum), scale));
    }
  }
  float sums[kTileTokens];
  reduce_alike(acc, tokens, sums); /* a token's sum never depends on its tile */
  float* o = out + first * out_stride;
#pragma clang loop unroll(full)
  for (size_t t = 0; t < tokens; ++t) o[t * out_stride] = accumulate ? o[t * out_stride] + sums[t] : sums[t];
}

/* Rows [j_begin, j_end) of one pass: out points at row j_begin of its first
 * token. Software-pipelined: the next row is unpacked before this one's
 * tokens run, so that its loads and shuffles overlap them (unpacking right
 * before use left the integer units waiting on every block). */
static inline __attribute__((always_inline)) void pass_rows(int q8, const uint8_t* w, const uint16_t* scales,
                                                            size_t groups, size_t j_begin, size_t j_end, size_t g0,
                                                            size_t chunk, const packed_x* p, size_t tokens,
                                                            int accumulate, float* out, size_t out_stride) {
  row_planes rows[2];
  unpack_row(q8, w, scales, groups, j_begin, g0, chunk, &rows[0]);
  /* Token counts are constants in each case, so that the tiles' accumulators
   * live in registers and a row's unpacking and tiles are one basic block,
   * which the compiler interleaves (a switch per row measured 2x slower). */
  switch (tokens) {
#define GEMMAC_PASS_TOKENS(T)                                                                                      \
  case T:                                                                                                          \
    for (size_t j = j_begin; j < j_end; ++j) {                                                                     \
      if (j + 1 < j_end) unpack_row(q8, w, scales, groups, j + 1, g0, chunk, &rows[(j + 1 - j_begin) % 2]);        \
      const row_planes* row = &rows[(j - j_begin) % 2];                                                            \
      row_tile(row, chunk, p, 0, T < kTileTokens ? T : kTileTokens, accumulate, out + (j - j_begin), out_stride);  \
      if (T > kTileTokens)                                                                                         \
        row_tile(row, chunk, p, kTileTokens, T > kTileTokens ? T - kTileTokens : 1, accumulate, out + (j - j_begin), \
                 out_stride);                                                                                      \
    }                                                                                                              \
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
  const size_t chunk_rows = m <= kTokens ? n_end - n_begin : kL2ChunkBytes / (groups * (group_bytes + 2)) + 1;
  packed_x p;
  for (size_t j = n_begin; j < n_end; j += chunk_rows) {
    const size_t j_end = n_end - j < chunk_rows ? n_end : j + chunk_rows;
    for (size_t t = 0; t < m; t += kTokens) {
      const size_t tokens = m - t < kTokens ? m - t : kTokens;
      for (size_t g0 = 0; g0 < groups; g0 += kChunkGroups) {
        const size_t chunk = groups - g0 < kChunkGroups ? groups - g0 : kChunkGroups;
        pack(x + t * k, k, tokens, g0, chunk, q8 ? 128 : 8, &p);
        pass_rows(q8, w, scales, groups, j, j_end, g0, chunk, &p, tokens, g0 != 0,
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
