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

/* Int8 activations (kernels.h): a token's inputs are quantized a chunk of
 * groups at a time, and each group's integer dot product is scaled and summed
 * in group order. */
enum { kInt8ChunkGroups = 64 };

static inline void linear_int8act(int q8, const uint8_t* w, size_t n, size_t k, const float* x, size_t m,
                                  size_t n_begin, size_t n_end, float* out, size_t out_stride) {
  const size_t groups = k / GEMMAC_QUANT_GROUP;
  const uint8_t* scales = w + (q8 ? n * k : n * k / 2);
  int8_t q[kInt8ChunkGroups * GEMMAC_QUANT_GROUP];
  float scale_x[kInt8ChunkGroups];
  for (size_t t = 0; t < m; ++t) {
    float* o = out + t * out_stride;
    for (size_t g0 = 0; g0 < groups; g0 += kInt8ChunkGroups) {
      const size_t chunk = groups - g0 < kInt8ChunkGroups ? groups - g0 : kInt8ChunkGroups;
      for (size_t g = 0; g < chunk; ++g)
        scale_x[g] = gemmac_quantize_group_int8(x + t * k + (g0 + g) * GEMMAC_QUANT_GROUP, q + g * GEMMAC_QUANT_GROUP);
      for (size_t j = n_begin; j < n_end; ++j) {
        float total = g0 == 0 ? 0.0f : o[j - n_begin]; /* the same sum as one pass over all groups */
        for (size_t g = 0; g < chunk; ++g) {
          const int8_t* qg = q + g * GEMMAC_QUANT_GROUP;
          int32_t isum = 0;
          if (q8) {
            const int8_t* group = (const int8_t*)w + (j * groups + g0 + g) * GEMMAC_QUANT_GROUP;
            for (size_t b = 0; b < GEMMAC_QUANT_GROUP; ++b) isum += group[b] * qg[b];
          } else {
            const uint8_t* group = w + (j * groups + g0 + g) * 16;
            for (size_t b = 0; b < 16; ++b)
              isum += ((group[b] & 0xf) - 8) * qg[b] + ((group[b] >> 4) - 8) * qg[16 + b];
          }
          total += (float)isum * (load_scale(scales, j * groups + g0 + g) * scale_x[g]);
        }
        o[j - n_begin] = total;
      }
    }
  }
}

void gemmac_linear_q4g32_int8act_generic(const uint8_t* w, size_t n, size_t k, const float* x, size_t m,
                                         size_t n_begin, size_t n_end, float* out, size_t out_stride) {
  linear_int8act(0, w, n, k, x, m, n_begin, n_end, out, out_stride);
}

void gemmac_linear_q8g32_int8act_generic(const uint8_t* w, size_t n, size_t k, const float* x, size_t m,
                                         size_t n_begin, size_t n_end, float* out, size_t out_stride) {
  linear_int8act(1, w, n, k, x, m, n_begin, n_end, out, out_stride);
}
