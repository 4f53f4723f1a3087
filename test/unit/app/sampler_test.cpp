#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "gemmac/gemmac.h"

namespace {

struct Sampler {
  explicit Sampler(gemmac_sampler_options options) {
    gemmac_status status = gemmac_sampler_create(&options, &handle);
    EXPECT_EQ(status, nullptr) << gemmac_status_get_message(status);
    gemmac_status_free(status);
  }
  ~Sampler() { gemmac_sampler_free(handle); }
  int32_t sample(const std::vector<float>& logits) {
    int32_t id = -1;
    gemmac_status status = gemmac_sampler_sample(handle, logits.data(), logits.size(), &id);
    EXPECT_EQ(status, nullptr) << gemmac_status_get_message(status);
    gemmac_status_free(status);
    return id;
  }
  gemmac_sampler* handle = nullptr;
};

gemmac_sampler_options options(float temperature, int32_t top_k, float top_p, uint64_t seed) {
  gemmac_sampler_options o;
  gemmac_sampler_options_init(&o);
  o.temperature = temperature;
  o.top_k = top_k;
  o.top_p = top_p;
  o.seed = seed;
  return o;
}

std::vector<float> rampLogits(size_t n) {
  std::vector<float> logits(n);
  for (size_t i = 0; i < n; ++i) logits[i] = std::sin(static_cast<float>(i) * 0.37f) * 3.0f;
  return logits;
}

TEST(Sampler, GreedyTakesLowestIdOnTies) {
  Sampler greedy(options(0.0f, 0, 1.0f, 0));
  EXPECT_EQ(greedy.sample({1.0f, 5.0f, 2.0f, 5.0f}), 1);
  EXPECT_EQ(greedy.sample({-INFINITY, -3.0f, -3.0f}), 1);
}

// The logits are scanned 8 at a time in vector lanes, then a scalar tail: the
// maximum (and the first of a tie) is found in every lane and set, in the
// tail, and among -inf; a NaN or +inf is named by its place wherever it is.
TEST(Sampler, GreedyFindsTheMaximumInEveryPlace) {
  Sampler greedy(options(0.0f, 0, 1.0f, 0));
  const size_t vocab = 1003;  // 125 blocks of 8 and a tail of 3
  for (size_t at : {size_t{0}, size_t{3}, size_t{4}, size_t{7}, size_t{8}, size_t{511}, size_t{999}, size_t{1000},
                    size_t{1002}}) {
    std::vector<float> logits = rampLogits(vocab);
    logits[at] = 7.0f;
    EXPECT_EQ(greedy.sample(logits), static_cast<int32_t>(at));
    if (at + 1 < vocab) {
      logits[vocab - 1] = 7.0f;  // a tie after it: the lower id still wins
      EXPECT_EQ(greedy.sample(logits), static_cast<int32_t>(at));
    }
    std::vector<float> masked(vocab, -INFINITY);
    masked[at] = -1e30f;
    EXPECT_EQ(greedy.sample(masked), static_cast<int32_t>(at));
    for (float bad : {NAN, INFINITY}) {
      std::vector<float> broken = rampLogits(vocab);
      broken[at] = bad;
      int32_t id = -1;
      gemmac_status status = gemmac_sampler_sample(greedy.handle, broken.data(), vocab, &id);
      EXPECT_EQ(gemmac_status_get_code(status), GEMMAC_INVALID_ARGUMENT);
      EXPECT_NE(std::string(gemmac_status_get_message(status)).find("logit " + std::to_string(at) + " "),
                std::string::npos)
          << gemmac_status_get_message(status);
      gemmac_status_free(status);
    }
  }
}

TEST(Sampler, TopK1EqualsGreedy) {
  std::vector<float> logits = rampLogits(1000);
  Sampler greedy(options(0.0f, 0, 1.0f, 0));
  Sampler top1(options(1.5f, 1, 1.0f, 42));
  for (int i = 0; i < 10; ++i) EXPECT_EQ(top1.sample(logits), greedy.sample(logits));
}

TEST(Sampler, SameSeedSameTokens) {
  std::vector<float> logits = rampLogits(5000);
  Sampler a(options(0.8f, 40, 0.95f, 1234)), b(options(0.8f, 40, 0.95f, 1234));
  Sampler c(options(0.8f, 40, 0.95f, 1235));
  std::vector<int32_t> from_a, from_b, from_c;
  for (int i = 0; i < 50; ++i) {
    from_a.push_back(a.sample(logits));
    from_b.push_back(b.sample(logits));
    from_c.push_back(c.sample(logits));
  }
  EXPECT_EQ(from_a, from_b);
  EXPECT_NE(from_a, from_c);
}

TEST(Sampler, TopPKeepsSmallestPrefixWithTheMass) {
  // Probabilities 0.5, 0.3, 0.15, 0.05: top_p 0.75 keeps ids 0 and 1 only.
  std::vector<float> logits = {std::log(0.5f), std::log(0.3f), std::log(0.15f), std::log(0.05f)};
  Sampler sampler(options(1.0f, 0, 0.75f, 7));
  std::vector<int> counts(4);
  for (int i = 0; i < 2000; ++i) ++counts[sampler.sample(logits)];
  EXPECT_EQ(counts[2] + counts[3], 0);
  EXPECT_GT(counts[1], 0);
  EXPECT_NEAR(counts[0] / 2000.0, 0.5 / 0.8, 0.05);
}

TEST(Sampler, TopKLimitsCandidates) {
  std::vector<float> logits = {0.0f, 3.0f, 1.0f, 2.9f, -1.0f};
  Sampler sampler(options(5.0f, 2, 1.0f, 3));
  for (int i = 0; i < 500; ++i) {
    int32_t id = sampler.sample(logits);
    EXPECT_TRUE(id == 1 || id == 3) << id;
  }
}

TEST(Sampler, TemperatureFollowsSoftmax) {
  // At temperature 2 the probabilities are softmax(logits / 2).
  std::vector<float> logits = {2.0f, 0.0f, -2.0f};
  std::vector<double> expected(3);
  double total = 0;
  for (int i = 0; i < 3; ++i) total += expected[i] = std::exp(logits[i] / 2.0);
  Sampler sampler(options(2.0f, 0, 1.0f, 99));
  const int draws = 20000;
  std::vector<int> counts(3);
  for (int i = 0; i < draws; ++i) ++counts[sampler.sample(logits)];
  for (int i = 0; i < 3; ++i)
    EXPECT_NEAR(counts[i] / static_cast<double>(draws), expected[i] / total, 0.015) << i;
}

TEST(Sampler, StableWithHugeLogits) {
  Sampler sampler(options(1.0f, 0, 1.0f, 5));
  EXPECT_EQ(sampler.sample({1e30f, -1e30f, 1e30f - 1e25f}), 0);
}

TEST(Sampler, InvalidOptionsAndLogits) {
  gemmac_sampler* sampler = nullptr;
  for (gemmac_sampler_options bad :
       {options(1.0f, -1, 1.0f, 0), options(1.0f, 0, 0.0f, 0), options(1.0f, 0, 1.5f, 0),
        options(NAN, 0, 1.0f, 0), options(1.0f, 0, NAN, 0)}) {
    gemmac_status status = gemmac_sampler_create(&bad, &sampler);
    EXPECT_EQ(gemmac_status_get_code(status), GEMMAC_INVALID_ARGUMENT);
    EXPECT_EQ(sampler, nullptr);
    gemmac_status_free(status);
  }
  Sampler ok(options(1.0f, 0, 1.0f, 0));
  int32_t id = -1;
  std::vector<float> nan_logits = {0.0f, NAN};
  gemmac_status status = gemmac_sampler_sample(ok.handle, nan_logits.data(), 2, &id);
  EXPECT_EQ(gemmac_status_get_code(status), GEMMAC_INVALID_ARGUMENT);
  EXPECT_NE(std::string(gemmac_status_get_message(status)).find("logit 1"), std::string::npos);
  gemmac_status_free(status);
  status = gemmac_sampler_sample(ok.handle, nan_logits.data(), 0, &id);
  EXPECT_EQ(gemmac_status_get_code(status), GEMMAC_INVALID_ARGUMENT);
  gemmac_status_free(status);
  EXPECT_EQ(id, -1);
}

}  // namespace

namespace {

// min_p keeps the tokens with probability >= min_p x the top one's (before temperature).
TEST(Sampler, MinPDropsUnlikelyTokens) {
  const std::vector<float> logits = {2.0f, 2.0f + std::log(0.5f), 2.0f + std::log(0.25f), -INFINITY};
  gemmac_sampler_options o = options(5.0f, 0, 1.0f, 3);  // a high temperature flattens the rest
  o.min_p = 0.4f;
  Sampler sampler(o);
  std::vector<int> seen(logits.size());
  for (int i = 0; i < 400; ++i) ++seen[sampler.sample(logits)];
  EXPECT_GT(seen[0], 0);
  EXPECT_GT(seen[1], 0);
  EXPECT_EQ(seen[2], 0);
  EXPECT_EQ(seen[3], 0);

  o.min_p = 1.5f;
  gemmac_sampler* bad = nullptr;
  gemmac_status status = gemmac_sampler_create(&o, &bad);
  EXPECT_EQ(gemmac_status_get_code(status), GEMMAC_INVALID_ARGUMENT);
  gemmac_status_free(status);
}

}  // namespace
