// The generate loop on a tiny random model (core's test-only .gmf writer) with
// the reference tokenizer embedded: stop conditions, buffers, streaming, and
// that generation equals a hand-written prefill/argmax/decode loop.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "gemmac/gemmac.h"
#include "test/unit/runtime/tiny_model.h"

namespace {

constexpr int32_t kVocab = 512;  // the reference tokenizer cut to it keeps its byte pieces

class TinyGenerateTest : public ::testing::Test {
 protected:
  void SetUp() override { load({1}); }
  void TearDown() override {
    gemmac_session_free(session_);
    gemmac_model_free(model_);
  }

  void load(std::vector<int32_t> stop_ids) {
    gemmac_session_free(session_);
    gemmac_model_free(model_);
    gemmac::test::TinyConfig config;
    config.vocab = kVocab;
    gemmac::test::ModelSpec spec = gemmac::test::makeTinyModel(config);
    spec.stop_ids = std::move(stop_ids);
    spec.tokenizer = gemmac::test::referenceTokenizer(kVocab);
    std::string path = gemmac::test::writeTempFile("generate.gmf", gemmac::test::serialize(spec));
    expectOk(gemmac_model_load(path.c_str(), &model_));
    gemmac_session_options options;
    gemmac_session_options_init(&options);
    options.num_threads = 1;
    expectOk(gemmac_session_create(model_, &options, &session_));
  }

  static void expectOk(gemmac_status status) {
    EXPECT_EQ(status, nullptr) << gemmac_status_get_message(status);
    gemmac_status_free(status);
  }

  /// Greedy tokens by hand: prefill, then argmax and decode.
  std::vector<int32_t> manualGreedy(const std::vector<int32_t>& prompt, size_t n) {
    gemmac_session_reset(session_);
    std::vector<float> logits(kVocab);
    expectOk(gemmac_session_prefill(session_, prompt.data(), prompt.size(), logits.data()));
    std::vector<int32_t> ids;
    for (size_t i = 0; i < n; ++i) {
      int32_t best = 0;
      for (int32_t v = 1; v < kVocab; ++v)
        if (logits[v] > logits[best]) best = v;
      ids.push_back(best);
      expectOk(gemmac_session_decode(session_, best, logits.data()));
    }
    gemmac_session_reset(session_);
    return ids;
  }

  std::vector<int32_t> generate(const gemmac_generate_options& options, size_t capacity = 64,
                                size_t* count = nullptr) {
    std::vector<int32_t> ids(capacity, -1);
    size_t n = 0;
    expectOk(gemmac_session_generate(session_, prompt_.data(), prompt_.size(), &options,
                                     ids.data(), ids.size(), &n));
    if (count != nullptr) *count = n;
    ids.resize(std::min(n, capacity));
    return ids;
  }

  gemmac_model* model_ = nullptr;
  gemmac_session* session_ = nullptr;
  std::vector<int32_t> prompt_ = {2, 10, 11, 12};
};

gemmac_generate_options greedyOptions(int32_t max_new_tokens) {
  gemmac_generate_options options;
  gemmac_generate_options_init(&options);
  options.max_new_tokens = max_new_tokens;
  return options;
}

TEST_F(TinyGenerateTest, GreedyEqualsHandWrittenLoop) {
  std::vector<int32_t> expected = manualGreedy(prompt_, 8);
  load({});  // no stop ids: the comparison must not end early
  EXPECT_EQ(generate(greedyOptions(8)), expected);
  EXPECT_EQ(gemmac_session_get_position(session_), prompt_.size() + 8);
}

TEST_F(TinyGenerateTest, StopsOnStopIdWithoutReturningIt) {
  std::vector<int32_t> expected = manualGreedy(prompt_, 8);
  load({expected[3]});
  std::vector<int32_t> got = generate(greedyOptions(8));
  // The stop id may occur earlier than at step 3; generation ends at its first use.
  size_t first = std::find(expected.begin(), expected.end(), expected[3]) - expected.begin();
  EXPECT_EQ(got, std::vector<int32_t>(expected.begin(), expected.begin() + first));
}

int stopAfterTwo(void* user_data, int32_t, const char*, size_t) {
  return ++*static_cast<int*>(user_data) >= 2;
}

TEST_F(TinyGenerateTest, CallbackStopsAndCapacityTruncates) {
  load({});
  gemmac_generate_options options = greedyOptions(8);
  int calls = 0;
  options.on_token = stopAfterTwo;
  options.user_data = &calls;
  EXPECT_EQ(generate(options).size(), 2u);
  EXPECT_EQ(calls, 2);

  gemmac_session_reset(session_);
  size_t count = 0;
  std::vector<int32_t> few = generate(greedyOptions(6), 3, &count);
  EXPECT_EQ(count, 6u);
  EXPECT_EQ(few.size(), 3u);

  gemmac_session_reset(session_);
  EXPECT_TRUE(generate(greedyOptions(0)).empty());
}

TEST_F(TinyGenerateTest, SeededSamplingIsReproducible) {
  load({});
  gemmac_generate_options options = greedyOptions(10);
  options.sampler.temperature = 1.0f;
  options.sampler.top_p = 0.9f;
  options.sampler.seed = 77;
  std::vector<int32_t> first = generate(options);
  gemmac_session_reset(session_);
  EXPECT_EQ(generate(options), first);
}

TEST_F(TinyGenerateTest, InvalidArgumentsAreStatuses) {
  gemmac_generate_options options = greedyOptions(-1);
  gemmac_status status =
      gemmac_session_generate(session_, prompt_.data(), prompt_.size(), &options, nullptr, 0,
                              nullptr);
  EXPECT_EQ(gemmac_status_get_code(status), GEMMAC_INVALID_ARGUMENT);
  gemmac_status_free(status);

  options = greedyOptions(4);
  status = gemmac_session_generate(session_, prompt_.data(), 0, &options, nullptr, 0, nullptr);
  EXPECT_EQ(gemmac_status_get_code(status), GEMMAC_INVALID_ARGUMENT);
  gemmac_status_free(status);

  options.sampler.top_k = -3;
  status = gemmac_session_generate(session_, prompt_.data(), prompt_.size(), &options, nullptr, 0,
                                   nullptr);
  EXPECT_EQ(gemmac_status_get_code(status), GEMMAC_INVALID_ARGUMENT);
  gemmac_status_free(status);
}

}  // namespace
