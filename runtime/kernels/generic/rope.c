/* Rotary position embedding, rotate-half form (pairs i and i + head_dim/2). */
#include "kernels.h"

void gemmac_rope_generic(const float* x, size_t tokens, size_t width, size_t head_dim,
                         int64_t first_position, double theta, float* out) {
  size_t half = head_dim / 2;
  for (size_t t = 0; t < tokens; ++t) {
    double position = (double)(first_position + (int64_t)t);
    for (size_t i = 0; i < half; ++i) {
      /* Angles reach ~1e5 rad at long contexts: float angles would lose ~1e-2. */
      double angle = position * __builtin_pow(theta, -(double)(2 * i) / (double)head_dim);
      double c = __builtin_cos(angle), s = __builtin_sin(angle);
      for (size_t head = 0; head < width; head += head_dim) {
        size_t a = t * width + head + i, b = a + half;
        double xa = x[a], xb = x[b];
        out[a] = (float)(xa * c - xb * s);
        out[b] = (float)(xb * c + xa * s);
      }
    }
  }
}
