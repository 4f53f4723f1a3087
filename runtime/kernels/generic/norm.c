/* RMS normalization. */
#include "kernels.h"

void gemmac_rms_norm_generic(const float* x, const float* w, size_t rows, size_t width,
                             size_t group, float eps, float offset, float* out) {
  for (size_t start = 0; start < rows * width; start += group) {
    /* The sum of squares in double keeps the norm exact to f32 rounding. */
    double sum = 0.0;
    for (size_t i = 0; i < group; ++i) sum += (double)x[start + i] * x[start + i];
    float inv = (float)(1.0 / __builtin_sqrt(sum / (double)group + (double)eps));
    for (size_t i = 0; i < group; ++i) out[start + i] = x[start + i] * inv * (offset + w[i]);
  }
}
