/* binary16 conversion and q4g32 / q8g32 weights: the semantic definitions that
 * every per-arch variant is tested against. */
#include "kernels.h"

/* The generic linear is mul then add, never FMA, so that its result does not
 * depend on whether the target has FMA. */
#pragma STDC FP_CONTRACT OFF

typedef union {
  uint32_t u;
  float f;
} f32_bits;

float gemmac_f16_to_f32_generic(uint16_t h) {
  const uint32_t sign = (uint32_t)(h & 0x8000) << 16;
  const uint32_t exp = (h >> 10) & 0x1f;
  const uint32_t mant = h & 0x3ff;
  f32_bits v;
  if (exp == 0) {
    /* Zero or subnormal: mant * 2^-24 is exact in f32. */
    v.f = (float)mant * 0x1p-24f;
    v.u |= sign;
  } else if (exp == 0x1f) {
    v.u = sign | 0x7f800000 | mant << 13; /* inf, or nan with its payload */
  } else {
    v.u = sign | (exp + 127 - 15) << 23 | mant << 13;
  }
  return v.f;
}

uint16_t gemmac_f32_to_f16_generic(float f) {
  f32_bits v = {.f = f};
  const uint16_t sign = (uint16_t)((v.u >> 16) & 0x8000);
  v.u &= 0x7fffffff;
  if (v.u >= 0x47800000) /* |f| >= 65536, inf or nan */
    return sign | (v.u > 0x7f800000 ? 0x7e00 : 0x7c00);
  if (v.u < 0x38800000) { /* below 2^-14: a subnormal or zero result */
    /* Adding 0.5 puts the f16 subnormal quantum 2^-24 at the last mantissa bit
     * of the sum, so the f32 addition does the round to nearest even. */
    const f32_bits half = {.u = 0x3f000000};
    v.f += half.f;
    return sign | (uint16_t)(v.u - half.u);
  }
  /* Rebias the exponent and round the 13 dropped bits to nearest even; a carry
   * out of the mantissa bumps the exponent, up to inf for [65520, 65536). */
  const uint32_t odd = (v.u >> 13) & 1;
  v.u += ((uint32_t)(15 - 127) << 23) + 0xfff + odd;
  return sign | (uint16_t)(v.u >> 13);
}

/* Scale (j, g) at `index` = j * k / 32 + g; little endian, unaligned. */
static inline float load_scale(const uint8_t* scales, size_t index) {
  return gemmac_f16_to_f32_generic((uint16_t)(scales[2 * index] | scales[2 * index + 1] << 8));
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
