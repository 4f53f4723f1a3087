/* Data-type conversion and embedding lookup. */
#include "kernels.h"

static inline float bf16_to_f32(uint16_t bits) {
  union {
    uint32_t u;
    float f;
  } v = {(uint32_t)bits << 16};
  return v.f;
}

void gemmac_bf16_to_f32_generic(const uint16_t* in, size_t count, float* out) {
  for (size_t i = 0; i < count; ++i) out[i] = bf16_to_f32(in[i]);
}

void gemmac_embed_f32_generic(const float* table, size_t width, const int32_t* ids,
                              size_t tokens, float scale, float* out) {
  for (size_t t = 0; t < tokens; ++t) {
    const float* row = table + (size_t)ids[t] * width;
    for (size_t i = 0; i < width; ++i) out[t * width + i] = row[i] * scale;
  }
}

void gemmac_embed_bf16_generic(const uint16_t* table, size_t width, const int32_t* ids,
                               size_t tokens, float scale, float* out) {
  for (size_t t = 0; t < tokens; ++t) {
    const uint16_t* row = table + (size_t)ids[t] * width;
    for (size_t i = 0; i < width; ++i) out[t * width + i] = bf16_to_f32(row[i]) * scale;
  }
}

void gemmac_embed_q4g32_generic(const uint8_t* table, size_t rows, size_t width, const int32_t* ids,
                                size_t tokens, float scale, float* out) {
  for (size_t t = 0; t < tokens; ++t)
    gemmac_dequantize_row_q4g32_generic(table, rows, width, (size_t)ids[t], scale, out + t * width);
}

void gemmac_embed_q8g32_generic(const uint8_t* table, size_t rows, size_t width, const int32_t* ids,
                                size_t tokens, float scale, float* out) {
  for (size_t t = 0; t < tokens; ++t)
    gemmac_dequantize_row_q8g32_generic(table, rows, width, (size_t)ids[t], scale, out + t * width);
}
