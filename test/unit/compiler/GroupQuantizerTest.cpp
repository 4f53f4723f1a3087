// The group quantizer against hand-built groups: grids with scales that are
// not powers of two are found exactly, rounding picks a better scale than the
// naive Q4_0 rule, and the bytes follow the kernels' q4g32 / q8g32 layout.
#include "compiler/quantize/GroupQuantizer.h"

#include "runtime/kernels/kernels.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

namespace gemmac {
namespace {

/// Dequantizes with the runtime's kernel: the one definition of the layout.
std::vector<float> dequantize(const QuantizedWeight &q, WeightFormat format, size_t n, size_t k) {
  std::vector<float> out(n * k);
  for (size_t j = 0; j < n; ++j) {
    if (format == WeightFormat::Q4G32)
      gemmac_dequantize_row_q4g32_generic(q.bytes.data(), n, k, j, 1.0f, &out[j * k]);
    else
      gemmac_dequantize_row_q8g32_generic(q.bytes.data(), n, k, j, 1.0f, &out[j * k]);
  }
  return out;
}

bool sameBits(float a, float b) { return std::memcmp(&a, &b, sizeof(float)) == 0; }

double squaredError(const std::vector<float> &a, const std::vector<float> &b) {
  double sum = 0;
  for (size_t i = 0; i < a.size(); ++i)
    sum += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
  return sum;
}

/// Rows of groups on an int4 grid with scale 3 * 2^-10 (f16-exact, not a power
/// of two), levels drawn from [lo, hi]: every value is exact in bf16 too.
std::vector<float> gridValues(size_t n, size_t k, int lo, int hi, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> level(lo, hi);
  std::vector<float> values(n * k);
  for (float &v : values)
    v = static_cast<float>(level(rng)) * (3.0f / 1024.0f);
  return values;
}

TEST(GroupQuantizer, FindsGridsWithAnyScaleBitExactly) {
  const size_t n = 5, k = 96;
  for (auto [lo, hi] : {std::pair{-8, 7}, std::pair{-7, 7}, std::pair{-3, 5}, std::pair{0, 1}}) {
    std::vector<float> values = gridValues(n, k, lo, hi, 7);
    ASSERT_TRUE(isOnInt4Grid(values, n, k));
    for (WeightFormat format : {WeightFormat::Q4G32, WeightFormat::Q8G32}) {
      QuantizedWeight q = quantizeWeight(values, n, k, format, RoundingRule::GridAware);
      EXPECT_EQ(q.groups, int64_t(n * k / 32));
      EXPECT_EQ(q.exactGroups, q.groups) << "levels [" << lo << ", " << hi << "]";
      std::vector<float> back = dequantize(q, format, n, k);
      for (size_t i = 0; i < values.size(); ++i)
        ASSERT_TRUE(sameBits(back[i], values[i])) << i << ": " << back[i] << " vs " << values[i];
    }
  }
}

TEST(GroupQuantizer, FindsMirroredGridsThroughNegativeScales) {
  // Levels in [-7, 8] without 0: level 8 exists only as -8 times a negative scale.
  const size_t n = 3, k = 64;
  std::mt19937 rng(5);
  std::uniform_int_distribution<int> level(-7, 7);
  std::vector<float> values(n * k);
  for (size_t i = 0; i < values.size(); ++i) {
    int l = i % 32 == 0 ? 8 : level(rng);
    values[i] = static_cast<float>(l == 0 ? 1 : l) * (5.0f / 256.0f);
  }
  QuantizedWeight q = quantizeWeight(values, n, k, WeightFormat::Q4G32, RoundingRule::GridAware);
  EXPECT_EQ(q.exactGroups, q.groups);
  std::vector<float> back = dequantize(q, WeightFormat::Q4G32, n, k);
  for (size_t i = 0; i < values.size(); ++i)
    ASSERT_TRUE(sameBits(back[i], values[i])) << i;
}

TEST(GroupQuantizer, NaiveRuleMissesGridsWithoutLevelMinus8) {
  // Levels in [-7, 7]: the largest magnitude is at +-7, never -8, so
  // scale = max / -8 is the wrong scale for every group.
  const size_t n = 4, k = 64;
  std::vector<float> values = gridValues(n, k, -7, 7, 3);
  QuantizedWeight naive = quantizeWeight(values, n, k, WeightFormat::Q4G32, RoundingRule::Naive);
  QuantizedWeight aware = quantizeWeight(values, n, k, WeightFormat::Q4G32, RoundingRule::GridAware);
  EXPECT_EQ(naive.exactGroups, 0);
  EXPECT_EQ(aware.exactGroups, aware.groups);
}

TEST(GroupQuantizer, RoundsGroupsWithoutGridBetterThanNaive) {
  const size_t n = 64, k = 128;
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> uniform(-0.07f, 0.07f);
  std::vector<float> values(n * k);
  for (float &v : values)
    v = uniform(rng);
  EXPECT_FALSE(isOnInt4Grid(values, n, k));
  QuantizedWeight aware = quantizeWeight(values, n, k, WeightFormat::Q4G32, RoundingRule::GridAware);
  QuantizedWeight naive = quantizeWeight(values, n, k, WeightFormat::Q4G32, RoundingRule::Naive);
  EXPECT_EQ(aware.exactGroups, 0);
  double awareError = squaredError(dequantize(aware, WeightFormat::Q4G32, n, k), values);
  double naiveError = squaredError(dequantize(naive, WeightFormat::Q4G32, n, k), values);
  EXPECT_LT(awareError, naiveError);
  // Uniform rounding noise of a range-filling step (0.14 / 15) would be step^2 / 12.
  const double step = 0.14 / 15;
  EXPECT_LT(awareError / values.size(), step * step / 12);
  // int8 keeps about 4 more bits.
  QuantizedWeight int8 = quantizeWeight(values, n, k, WeightFormat::Q8G32, RoundingRule::GridAware);
  EXPECT_LT(squaredError(dequantize(int8, WeightFormat::Q8G32, n, k), values), awareError / 100);
}

TEST(GroupQuantizer, ZeroGroupsAndLayout) {
  const size_t n = 2, k = 32;
  std::vector<float> values(n * k, 0.0f);
  values[32 + 1] = 0.5f;   // row 1 is on the grid 0.5 * {-1, 0, 1}
  values[32 + 17] = -0.5f; // input 17 shares byte 1 with input 1 (its high nibble)
  QuantizedWeight q = quantizeWeight(values, n, k, WeightFormat::Q4G32, RoundingRule::GridAware);
  EXPECT_EQ(q.exactGroups, 2);
  ASSERT_EQ(q.bytes.size(), gemmac_q4g32_bytes(n, k));
  // Row 0 is all level 0 (+8 in both nibbles).
  for (size_t b = 0; b < 16; ++b)
    EXPECT_EQ(q.bytes[b], 0x88) << b;
  std::vector<float> back = dequantize(q, WeightFormat::Q4G32, n, k);
  EXPECT_EQ(back[33], 0.5f);
  EXPECT_EQ(back[49], -0.5f);
}

} // namespace
} // namespace gemmac
