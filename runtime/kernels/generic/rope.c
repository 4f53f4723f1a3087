/* Rotary position embedding, rotate-half form (pairs i and i + head_dim/2),
 * from rows of cos/sin per position: a step builds the rows of its positions
 * once per (theta, head_dim) and every layer's q and k rotate from them. */
#include "kernels.h"

/* Each operation as written: the clones (kernels.h) give the same bits. */
#pragma STDC FP_CONTRACT OFF

void gemmac_rope_build_table_generic(double theta, size_t head_dim, int64_t first_position, size_t positions,
                                     float* table) {
  const size_t half = head_dim / 2;
  for (size_t i = 0; i < half; ++i) {
    /* Angles reach ~1e5 rad at long contexts: float angles would lose ~1e-2. */
    const double inv_freq = __builtin_pow(theta, -(double)(2 * i) / (double)head_dim);
    for (size_t t = 0; t < positions; ++t) {
      const double angle = (double)(first_position + (int64_t)t) * inv_freq;
      table[t * head_dim + i] = (float)__builtin_cos(angle);
      table[t * head_dim + half + i] = (float)__builtin_sin(angle);
    }
  }
}

GEMMAC_CLONED void gemmac_rope_table_generic(const float* x, size_t tokens, size_t width, size_t head_dim,
                                             const float* table, float* out) {
  const size_t half = head_dim / 2;
  for (size_t t = 0; t < tokens; ++t) {
    const float* c = table + t * head_dim;
    const float* s = c + half;
    for (size_t head = 0; head < width; head += head_dim) {
      const float* xa = x + t * width + head;
      const float* xb = xa + half;
      float* oa = out + t * width + head;
      float* ob = oa + half;
      /* Index i reads and writes only pair i: safe in place. The products of
       * two floats are exact in double; one rounding to f32 at the end. */
#pragma clang loop vectorize(assume_safety)
      for (size_t i = 0; i < half; ++i) {
        const double a = xa[i], b = xb[i];
        oa[i] = (float)(a * c[i] - b * s[i]);
        ob[i] = (float)(b * c[i] + a * s[i]);
      }
    }
  }
}

void gemmac_rope_generic(const float* x, size_t tokens, size_t width, size_t head_dim, int64_t first_position,
                         double theta, float* out) {
  /* The same rows, a few tokens at a time (no scratch beyond the stack). */
  enum { kTableFloats = 2048 };
  float table[kTableFloats];
  const size_t rows = head_dim <= kTableFloats ? kTableFloats / head_dim : 0;
  if (rows == 0) { /* an absurd head_dim: one pair at a time */
    const size_t half = head_dim / 2;
    for (size_t t = 0; t < tokens; ++t)
      for (size_t i = 0; i < half; ++i) {
        const double inv_freq = __builtin_pow(theta, -(double)(2 * i) / (double)head_dim);
        const double angle = (double)(first_position + (int64_t)t) * inv_freq;
        const float c = (float)__builtin_cos(angle), s = (float)__builtin_sin(angle);
        for (size_t head = 0; head < width; head += head_dim) {
          const size_t a = t * width + head + i, b = a + half;
          const double xa = x[a], xb = x[b];
          out[a] = (float)(xa * c - xb * s);
          out[b] = (float)(xb * c + xa * s);
        }
      }
    return;
  }
  for (size_t t = 0; t < tokens; t += rows) {
    const size_t n = tokens - t < rows ? tokens - t : rows;
    gemmac_rope_build_table_generic(theta, head_dim, first_position + (int64_t)t, n, table);
    gemmac_rope_table_generic(x + t * width, n, width, head_dim, table, out + t * width);
  }
}
