/* The x86 quantized products' prefill driver, shared by quant_avx2.c and
 * quant_avx512.c (each built with its own ISA flags): a file includes this
 * after defining kTileRows, kTileTokens (4 or 6), kL2ChunkBytes and
 * linear_rows. It defines prefill(), which runs the even number `tiled` of
 * tokens in token tiles of kTileTokens, then 4 or 2; rows are visited in
 * chunks sized for L2, so the token tiles after the first find the chunk's
 * weights in cache. The odd last token, if any, is the caller's (decode). */
#ifndef GEMMAC_KERNELS_X86_64_QUANT_PREFILL_H_
#define GEMMAC_KERNELS_X86_64_QUANT_PREFILL_H_

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

#endif /* GEMMAC_KERNELS_X86_64_QUANT_PREFILL_H_ */
