/* Elementwise activations and arithmetic, written so that clang vectorizes
 * them for whatever ISA it compiles for (SSE2 in the portable runtime, AVX2 or
 * AVX-512 in a target's compiled library): no libm calls in the loops, and
 * every loop reads and writes the same index, so running in place is safe
 * (hence `assume_safety`, which skips the alias check that would otherwise
 * send in-place calls down the scalar path). */
#include "kernels.h"

/* Each operation as written: the clones (kernels.h) give the same bits. */
#pragma STDC FP_CONTRACT OFF

/* exp(x) in f32 without libm: x = n ln2 + r with |r| <= ln2 / 2, Cephes'
 * polynomial for e^r, 2^n put into the exponent bits. Within ~1 ulp of expf
 * on [-87.3, 88]; clamped outside (so never inf, never subnormal). */
static inline float exp_f32(float x) {
  x = x < -87.33654f ? -87.33654f : x;
  x = x > 88.0f ? 88.0f : x;
  const float magic = 12582912.0f; /* 1.5 * 2^23: adding it rounds to an integer */
  const float n = (x * 1.44269504088896341f + magic) - magic;
  float r = x - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const float y = p * (r * r) + r + 1.0f;
  union {
    uint32_t bits;
    float value;
  } two_n = {(uint32_t)((int32_t)n + 127) << 23};
  return y * two_n.value;
}

/* 0.5 x (1 + tanh(u)) with u = sqrt(2/pi) (x + 0.044715 x^3), computed as the
 * equal x * sigmoid(2u) = x / (1 + exp(-2u)): one exp, and no cancellation in
 * 1 + tanh(u) for negative x. */
static inline float gelu_tanh(float x) {
  const float k = 1.5957691216057308f; /* 2 sqrt(2 / pi) */
  return x / (1.0f + exp_f32(-k * (x + 0.044715f * x * x * x)));
}

GEMMAC_CLONED void gemmac_gelu_tanh_generic(const float* x, size_t count, float* out) {
#pragma clang loop vectorize(assume_safety)
  for (size_t i = 0; i < count; ++i) out[i] = gelu_tanh(x[i]);
}

GEMMAC_CLONED void gemmac_gelu_tanh_mul_generic(const float* gate, const float* up, size_t count, float* out) {
#pragma clang loop vectorize(assume_safety)
  for (size_t i = 0; i < count; ++i) out[i] = gelu_tanh(gate[i]) * up[i];
}

GEMMAC_CLONED void gemmac_add_generic(const float* a, const float* b, size_t count, float* out) {
#pragma clang loop vectorize(assume_safety)
  for (size_t i = 0; i < count; ++i) out[i] = a[i] + b[i];
}

GEMMAC_CLONED void gemmac_mul_generic(const float* a, const float* b, size_t count, float* out) {
#pragma clang loop vectorize(assume_safety)
  for (size_t i = 0; i < count; ++i) out[i] = a[i] * b[i];
}

void gemmac_softcap_generic(float* x, size_t count, float cap) {
  for (size_t i = 0; i < count; ++i) x[i] = cap * __builtin_tanhf(x[i] / cap);
}
