/* The vector quantized products' driver, shared by x86_64/quant_avx2.c,
 * x86_64/quant_avx512.c and arm64/quant_neon.c (each built with its own ISA
 * flags). A file defines kTileRows, kTileTokens (4 or 6), kDecodeRows and
 * kL2ChunkBytes, includes this, then defines linear_tile (declared below).
 * linear() runs the even number of leading tokens in token tiles of
 * kTileTokens, then 4 or 2, visiting the rows in chunks sized for L2 so that
 * the token tiles after the first find the chunk's weights in cache; an odd
 * last token, and the single token of decode (m == 1), run in tiles of
 * kDecodeRows rows that prefetch their weights. */
#ifndef GEMMAC_KERNELS_QUANT_LINEAR_H_
#define GEMMAC_KERNELS_QUANT_LINEAR_H_

/* The file's tile: out[t * out_stride + r] = sum_i x[t * k + i] * W[j + r, i]
 * for r < rows, t < tokens; `q8` selects the weight format. q8, rows, tokens
 * and prefetch (decode: fetch weights ahead of the loads) are constants at
 * every call, so the tile's loops unroll and its accumulators live in registers. */
static inline __attribute__((always_inline)) void linear_tile(int q8, const uint8_t* w, const uint16_t* scales,
                                                              size_t k, const float* x, size_t j, size_t rows,
                                                              size_t tokens, int prefetch, float* out,
                                                              size_t out_stride);

/* A tile's results, sums[r * tokens + t], to out[t * out_stride + r]. */
static inline __attribute__((always_inline)) void store_tile(const float* sums, size_t rows, size_t tokens,
                                                             float* out, size_t out_stride) {
#pragma clang loop unroll(full)
  for (size_t r = 0; r < rows; ++r)
#pragma clang loop unroll(full)
    for (size_t t = 0; t < tokens; ++t) out[t * out_stride + r] = sums[r * tokens + t];
}

/* Rows [j_begin, j_end) for `tokens` tokens, in tiles of `rows` and a 1-row tail. */
static inline __attribute__((always_inline)) void linear_rows(int q8, const uint8_t* w, const uint16_t* scales,
                                                              size_t k, const float* x, size_t j_begin, size_t j_end,
                                                              size_t rows, size_t tokens, int prefetch, float* out,
                                                              size_t out_stride) {
  size_t j = j_begin;
  for (; j + rows <= j_end; j += rows)
    linear_tile(q8, w, scales, k, x, j, rows, tokens, prefetch, out + (j - j_begin), out_stride);
  for (; j < j_end; ++j) linear_tile(q8, w, scales, k, x, j, 1, tokens, prefetch, out + (j - j_begin), out_stride);
}

/* The even number `tiled` of tokens of x, row chunk by row chunk. */
static inline __attribute__((always_inline)) void prefill(int q8, const uint8_t* w, const uint16_t* scales, size_t k,
                                                          const float* x, size_t tiled, size_t n_begin, size_t n_end,
                                                          float* out, size_t out_stride) {
  const size_t row_bytes = q8 ? k + k / 16 : k / 2 + k / 16;
  const size_t chunk = (kL2ChunkBytes / row_bytes / kTileRows + 1) * kTileRows;
  for (size_t j = n_begin; j < n_end && tiled > 0; j += chunk) {
    const size_t j_end = n_end - j < chunk ? n_end : j + chunk;
    float* o = out + (j - n_begin);
    size_t t = 0;
    for (; t + kTileTokens <= tiled; t += kTileTokens)
      linear_rows(q8, w, scales, k, x + t * k, j, j_end, kTileRows, kTileTokens, 0, o + t * out_stride, out_stride);
    if (tiled - t == 4)
      linear_rows(q8, w, scales, k, x + t * k, j, j_end, kTileRows, 4, 0, o + t * out_stride, out_stride);
    if (tiled - t == 2)
      linear_rows(q8, w, scales, k, x + t * k, j, j_end, kTileRows, 2, 0, o + t * out_stride, out_stride);
  }
}

/* The scales of a q4g32 / q8g32 weight [n, k]: after its levels. */
static inline const uint16_t* quant_scales(int q8, const uint8_t* w, size_t n, size_t k) {
  return (const uint16_t*)(w + (q8 ? n * k : n * k / 2));
}

/* The kernels.h contract of gemmac_linear_q{4,8}g32_<variant>; `q8` selects the format. */
static inline __attribute__((always_inline)) void linear(int q8, const uint8_t* w, size_t n, size_t k, const float* x,
                                                         size_t m, size_t n_begin, size_t n_end, float* out,
                                                         size_t out_stride) {
  const uint16_t* scales = quant_scales(q8, w, n, k);
  const size_t tiled = m & ~(size_t)1;
  prefill(q8, w, scales, k, x, tiled, n_begin, n_end, out, out_stride);
  if (tiled < m)
    linear_rows(q8, w, scales, k, x + tiled * k, n_begin, n_end, kDecodeRows, 1, 1, out + tiled * out_stride,
                out_stride);
}

/* Defines gemmac_linear_q4g32_<variant> and gemmac_linear_q8g32_<variant> as
 * linear() for a file whose whole work is the driver. */
#define GEMMAC_QUANT_LINEAR_ENTRY_POINTS(variant)                                                                    \
  void gemmac_linear_q4g32_##variant(const uint8_t* w, size_t n, size_t k, const float* x, size_t m, size_t n_begin, \
                                     size_t n_end, float* out, size_t out_stride) {                                  \
    linear(0, w, n, k, x, m, n_begin, n_end, out, out_stride);                                                       \
  }                                                                                                                  \
  void gemmac_linear_q8g32_##variant(const uint8_t* w, size_t n, size_t k, const float* x, size_t m, size_t n_begin, \
                                     size_t n_end, float* out, size_t out_stride) {                                  \
    linear(1, w, n, k, x, m, n_begin, n_end, out, out_stride);                                                       \
  }

#endif /* GEMMAC_KERNELS_QUANT_LINEAR_H_ */
