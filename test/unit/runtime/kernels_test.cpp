// Generic kernels against straightforward double-precision references.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "kernels.h"
#include "random_vector.h"

namespace {

double maxAbsError(const std::vector<float>& got, const std::vector<double>& want) {
  double error = 0;
  for (size_t i = 0; i < got.size(); ++i) error = std::max(error, std::abs(got[i] - want[i]));
  return error;
}

TEST(Kernels, Bf16ToF32IsExact) {
  const uint16_t in[] = {0x3f80, 0xc000, 0x0000, 0x8000, 0x7f80, 0x3e20};
  float out[6];
  gemmac_bf16_to_f32_generic(in, 6, out);
  EXPECT_EQ(out[0], 1.0f);
  EXPECT_EQ(out[1], -2.0f);
  EXPECT_EQ(out[2], 0.0f);
  EXPECT_TRUE(std::signbit(out[3]));
  EXPECT_TRUE(std::isinf(out[4]));
  EXPECT_EQ(out[5], 0.15625f);
}

TEST(Kernels, EmbedScalesRows) {
  std::vector<float> table = randomVector(5 * 8, 1);
  std::vector<uint16_t> table_bf16(table.size());
  for (size_t i = 0; i < table.size(); ++i) {
    uint32_t bits;
    memcpy(&bits, &table[i], 4);
    table_bf16[i] = static_cast<uint16_t>(bits >> 16);
  }
  const int32_t ids[] = {4, 0, 4};
  std::vector<float> out(3 * 8), out_bf16(3 * 8);
  gemmac_embed_f32_generic(table.data(), 8, ids, 3, 2.5f, out.data());
  gemmac_embed_bf16_generic(table_bf16.data(), 8, ids, 3, 2.5f, out_bf16.data());
  for (size_t t = 0; t < 3; ++t)
    for (size_t i = 0; i < 8; ++i) {
      EXPECT_EQ(out[t * 8 + i], table[ids[t] * 8 + i] * 2.5f);
      float widened;
      uint32_t bits = static_cast<uint32_t>(table_bf16[ids[t] * 8 + i]) << 16;
      memcpy(&widened, &bits, 4);
      EXPECT_EQ(out_bf16[t * 8 + i], widened * 2.5f);
    }
}

TEST(Kernels, RmsNormPerGroup) {
  const size_t rows = 3, width = 64, group = 16;
  std::vector<float> x = randomVector(rows * width, 2, 3.0f), w = randomVector(group, 3, 0.5f);
  std::vector<double> want(x.size());
  for (size_t s = 0; s < x.size(); s += group) {
    double ss = 0;
    for (size_t i = 0; i < group; ++i) ss += double(x[s + i]) * x[s + i];
    for (size_t i = 0; i < group; ++i) want[s + i] = x[s + i] / std::sqrt(ss / group + 1e-6) * (1.0 + w[i]);
  }
  std::vector<float> out(x.size());
  gemmac_rms_norm_generic(x.data(), w.data(), rows, width, group, 1e-6f, 1.0f, out.data());
  EXPECT_LT(maxAbsError(out, want), 2e-6);
  gemmac_rms_norm_generic(x.data(), w.data(), rows, width, group, 1e-6f, 1.0f, x.data());  // in place
  EXPECT_EQ(x, out);
}

TEST(Kernels, RopeRotateHalfAtLongPositions) {
  const size_t tokens = 4, head_dim = 32, width = 3 * head_dim;
  const int64_t first = 30000;  // large angles expose float angle arithmetic
  std::vector<float> x = randomVector(tokens * width, 4);
  std::vector<double> want(x.size());
  for (size_t t = 0; t < tokens; ++t)
    for (size_t h = 0; h < width; h += head_dim)
      for (size_t i = 0; i < head_dim / 2; ++i) {
        double angle = double(first + t) / std::pow(1e6, 2.0 * i / head_dim);
        size_t a = t * width + h + i, b = a + head_dim / 2;
        want[a] = x[a] * std::cos(angle) - x[b] * std::sin(angle);
        want[b] = x[b] * std::cos(angle) + x[a] * std::sin(angle);
      }
  std::vector<float> out(x.size());
  gemmac_rope_generic(x.data(), tokens, width, head_dim, first, 1e6, out.data());
  EXPECT_LT(maxAbsError(out, want), 1e-6);
}

TEST(Kernels, GeluTanhAndElementwise) {
  std::vector<float> a = randomVector(1000, 5, 3.0f), b = randomVector(1000, 6);
  std::vector<float> gelu(a.size()), sum(a.size()), product(a.size()), capped = a;
  std::vector<double> want_gelu(a.size()), want_cap(a.size());
  for (size_t i = 0; i < a.size(); ++i) {
    double x = a[i];
    want_gelu[i] = 0.5 * x * (1 + std::tanh(std::sqrt(2 / M_PI) * (x + 0.044715 * x * x * x)));
    want_cap[i] = 2.0 * std::tanh(x / 2.0);
  }
  gemmac_gelu_tanh_generic(a.data(), a.size(), gelu.data());
  gemmac_add_generic(a.data(), b.data(), a.size(), sum.data());
  gemmac_mul_generic(a.data(), b.data(), a.size(), product.data());
  gemmac_softcap_generic(capped.data(), capped.size(), 2.0f);
  EXPECT_LT(maxAbsError(gelu, want_gelu), 2e-6);
  EXPECT_LT(maxAbsError(capped, want_cap), 1e-6);
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(sum[i], a[i] + b[i]);
    EXPECT_EQ(product[i], a[i] * b[i]);
  }
}

// Attention from a ring buffer must equal plain masked attention over the sequence.
void checkAttention(int64_t window, float softcap) {
  const size_t heads = 4, kv_heads = 2, dim = 8, seq = 20, tokens = 5;
  const int64_t first = static_cast<int64_t>(seq - tokens);
  const size_t slots = window > 0 ? static_cast<size_t>(window) + tokens - 1 : seq;
  std::vector<float> q = randomVector(tokens * heads * dim, 7), k = randomVector(seq * kv_heads * dim, 8),
                     v = randomVector(seq * kv_heads * dim, 9);
  std::vector<float> k_cache(slots * kv_heads * dim), v_cache(k_cache.size());
  for (size_t s = 0; s < seq; ++s)  // later positions overwrite earlier ones, as in a session
    for (size_t i = 0; i < kv_heads * dim; ++i) {
      k_cache[(s % slots) * kv_heads * dim + i] = k[s * kv_heads * dim + i];
      v_cache[(s % slots) * kv_heads * dim + i] = v[s * kv_heads * dim + i];
    }
  std::vector<double> want(q.size(), 0.0);
  for (size_t t = 0; t < tokens; ++t)
    for (size_t h = 0; h < heads; ++h) {
      size_t pos = first + t, g = h / (heads / kv_heads);
      std::vector<double> p(seq, 0.0);
      double max_s = -1e300, sum = 0;
      for (size_t s = 0; s <= pos; ++s) {
        if (window > 0 && pos - s >= static_cast<size_t>(window)) continue;
        double dot = 0;
        for (size_t d = 0; d < dim; ++d) dot += double(q[(t * heads + h) * dim + d]) * k[(s * kv_heads + g) * dim + d];
        dot *= 0.3;
        if (softcap > 0) dot = softcap * std::tanh(dot / softcap);
        p[s] = dot;
        max_s = std::max(max_s, dot);
      }
      for (size_t s = 0; s <= pos; ++s) {
        if (window > 0 && pos - s >= static_cast<size_t>(window)) continue;
        p[s] = std::exp(p[s] - max_s);
        sum += p[s];
        for (size_t d = 0; d < dim; ++d) want[(t * heads + h) * dim + d] += p[s] * v[(s * kv_heads + g) * dim + d];
      }
      for (size_t d = 0; d < dim; ++d) want[(t * heads + h) * dim + d] /= sum;
    }
  gemmac_attention_params params{heads, kv_heads, dim, 0.3f, softcap, window, slots};
  std::vector<float> scores(slots), out(q.size());
  gemmac_attention_generic(&params, q.data(), tokens, first, k_cache.data(), v_cache.data(), scores.data(), out.data());
  EXPECT_LT(maxAbsError(out, want), 2e-6) << "window " << window << " softcap " << softcap;
}

TEST(Kernels, AttentionGlobal) { checkAttention(0, 0.0f); }
TEST(Kernels, AttentionSlidingWindowRing) { checkAttention(6, 0.0f); }
TEST(Kernels, AttentionSoftcap) { checkAttention(6, 1.5f); }

}  // namespace
