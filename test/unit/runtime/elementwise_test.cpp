// The vectorizable element-wise kernels: RoPE from table rows equals RoPE
// computing its angles, the fused forms equal their parts, and the libm-free
// GELU stays within a few f32 ulps of a double reference.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "kernels.h"
#include "random_vector.h"

namespace {

TEST(Elementwise, RopeTableRowsEqualRopeAndTheDoubleReference) {
  for (size_t head_dim : {size_t{8}, size_t{32}, size_t{256}})
    for (int64_t first : {int64_t{0}, int64_t{7}, int64_t{30000}})
      for (double theta : {1e4, 1e6}) {
        const size_t tokens = 19, width = 3 * head_dim;  // > 8 rows: gemmac_rope_generic builds several tables
        std::vector<float> x = randomVector(tokens * width, 11);
        std::vector<float> table(tokens * head_dim), from_table(x.size()), direct(x.size());
        gemmac_rope_build_table_generic(theta, head_dim, first, tokens, table.data());
        gemmac_rope_table_generic(x.data(), tokens, width, head_dim, table.data(), from_table.data());
        gemmac_rope_generic(x.data(), tokens, width, head_dim, first, theta, direct.data());
        EXPECT_EQ(from_table, direct) << "head_dim " << head_dim << " first " << first;
        std::vector<float> in_place = x;
        gemmac_rope_table_generic(in_place.data(), tokens, width, head_dim, table.data(), in_place.data());
        EXPECT_EQ(in_place, direct);
        double worst = 0;
        for (size_t t = 0; t < tokens; ++t)
          for (size_t h = 0; h < width; h += head_dim)
            for (size_t i = 0; i < head_dim / 2; ++i) {
              const double angle = double(first + int64_t(t)) * std::pow(theta, -2.0 * double(i) / double(head_dim));
              const size_t a = t * width + h + i, b = a + head_dim / 2;
              worst = std::max(worst, std::abs(direct[a] - (x[a] * std::cos(angle) - x[b] * std::sin(angle))));
              worst = std::max(worst, std::abs(direct[b] - (x[b] * std::cos(angle) + x[a] * std::sin(angle))));
            }
        EXPECT_LT(worst, 1e-6) << "head_dim " << head_dim << " first " << first;
      }
}

TEST(Elementwise, GeluTanhMatchesDouble) {
  // Dense over [-12, 12] plus the extremes, where exp clamps.
  std::vector<float> x;
  for (int i = -120000; i <= 120000; ++i) x.push_back(static_cast<float>(i) * 1e-4f);
  for (float v : {-1e4f, -100.0f, -30.0f, 30.0f, 100.0f, 1e4f, 0.0f, -0.0f, 1e-30f, -1e-30f}) x.push_back(v);
  std::vector<float> out(x.size());
  gemmac_gelu_tanh_generic(x.data(), x.size(), out.data());
  double worst = 0, worst_core = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    const double v = x[i];
    const double want = 0.5 * v * (1 + std::tanh(std::sqrt(2 / M_PI) * (v + 0.044715 * v * v * v)));
    ASSERT_TRUE(std::isfinite(out[i])) << x[i];
    // Relative to the output, with an absolute floor of one ulp of |x|.
    const double error = std::abs(out[i] - want) / (std::max(std::abs(want), 1e-7 * std::abs(v)) + 1e-37);
    worst = std::max(worst, error);
    if (v >= -3) worst_core = std::max(worst_core, error);
  }
  // For x >= -3 a few ulps. In the negative tail the output is x e^(2u) with
  // 2u down to -87: the f32 rounding of the argument alone is |2u| 6e-8 relative.
  // (libm's 0.5 x (1 + tanhf(u)) cancels there: 1.5e-1 relative; 1.2e-5 for x >= -3.)
  EXPECT_LT(worst_core, 1e-6);
  EXPECT_LT(worst, 5e-6);
}

TEST(Elementwise, FusedFormsEqualTheirParts) {
  const size_t rows = 5, width = 640, group = 640;
  std::vector<float> a = randomVector(rows * width, 21, 3.0f), b = randomVector(rows * width, 22, 3.0f);
  std::vector<float> w = randomVector(group, 23, 0.3f);
  // gelu(gate) * up
  std::vector<float> gelu(a.size()), want(a.size()), fused(a.size());
  gemmac_gelu_tanh_generic(a.data(), a.size(), gelu.data());
  gemmac_mul_generic(gelu.data(), b.data(), a.size(), want.data());
  gemmac_gelu_tanh_mul_generic(a.data(), b.data(), a.size(), fused.data());
  EXPECT_EQ(fused, want);
  std::vector<float> in_place = a;
  gemmac_gelu_tanh_mul_generic(in_place.data(), b.data(), a.size(), in_place.data());
  EXPECT_EQ(in_place, want);
  // add + rms_norm, also per head-sized group and with the sum written over an input
  for (size_t g : {group, size_t{64}}) {
    std::vector<float> sum(a.size()), normed(a.size()), sum2(a.size()), normed2(a.size());
    gemmac_add_generic(a.data(), b.data(), a.size(), sum.data());
    gemmac_rms_norm_generic(sum.data(), w.data(), rows, width, g, 1e-6f, 1.0f, normed.data());
    gemmac_add_rms_norm_generic(a.data(), b.data(), w.data(), rows, width, g, 1e-6f, 1.0f, sum2.data(),
                                normed2.data());
    EXPECT_EQ(sum2, sum);
    EXPECT_EQ(normed2, normed);
    std::vector<float> over = a;
    gemmac_add_rms_norm_generic(over.data(), b.data(), w.data(), rows, width, g, 1e-6f, 1.0f, over.data(),
                                normed2.data());
    EXPECT_EQ(over, sum);
    EXPECT_EQ(normed2, normed);
  }
}

TEST(Elementwise, RmsNormOddGroupsMatchDouble) {
  for (size_t group : {size_t{1}, size_t{7}, size_t{13}, size_t{256}}) {
    const size_t rows = 3, width = group * 2;
    std::vector<float> x = randomVector(rows * width, 31, 2.0f), w = randomVector(group, 32, 0.5f);
    std::vector<float> out(x.size());
    gemmac_rms_norm_generic(x.data(), w.data(), rows, width, group, 1e-6f, 1.0f, out.data());
    for (size_t s = 0; s < x.size(); s += group) {
      double ss = 0;
      for (size_t i = 0; i < group; ++i) ss += double(x[s + i]) * x[s + i];
      for (size_t i = 0; i < group; ++i) {
        const double want = x[s + i] / std::sqrt(ss / group + 1e-6) * (1.0 + w[i]);
        EXPECT_NEAR(out[s + i], want, 1e-6 * std::max(1.0, std::abs(want))) << "group " << group;
      }
    }
  }
}

#if defined(__x86_64__)
// The portable runtime's clones of the row-wise kernels (kernels.h), called
// by their symbols (clang's names for target_clones versions): the AVX-512
// one gives the bits of the SSE2 one. Lengths leave every vector tail.
#define GEMMAC_CLONE_PAIR(name, ...)                                           \
  void name##_avx512(__VA_ARGS__) __asm__("gemmac_" #name "_generic.avx512f.0"); \
  void name##_default(__VA_ARGS__) __asm__("gemmac_" #name "_generic.default.1");
extern "C" {
GEMMAC_CLONE_PAIR(gelu_tanh, const float*, size_t, float*)
GEMMAC_CLONE_PAIR(gelu_tanh_mul, const float*, const float*, size_t, float*)
GEMMAC_CLONE_PAIR(add, const float*, const float*, size_t, float*)
GEMMAC_CLONE_PAIR(mul, const float*, const float*, size_t, float*)
GEMMAC_CLONE_PAIR(rms_norm, const float*, const float*, size_t, size_t, size_t, float, float, float*)
GEMMAC_CLONE_PAIR(add_rms_norm, const float*, const float*, const float*, size_t, size_t, size_t, float, float, float*,
                  float*)
GEMMAC_CLONE_PAIR(rope_table, const float*, size_t, size_t, size_t, const float*, float*)
}
#undef GEMMAC_CLONE_PAIR

TEST(Elementwise, Avx512ClonesGiveTheBitsOfTheDefault) {
  if (!__builtin_cpu_supports("avx512f")) GTEST_SKIP() << "this CPU has no AVX-512";
  for (size_t rows : {size_t{1}, size_t{3}, size_t{16}}) {
    const size_t width = 2 * 264;  // two norm groups of 264 (16 x 16 + 8)
    const size_t n = rows * width + (rows == 3 ? 13 : 0);
    // Wide magnitudes: GELU's exp clamps on both sides, norms of large and tiny rows.
    std::vector<float> a = randomVector(n, 7, 30.0f), b = randomVector(n, 8), w = randomVector(264, 9);
    a[0] = 1e30f, a[1] = -1e30f, a[2] = 1e-30f;
    std::vector<float> x(n), y(n), x2(n), y2(n);
    gelu_tanh_avx512(a.data(), n, x.data());
    gelu_tanh_default(a.data(), n, y.data());
    EXPECT_EQ(x, y) << "gelu_tanh, " << n;
    gelu_tanh_mul_avx512(a.data(), b.data(), n, x.data());
    gelu_tanh_mul_default(a.data(), b.data(), n, y.data());
    EXPECT_EQ(x, y) << "gelu_tanh_mul, " << n;
    add_avx512(a.data(), b.data(), n, x.data());
    add_default(a.data(), b.data(), n, y.data());
    EXPECT_EQ(x, y) << "add, " << n;
    mul_avx512(a.data(), b.data(), n, x.data());
    mul_default(a.data(), b.data(), n, y.data());
    EXPECT_EQ(x, y) << "mul, " << n;
    const size_t whole = rows * width;
    rms_norm_avx512(a.data(), w.data(), rows, width, 264, 1e-6f, 1.0f, x.data());
    rms_norm_default(a.data(), w.data(), rows, width, 264, 1e-6f, 1.0f, y.data());
    EXPECT_TRUE(std::equal(x.begin(), x.begin() + whole, y.begin())) << "rms_norm, " << rows << " rows";
    add_rms_norm_avx512(a.data(), b.data(), w.data(), rows, width, 264, 1e-6f, 0.0f, x2.data(), x.data());
    add_rms_norm_default(a.data(), b.data(), w.data(), rows, width, 264, 1e-6f, 0.0f, y2.data(), y.data());
    EXPECT_TRUE(std::equal(x.begin(), x.begin() + whole, y.begin()) &&
                std::equal(x2.begin(), x2.begin() + whole, y2.begin()))
        << "add_rms_norm, " << rows << " rows";
    const size_t head_dim = 264 / 2;  // 66 pairs: a tail past 64
    std::vector<float> table(rows * head_dim);
    gemmac_rope_build_table_generic(1e4, head_dim, 100, rows, table.data());
    rope_table_avx512(a.data(), rows, width, head_dim, table.data(), x.data());
    rope_table_default(a.data(), rows, width, head_dim, table.data(), y.data());
    EXPECT_TRUE(std::equal(x.begin(), x.begin() + whole, y.begin())) << "rope_table, " << rows << " rows";
  }
}
#endif

}  // namespace
