/* binary16 conversion (out of line) and q4g32 / q8g32 weights: the semantic
 * definitions that every per-arch variant is tested against. */
#include "kernels.h"

/* The generic linear is mul then add, never FMA, so that its result does not
 * depend on whether the target has FMA. */
#pragma STDC FP_CONTRACT OFF

/* kernels.h holds the definitions, inline for loops that vectorize over them. */
float gemmac_f16_to_f32_generic(uint16_t h) { return gemmac_f16_to_f32(h); }

uint16_t gemmac_f32_to_f16_generic(float f) { return gemmac_f32_to_f16(f); }

/* Scale (j, g) at `index` = j * k / 32 + g; little endian, unaligned. */
static inline float load_scale(const uint8_t* scales, size_t index) {
  return gemmac_f16_to_f32((uint16_t)(scales[2 * index] | scales[2 * index + 1] << 8));
}

/* Level of input b (< 32) of the 16-byte q4 group at `group`. */
static inline float q4_level(const uint8_t* group, size_t b) {
  const int nibble = b < 16 ? group[b] & 0xf : group[b - 16] >> 4;
  return (float)(nibble - 8);
}

void gemmac_dequantize_row_q4g32_generic(const uint8_t* w, size_t n, size_t k, size_t j, float scale, float* out) {
  const size_t groups = k / GEMMAC_QUANT_GROUP;
  const uint8_t* scales = w + n * k / 2;
  for (size_t g = 0; g < groups; ++g) {
    const uint8_t* group = w + (j * groups + g) * 16;
    const float s = load_scale(scales, j * groups + g);
    for (size_t b = 0; b < GEMMAC_QUANT_GROUP; ++b) out[g * GEMMAC_QUANT_GROUP + b] = q4_level(group, b) * s * scale;
  }
}

void gemmac_dequantize_row_q8g32_generic(const uint8_t* w, size_t n, size_t k, size_t j, float scale, float* out) {
  const size_t groups = k / GEMMAC_QUANT_GROUP;
  const uint8_t* scales = w + n * k;
  for (size_t g = 0; g < groups; ++g) {
    const int8_t* group = (const int8_t*)w + (j * groups + g) * GEMMAC_QUANT_GROUP;
    const float s = load_scale(scales, j * groups + g);
    for (size_t b = 0; b < GEMMAC_QUANT_GROUP; ++b) out[g * GEMMAC_QUANT_GROUP + b] = (float)group[b] * s * scale;
  }
}

void gemmac_linear_q4g32_generic(const uint8_t* w, size_t n, size_t k, const float* x, size_t m, size_t n_begin,
                                 size_t n_end, float* out, size_t out_stride) {
  const size_t groups = k / GEMMAC_QUANT_GROUP;
  const uint8_t* scales = w + n * k / 2;
  for (size_t t = 0; t < m; ++t) {
    for (size_t j = n_begin; j < n_end; ++j) {
      float total = 0.0f;
      for (size_t g = 0; g < groups; ++g) {
        const uint8_t* group = w + (j * groups + g) * 16;
        const float* xg = x + t * k + g * GEMMAC_QUANT_GROUP;
        float acc = 0.0f;
        for (size_t b = 0; b < GEMMAC_QUANT_GROUP; ++b) acc += q4_level(group, b) * xg[b];
        total += acc * load_scale(scales, j * groups + g);
      }
      out[t * out_stride + (j - n_begin)] = total;
    }
  }
}

void gemmac_linear_q8g32_generic(const uint8_t* w, size_t n, size_t k, const float* x, size_t m, size_t n_begin,
                                 size_t n_end, float* out, size_t out_stride) {
  const size_t groups = k / GEMMAC_QUANT_GROUP;
  const uint8_t* scales = w + n * k;
  for (size_t t = 0; t < m; ++t) {
    for (size_t j = n_begin; j < n_end; ++j) {
      float total = 0.0f;
      for (size_t g = 0; g < groups; ++g) {
        const int8_t* group = (const int8_t*)w + (j * groups + g) * GEMMAC_QUANT_GROUP;
        const float* xg = x + t * k + g * GEMMAC_QUANT_GROUP;
        float acc = 0.0f;
        for (size_t b = 0; b < GEMMAC_QUANT_GROUP; ++b) acc += (float)group[b] * xg[b];
        total += acc * load_scale(scales, j * groups + g);
      }
      out[t * out_stride + (j - n_begin)] = total;
    }
  }
}
