// Quantized-weight kernels: binary16 conversion, dequantization checked by hand,
// and every linear variant against a double-precision reference.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "kernels.h"

namespace {

uint32_t bitsOf(float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  return u;
}

bool isF16Nan(uint16_t h) { return (h & 0x7c00) == 0x7c00 && (h & 0x3ff) != 0; }

TEST(QuantF16, RoundTripsAllBitPatterns) {
  size_t failures = 0;
  for (uint32_t h = 0; h < 65536; ++h) {
    const float f = gemmac_f16_to_f32_generic(static_cast<uint16_t>(h));
    const uint16_t back = gemmac_f32_to_f16_generic(f);
    const bool ok = isF16Nan(h) ? std::isnan(f) && isF16Nan(back) : back == h;
    if (!ok && failures++ < 5)
      ADD_FAILURE() << std::hex << "f16 0x" << h << " -> f32 0x" << bitsOf(f) << " -> 0x" << back;
  }
  EXPECT_EQ(failures, 0u);
}

TEST(QuantF16, WidensToExactValues) {
  EXPECT_EQ(gemmac_f16_to_f32_generic(0x3c00), 1.0f);
  EXPECT_EQ(gemmac_f16_to_f32_generic(0xc000), -2.0f);
  EXPECT_EQ(gemmac_f16_to_f32_generic(0x7bff), 65504.0f);
  EXPECT_EQ(gemmac_f16_to_f32_generic(0x0400), 0x1p-14f);  // smallest normal
  EXPECT_EQ(gemmac_f16_to_f32_generic(0x0001), 0x1p-24f);  // smallest subnormal
  EXPECT_EQ(gemmac_f16_to_f32_generic(0x83ff), -1023 * 0x1p-24f);
  EXPECT_TRUE(std::signbit(gemmac_f16_to_f32_generic(0x8000)));
  EXPECT_EQ(gemmac_f16_to_f32_generic(0xfc00), -INFINITY);
}

TEST(QuantF16, RoundsToNearestEven) {
  // Every midpoint between neighbouring finite f16 values (exact in f32) goes
  // to the even one; a float ulp either side goes to the nearer one.
  size_t failures = 0;
  for (uint32_t h = 0; h < 0x7bff; ++h) {
    for (uint32_t sign : {0u, 0x8000u}) {
      const float a = gemmac_f16_to_f32_generic(static_cast<uint16_t>(h | sign));
      const float b = gemmac_f16_to_f32_generic(static_cast<uint16_t>((h + 1) | sign));
      const float mid = static_cast<float>((double(a) + b) / 2);
      const uint16_t even = static_cast<uint16_t>(((h & 1) ? h + 1 : h) | sign);
      const bool ok = gemmac_f32_to_f16_generic(mid) == even &&
                      gemmac_f32_to_f16_generic(std::nextafter(mid, a)) == (h | sign) &&
                      gemmac_f32_to_f16_generic(std::nextafter(mid, b)) == ((h + 1) | sign);
      if (!ok && failures++ < 5) ADD_FAILURE() << std::hex << "midpoint of f16 0x" << (h | sign);
    }
  }
  EXPECT_EQ(failures, 0u);
  EXPECT_EQ(gemmac_f32_to_f16_generic(65520.0f), 0x7c00);  // the midpoint above 65504 ties up to inf
  EXPECT_EQ(gemmac_f32_to_f16_generic(std::nextafter(65520.0f, 0.0f)), 0x7bff);
  EXPECT_EQ(gemmac_f32_to_f16_generic(-1e10f), 0xfc00);
  EXPECT_EQ(gemmac_f32_to_f16_generic(INFINITY), 0x7c00);
  EXPECT_EQ(gemmac_f32_to_f16_generic(0x1p-25f), 0x0000);  // half the smallest subnormal: ties to 0
  EXPECT_EQ(gemmac_f32_to_f16_generic(-1e-30f), 0x8000);
  EXPECT_TRUE(isF16Nan(gemmac_f32_to_f16_generic(NAN)));
}

void putF16(std::vector<uint8_t>& w, size_t offset, uint16_t h) {
  w[offset] = static_cast<uint8_t>(h);
  w[offset + 1] = static_cast<uint8_t>(h >> 8);
}

TEST(QuantDequantize, Q4MatchesHandComputedElements) {
  const size_t n = 3, k = 64;
  std::vector<uint8_t> w(gemmac_q4g32_bytes(n, k), 0x88);  // every level 0
  // Row 1, group 1, byte 3: input 32 + 3 has level 0x2 - 8 = -6, input 32 + 16 + 3
  // has level 0xa - 8 = 2; the group's scale (index 1 * 2 + 1) is 0.25.
  w[(1 * 2 + 1) * 16 + 3] = 0xa2;
  putF16(w, n * k / 2 + 2 * (1 * 2 + 1), 0x3400);
  std::vector<float> row(k, -1.0f);
  gemmac_dequantize_row_q4g32_generic(w.data(), n, k, 1, 2.0f, row.data());
  for (size_t i = 0; i < k; ++i) {
    const float want = i == 35 ? -6 * 0.25f * 2 : i == 51 ? 2 * 0.25f * 2 : 0.0f;
    EXPECT_EQ(row[i], want) << "input " << i;
  }
}

TEST(QuantDequantize, Q8MatchesHandComputedElements) {
  const size_t n = 2, k = 96;
  std::vector<uint8_t> w(gemmac_q8g32_bytes(n, k), 0);
  w[1 * k + 40] = static_cast<uint8_t>(-100);  // row 1, input 40: group 1
  w[1 * k + 95] = 127;                         // row 1, input 95: group 2
  putF16(w, n * k + 2 * (1 * 3 + 1), 0xb800);  // -0.5
  putF16(w, n * k + 2 * (1 * 3 + 2), 0x0001);  // 2^-24
  std::vector<float> row(k, -1.0f);
  gemmac_dequantize_row_q8g32_generic(w.data(), n, k, 1, 1.0f, row.data());
  for (size_t i = 0; i < k; ++i) {
    const float want = i == 40 ? 50.0f : i == 95 ? 127 * 0x1p-24f : 0.0f;
    EXPECT_EQ(row[i], want) << "input " << i;
  }
}

struct Variant {
  std::string name;
  gemmac_linear_q_fn q4, q8;
  bool supported;
  // Set when the variant reads its own layout: repacks the file's.
  void (*pack_q4)(const uint8_t* w, size_t n, size_t k, uint8_t* out) = nullptr;
  void (*pack_q8)(const uint8_t* w, size_t n, size_t k, uint8_t* out) = nullptr;
};

void PrintTo(const Variant& variant, std::ostream* os) { *os << variant.name; }
std::string variantName(const testing::TestParamInfo<Variant>& info) { return info.param.name; }

std::vector<Variant> variants() {
  std::vector<Variant> all = {{"generic", gemmac_linear_q4g32_generic, gemmac_linear_q8g32_generic, true}};
#if defined(__x86_64__)
  __builtin_cpu_init();
  all.push_back({"x86_avx2", gemmac_linear_q4g32_x86_avx2, gemmac_linear_q8g32_x86_avx2,
                 __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c")});
  all.push_back({"x86_avx512", gemmac_linear_q4g32_x86_avx512, gemmac_linear_q8g32_x86_avx512,
                 static_cast<bool>(__builtin_cpu_supports("avx512f"))});
#elif defined(__aarch64__)
  all.push_back({"arm64_neon", gemmac_linear_q4g32_arm64_neon, gemmac_linear_q8g32_arm64_neon, true});
#endif
  return all;
}

// A random weight: random levels, scales of both signs over a wide range
// (including 0 and f16 subnormals).
std::vector<uint8_t> randomWeight(bool q8, size_t n, size_t k, std::mt19937& rng) {
  std::vector<uint8_t> w(q8 ? gemmac_q8g32_bytes(n, k) : gemmac_q4g32_bytes(n, k));
  const size_t levels = q8 ? n * k : n * k / 2;
  for (size_t i = 0; i < levels; ++i) w[i] = static_cast<uint8_t>(rng());
  std::uniform_real_distribution<float> exponent(-26.0f, 2.0f);
  for (size_t g = 0; g < n * k / GEMMAC_QUANT_GROUP; ++g) {
    float s = std::exp2(exponent(rng)) * (rng() % 2 ? 1.0f : -1.0f);
    if (rng() % 50 == 0) s = 0.0f;
    putF16(w, levels + 2 * g, gemmac_f32_to_f16_generic(s));
  }
  return w;
}

// W[j, i] = level * scale as the format defines them, decoded independently
// of the kernels.
float scaleAt(bool q8, const std::vector<uint8_t>& w, size_t n, size_t k, size_t j, size_t group) {
  const size_t g = j * k / GEMMAC_QUANT_GROUP + group;
  const size_t levels = q8 ? n * k : n * k / 2;
  return gemmac_f16_to_f32_generic(static_cast<uint16_t>(w[levels + 2 * g] | w[levels + 2 * g + 1] << 8));
}

int levelAt(bool q8, const std::vector<uint8_t>& w, size_t n, size_t k, size_t j, size_t i) {
  (void)n;
  if (q8) return static_cast<int8_t>(w[j * k + i]);
  const size_t g = j * k / GEMMAC_QUANT_GROUP + i / GEMMAC_QUANT_GROUP, b = i % GEMMAC_QUANT_GROUP;
  const uint8_t byte = w[g * 16 + b % 16];
  return (b < 16 ? byte & 0xf : byte >> 4) - 8;
}

float weightAt(bool q8, const std::vector<uint8_t>& w, size_t n, size_t k, size_t j, size_t i) {
  return static_cast<float>(levelAt(q8, w, n, k, j, i)) * scaleAt(q8, w, n, k, j, i / GEMMAC_QUANT_GROUP);
}

struct Shape {
  size_t n, k, m, n_begin, n_end, pad;
};

std::string describe(bool q8, const Shape& s) {
  return std::string(q8 ? "q8g32" : "q4g32") + " n=" + std::to_string(s.n) + " k=" + std::to_string(s.k) +
         " m=" + std::to_string(s.m) + " [" + std::to_string(s.n_begin) + ", " + std::to_string(s.n_end) + ")";
}

// |got - want| over the bound of f32 summation, 2e-6 * magnitude (the sum of
// the terms' magnitudes); infinite for a NaN.
double errorOverBound(double got, double want, double magnitude) {
  return std::isnan(got) ? INFINITY : std::abs(got - want) / (2e-6 * magnitude + 1e-30);
}

// The columns past each token's `width` outputs keep the sentinel.
void expectPaddingKept(const std::vector<float>& out, size_t m, size_t width, size_t stride, float sentinel) {
  for (size_t t = 0; t < m; ++t)
    for (size_t c = width; c < stride; ++c) EXPECT_EQ(out[t * stride + c], sentinel) << "padding written";
}

class QuantLinear : public ::testing::TestWithParam<Variant> {};

TEST_P(QuantLinear, MatchesDoubleReference) {
  const Variant& variant = GetParam();
  if (!variant.supported) GTEST_SKIP() << "this CPU lacks the features of " << variant.name;
  // Ranges start and end inside row tiles, k covers 1..129 groups (beyond
  // one 64-group chunk of scales and one 2048-input decode chunk), m covers the
  // token tiles with and without an odd last token, and n = 300 at k = 2048
  // spans two L2 row chunks.
  std::vector<Shape> shapes;
  for (size_t k : {32, 96, 160, 640})
    for (size_t m : {1, 2, 3, 5, 17}) shapes.push_back({45, k, m, 3, 43, 5});
  shapes.push_back({45, 640, 4, 0, 45, 0});
  shapes.push_back({45, 640, 1, 9, 10, 2});
  shapes.push_back({45, 640, 2, 20, 20, 1});
  shapes.push_back({300, 2048, 7, 1, 299, 3});
  shapes.push_back({300, 2048, 1, 5, 300, 0});
  shapes.push_back({11, 4128, 3, 2, 11, 1});
  shapes.push_back({11, 4128, 1, 0, 10, 1});
  const float kSentinel = 12345.0f;
  std::mt19937 rng(1234);
  for (bool q8 : {false, true}) {
    for (const Shape& s : shapes) {
      SCOPED_TRACE(describe(q8, s));
      const std::vector<uint8_t> w = randomWeight(q8, s.n, s.k, rng);
      // Activations over a wide dynamic range: exactness must not depend on it.
      std::vector<float> x(s.m * s.k);
      std::normal_distribution<float> normal(0.0f, 1.0f);
      std::uniform_real_distribution<float> exponent(-20.0f, 20.0f);
      for (float& v : x) v = normal(rng) * std::exp2(exponent(rng));

      const size_t width = s.n_end - s.n_begin, stride = width + s.pad;
      std::vector<float> out(s.m * stride, kSentinel);
      (q8 ? variant.q8 : variant.q4)(w.data(), s.n, s.k, x.data(), s.m, s.n_begin, s.n_end, out.data(), stride);

      double worst = 0;  // error / bound
      for (size_t j = s.n_begin; j < s.n_end; ++j) {
        std::vector<double> row(s.k);
        for (size_t i = 0; i < s.k; ++i) row[i] = weightAt(q8, w, s.n, s.k, j, i);
        for (size_t t = 0; t < s.m; ++t) {
          double want = 0, magnitude = 0;
          for (size_t i = 0; i < s.k; ++i) {
            want += row[i] * x[t * s.k + i];
            magnitude += std::abs(row[i] * x[t * s.k + i]);
          }
          worst = std::max(worst, errorOverBound(out[t * stride + (j - s.n_begin)], want, magnitude));
        }
      }
      EXPECT_LE(worst, 1.0) << "largest error / bound";
      expectPaddingKept(out, s.m, width, stride, kSentinel);
    }
  }
}

// A one-hot input picks one weight out of every row, so the product is that
// weight, exactly: level * scale is exact in f32 whichever way a variant
// unpacks it (all levels, scales of both signs, zero and f16 subnormals).
TEST_P(QuantLinear, OneHotInputsGiveExactWeights) {
  const Variant& variant = GetParam();
  if (!variant.supported) GTEST_SKIP() << "this CPU lacks the features of " << variant.name;
  const size_t n = 9, k = 64;
  // (tokens, input of token 0; token t picks the next input): k + 1 tokens run
  // the prefill tiles and an odd last token, then each input alone decode.
  std::vector<std::pair<size_t, size_t>> calls = {{k + 1, 0}};
  for (size_t i = 0; i < k; ++i) calls.push_back({1, i});
  std::mt19937 rng(99);
  for (bool q8 : {false, true}) {
    const std::vector<uint8_t> w = randomWeight(q8, n, k, rng);
    size_t failures = 0;
    for (auto [m, first] : calls) {
      std::vector<float> x(m * k, 0.0f), out(m * n);
      for (size_t t = 0; t < m; ++t) x[t * k + (first + t) % k] = 1.0f;
      (q8 ? variant.q8 : variant.q4)(w.data(), n, k, x.data(), m, 0, n, out.data(), n);
      for (size_t t = 0; t < m; ++t)
        for (size_t j = 0; j < n; ++j) {
          const size_t i = (first + t) % k;
          if (out[t * n + j] != weightAt(q8, w, n, k, j, i) && failures++ < 5)
            ADD_FAILURE() << (q8 ? "q8g32" : "q4g32") << " m=" << m << " W[" << j << ", " << i
                          << "] = " << weightAt(q8, w, n, k, j, i) << ", product " << out[t * n + j];
        }
    }
    EXPECT_EQ(failures, 0u) << (q8 ? "q8g32" : "q4g32");
  }
}

INSTANTIATE_TEST_SUITE_P(Quant, QuantLinear, ::testing::ValuesIn(variants()),
                         variantName);

}  // namespace

namespace {

// ---- Int8 activations: the definition of kernels.h, and every variant of it.

TEST(QuantInt8, QuantizesAGroupByHand) {
  // absmax 127: the scale is 1 and q = rne(x) (ties to even).
  float x[GEMMAC_QUANT_GROUP] = {127.0f, 0.5f, 1.5f, 2.5f, -2.5f, -0.5f, 3.49f, -127.0f, -126.51f, 1e-30f};
  const int8_t want[GEMMAC_QUANT_GROUP] = {127, 0, 2, 2, -2, 0, 3, -127, -127, 0};
  int8_t q[GEMMAC_QUANT_GROUP];
  EXPECT_EQ(gemmac_quantize_group_int8(x, q), 1.0f);
  for (size_t i = 0; i < GEMMAC_QUANT_GROUP; ++i) EXPECT_EQ(q[i], want[i]) << "input " << i;
  // The largest magnitude maps to +-127 whatever the scale; zeros stay zeros.
  for (size_t i = 0; i < GEMMAC_QUANT_GROUP; ++i) x[i] = i == 5 ? -3e-7f : 1e-7f * static_cast<float>(i % 3);
  EXPECT_EQ(gemmac_quantize_group_int8(x, q), 3e-7f / 127.0f);
  EXPECT_EQ(q[5], -127);
  EXPECT_EQ(q[1], 42);  // 1e-7 / 3e-7 * 127 = 42.33
  EXPECT_EQ(q[0], 0);
  for (float& v : x) v = 0.0f;
  EXPECT_EQ(gemmac_quantize_group_int8(x, q), 0.0f);
  for (size_t i = 0; i < GEMMAC_QUANT_GROUP; ++i) EXPECT_EQ(q[i], 0);
}

// The int8-activation variants, as Variant (the same contract's functions).
std::vector<Variant> int8Variants() {
  std::vector<Variant> all = {
      {"generic", gemmac_linear_q4g32_int8act_generic, gemmac_linear_q8g32_int8act_generic, true}};
#if defined(__x86_64__)
  __builtin_cpu_init();
  all.push_back({"x86_avx512vnni_tiles", gemmac_linear_q4g32_int8tiles_x86_avx512vnni,
                 gemmac_linear_q8g32_int8tiles_x86_avx512vnni,
                 __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                     __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni"),
                 gemmac_int8_tiles_pack_q4g32, gemmac_int8_tiles_pack_q8g32});
#endif
  return all;
}

// The variant's product of w (the file's layout; repacked first when the
// variant reads int8 tiles).
void runInt8(const Variant& variant, bool q8, const std::vector<uint8_t>& w, size_t n, size_t k, const float* x,
             size_t m, size_t n_begin, size_t n_end, float* out, size_t out_stride) {
  std::vector<uint8_t> tiles;
  const uint8_t* weights = w.data();
  if (auto pack = q8 ? variant.pack_q8 : variant.pack_q4) {
    tiles.resize(gemmac_int8_tiles_bytes(q8, n, k));
    pack(w.data(), n, k, tiles.data());
    weights = tiles.data();
  }
  (q8 ? variant.q8 : variant.q4)(weights, n, k, x, m, n_begin, n_end, out, out_stride);
}

// Every byte of the int8 tiles where kernels.h puts it, from the file's
// layout: two tiles, the second with 5 rows (11 missing: zeros), 3 groups.
TEST(QuantInt8Tiles, PackPutsEveryByteWhereTheLayoutSays) {
  const size_t n = 21, k = 96, groups = 3;
  std::mt19937 rng(5);
  for (bool q8 : {false, true}) {
    const std::vector<uint8_t> w = randomWeight(q8, n, k, rng);
    std::vector<uint8_t> tiles(gemmac_int8_tiles_bytes(q8, n, k), 0xee);
    ASSERT_EQ(tiles.size(), 2 * groups * (q8 ? 16 * 32 + 32 : 16 * 16 + 32));
    (q8 ? gemmac_int8_tiles_pack_q8g32 : gemmac_int8_tiles_pack_q4g32)(w.data(), n, k, tiles.data());
    const size_t group_bytes = q8 ? 32 : 16, levels = q8 ? n * k : n * k / 2;
    size_t failures = 0;
    auto expect = [&](size_t at, uint8_t want, const char* what, size_t j, size_t g, size_t b) {
      if (tiles[at] != want && failures++ < 5)
        ADD_FAILURE() << (q8 ? "q8g32 " : "q4g32 ") << what << " of row " << j << " group " << g << " byte " << b
                      << ": " << int(tiles[at]) << ", want " << int(want);
    };
    for (size_t t = 0; t < 2; ++t) {
      const size_t base = t * gemmac_int8_tile_bytes(q8, k);
      for (size_t r = 0; r < 16; ++r) {
        const size_t j = 16 * t + r;
        for (size_t g = 0; g < groups; ++g) {
          for (size_t b = 0; b < group_bytes; ++b) {
            const uint8_t level =
                j < n ? static_cast<uint8_t>(w[(j * groups + g) * group_bytes + b] ^ (q8 ? 0x80 : 0)) : 0;
            expect(base + g * 16 * group_bytes + b / 4 * 64 + 4 * r + b % 4, level, "level", j, g, b);
          }
          for (size_t b = 0; b < 2; ++b)
            expect(base + groups * 16 * group_bytes + (g * 16 + r) * 2 + b,
                   j < n ? w[levels + (j * groups + g) * 2 + b] : 0, "scale", j, g, b);
        }
      }
    }
    EXPECT_EQ(failures, 0u);
  }
}

class QuantInt8Linear : public ::testing::TestWithParam<Variant> {};

// Each variant against the definition evaluated here (the integer dot
// products, each group's two f32 multiplications, the terms summed in f32 in
// group order), bit for bit.
TEST_P(QuantInt8Linear, MatchesTheDefinition) {
  const Variant& variant = GetParam();
  if (!variant.supported) GTEST_SKIP() << "this CPU lacks the features of " << variant.name;
  // k: 1, 3, 5, 16, 20 (Gemma's 640), 22, 28, 65 and 129 groups (past a
  // 64-group packing chunk; scales read 8 groups at a time, the last ones
  // partial); row ranges that start and end inside a 16-row tile; m: every
  // token count of a pass and past it.
  std::vector<Shape> shapes;
  for (size_t m = 1; m <= 17; ++m) shapes.push_back({21, 640, m, 2, 19, 3});
  for (size_t k : {32, 96, 160, 512, 704, 896, 2080, 4128})
    for (size_t m : {1, 4, 16}) shapes.push_back({13, k, m, 1, 12, 2});
  shapes.push_back({800, 640, 33, 0, 800, 0});  // L2 row chunks (q4 736 rows, q8 400) and token passes
  const float kSentinel = 12345.0f;
  std::mt19937 rng(4321);
  for (bool q8 : {false, true}) {
    for (const Shape& s : shapes) {
      SCOPED_TRACE(describe(q8, s));
      const std::vector<uint8_t> w = randomWeight(q8, s.n, s.k, rng);
      std::vector<float> x(s.m * s.k);
      std::normal_distribution<float> normal(0.0f, 1.0f);
      std::uniform_real_distribution<float> exponent(-20.0f, 20.0f);
      for (size_t g = 0; g < x.size() / GEMMAC_QUANT_GROUP; ++g) {
        const float magnitude = std::exp2(exponent(rng));  // per group: each has its own scale
        for (size_t i = 0; i < GEMMAC_QUANT_GROUP; ++i) x[g * GEMMAC_QUANT_GROUP + i] = normal(rng) * magnitude;
      }
      const size_t groups = s.k / GEMMAC_QUANT_GROUP, width = s.n_end - s.n_begin, stride = width + s.pad;
      std::vector<int8_t> q(x.size());
      std::vector<float> scale_x(x.size() / GEMMAC_QUANT_GROUP);
      for (size_t g = 0; g < scale_x.size(); ++g)
        scale_x[g] = gemmac_quantize_group_int8(&x[g * GEMMAC_QUANT_GROUP], &q[g * GEMMAC_QUANT_GROUP]);

      std::vector<float> out(s.m * stride, kSentinel);
      runInt8(variant, q8, w, s.n, s.k, x.data(), s.m, s.n_begin, s.n_end, out.data(), stride);
      size_t failures = 0;
      for (size_t j = s.n_begin; j < s.n_end; ++j)
        for (size_t t = 0; t < s.m; ++t) {
          float want = 0.0f;
          for (size_t g = 0; g < groups; ++g) {
            int64_t isum = 0;
            for (size_t i = g * GEMMAC_QUANT_GROUP; i < (g + 1) * GEMMAC_QUANT_GROUP; ++i)
              isum += levelAt(q8, w, s.n, s.k, j, i) * q[t * s.k + i];
            // One operation a statement: nothing for the compiler to fuse.
            const float term = static_cast<float>(isum) * (scaleAt(q8, w, s.n, s.k, j, g) * scale_x[t * groups + g]);
            want += term;
          }
          const float got = out[t * stride + (j - s.n_begin)];
          if (got != want && failures++ < 5) ADD_FAILURE() << "token " << t << " row " << j << ": " << got << ", want " << want;
        }
      EXPECT_EQ(failures, 0u);
      expectPaddingKept(out, s.m, width, stride, kSentinel);
    }
  }
}

// Unit scales and integer activations whose groups reach +-127 (so q = x):
// every product is an integer sum below 2^24, exact in f32 whatever the
// order, so the integer parts (unsigned levels and their offsets) must be exact.
TEST_P(QuantInt8Linear, IntegerProductsAreExact) {
  const Variant& variant = GetParam();
  if (!variant.supported) GTEST_SKIP() << "this CPU lacks the features of " << variant.name;
  const size_t n = 7, k = 672, m = 5;  // 21 groups: a whole block and a partial one
  std::mt19937 rng(7);
  for (bool q8 : {false, true}) {
    std::vector<uint8_t> w = randomWeight(q8, n, k, rng);
    const size_t levels = q8 ? n * k : n * k / 2;
    for (size_t g = 0; g < n * k / GEMMAC_QUANT_GROUP; ++g) putF16(w, levels + 2 * g, 0x3c00);  // 1.0
    std::vector<float> x(m * k);
    for (size_t i = 0; i < x.size(); ++i)
      x[i] = i % GEMMAC_QUANT_GROUP == 7 ? (i % 2 ? 127.0f : -127.0f) : static_cast<float>(int(rng() % 255) - 127);
    std::vector<float> out(m * n);
    runInt8(variant, q8, w, n, k, x.data(), m, 0, n, out.data(), n);
    size_t failures = 0;
    for (size_t t = 0; t < m; ++t)
      for (size_t j = 0; j < n; ++j) {
        int64_t want = 0;
        for (size_t i = 0; i < k; ++i) want += levelAt(q8, w, n, k, j, i) * static_cast<int64_t>(x[t * k + i]);
        if (out[t * n + j] != static_cast<float>(want) && failures++ < 5)
          ADD_FAILURE() << (q8 ? "q8g32" : "q4g32") << " token " << t << " row " << j << ": " << out[t * n + j]
                        << ", want " << want;
      }
    EXPECT_EQ(failures, 0u);
  }
}

// A token's results depend on its row only, bit for bit: the same whether
// it runs alone or in any place of a tile of other tokens.
TEST_P(QuantInt8Linear, TokensDoNotDependOnEachOther) {
  const Variant& variant = GetParam();
  if (!variant.supported) GTEST_SKIP() << "this CPU lacks the features of " << variant.name;
  const size_t n = 37, k = 640, m = 17;
  std::mt19937 rng(11);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (bool q8 : {false, true}) {
    const std::vector<uint8_t> w = randomWeight(q8, n, k, rng);
    std::vector<float> x(m * k), together(m * n), alone(n);
    for (float& v : x) v = normal(rng);
    runInt8(variant, q8, w, n, k, x.data(), m, 0, n, together.data(), n);
    size_t differences = 0;
    for (size_t t = 0; t < m; ++t) {
      runInt8(variant, q8, w, n, k, x.data() + t * k, 1, 0, n, alone.data(), n);
      for (size_t j = 0; j < n; ++j) differences += alone[j] != together[t * n + j];
    }
    EXPECT_EQ(differences, 0u) << (q8 ? "q8g32" : "q4g32");
  }
}

INSTANTIATE_TEST_SUITE_P(Quant, QuantInt8Linear, ::testing::ValuesIn(int8Variants()),
                         variantName);

}  // namespace
