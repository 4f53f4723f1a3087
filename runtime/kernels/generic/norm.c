/* RMS normalization. The sum of squares is kept in double (exact to f32
 * rounding) in 8 independent partial sums, a fixed order that clang turns into
 * vector code for any ISA; the scaling reads and writes the same index, so it
 * runs in place. */
#include "kernels.h"

/* Each operation as written: the clones (kernels.h) give the same bits. */
#pragma STDC FP_CONTRACT OFF

static double sum_of_squares(const float* x, size_t n) {
  double lanes[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  size_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (size_t l = 0; l < 8; ++l) lanes[l] += (double)x[i + l] * x[i + l];
  for (size_t l = 0; i < n; ++i, ++l) lanes[l] += (double)x[i] * x[i];
  return ((lanes[0] + lanes[4]) + (lanes[1] + lanes[5])) + ((lanes[2] + lanes[6]) + (lanes[3] + lanes[7]));
}

static void scale_group(const float* x, const float* w, size_t group, float inv, float offset, float* out) {
#pragma clang loop vectorize(assume_safety)
  for (size_t i = 0; i < group; ++i) out[i] = x[i] * inv * (offset + w[i]);
}

static float inverse_rms(double sum, size_t group, float eps) {
  return (float)(1.0 / __builtin_sqrt(sum / (double)group + (double)eps));
}

GEMMAC_CLONED void gemmac_rms_norm_generic(const float* x, const float* w, size_t rows, size_t width,
                                           size_t group, float eps, float offset, float* out) {
  for (size_t start = 0; start < rows * width; start += group)
    scale_group(x + start, w, group, inverse_rms(sum_of_squares(x + start, group), group, eps), offset, out + start);
}

GEMMAC_CLONED void gemmac_add_rms_norm_generic(const float* a, const float* b, const float* w, size_t rows,
                                               size_t width, size_t group, float eps, float offset, float* sum,
                                               float* out) {
  for (size_t start = 0; start < rows * width; start += group) {
    gemmac_add_generic(a + start, b + start, group, sum + start);
    scale_group(sum + start, w, group, inverse_rms(sum_of_squares(sum + start, group), group, eps), offset,
                out + start);
  }
}
