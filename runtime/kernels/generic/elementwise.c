/* Elementwise activations and arithmetic. */
#include "kernels.h"

void gemmac_gelu_tanh_generic(const float* x, size_t count, float* out) {
  const float k = 0.7978845608028654f; /* sqrt(2 / pi) */
  for (size_t i = 0; i < count; ++i) {
    float v = x[i];
    out[i] = 0.5f * v * (1.0f + __builtin_tanhf(k * (v + 0.044715f * v * v * v)));
  }
}

void gemmac_add_generic(const float* a, const float* b, size_t count, float* out) {
  for (size_t i = 0; i < count; ++i) out[i] = a[i] + b[i];
}

void gemmac_mul_generic(const float* a, const float* b, size_t count, float* out) {
  for (size_t i = 0; i < count; ++i) out[i] = a[i] * b[i];
}

void gemmac_softcap_generic(float* x, size_t count, float cap) {
  for (size_t i = 0; i < count; ++i) x[i] = cap * __builtin_tanhf(x[i] / cap);
}
