// A tiny Gemma 3 with q4g32 embedding and projections: the portable executor
// runs the quantized weights in place and gives the double-precision forward
// pass's logits (through prefill steps and decode steps, on several threads),
// and the loader refuses truncations of such a file.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <vector>

#include "gemmac/gemmac.h"
#include "tiny_model.h"

namespace gemmac::test {
namespace {

class QuantizedModelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_.q4_weights = true;
    spec_ = makeTinyModel(config_);
    bytes_ = serialize(spec_);
    path_ = writeTempFile("quantized.gmf", bytes_);
    gemmac_status status = gemmac_model_load(path_.c_str(), &model_);
    ASSERT_EQ(status, nullptr) << gemmac_status_get_message(status);
    for (int i = 0; i < 24; ++i) ids_.push_back((i * 41 + 7) % config_.vocab);
    reference_ = referenceForward(spec_, config_, ids_);
  }
  void TearDown() override {
    gemmac_model_free(model_);
    std::remove(path_.c_str());
  }

  double maxError(const std::vector<float>& logits, size_t first, size_t rows) const {
    double error = 0;
    for (size_t i = 0; i < rows * config_.vocab; ++i)
      error = std::max(error, std::abs(logits[i] - reference_[first * config_.vocab + i]));
    return error;
  }

  TinyConfig config_;
  ModelSpec spec_;
  std::vector<uint8_t> bytes_;
  std::string path_;
  gemmac_model* model_ = nullptr;
  std::vector<int32_t> ids_;
  std::vector<double> reference_;
};

TEST_F(QuantizedModelTest, PrefillAndDecodeMatchTheDoubleReference) {
  const size_t vocab = static_cast<size_t>(config_.vocab);
  for (int32_t threads : {1, 3}) {
    gemmac_session_options options;
    gemmac_session_options_init(&options);
    options.prefill_chunk = 8;
    options.num_threads = threads;
    gemmac_session* session = nullptr;
    ASSERT_EQ(gemmac_session_create(model_, &options, &session), nullptr);
    // Three prefill steps of 8, then the same positions again by decode steps.
    std::vector<float> logits(8 * vocab);
    double worst = 0;
    for (size_t first = 0; first < 16; first += 8) {
      ASSERT_EQ(gemmac_session_evaluate(session, &ids_[first], 8, logits.data()), nullptr);
      worst = std::max(worst, maxError(logits, first, 8));
    }
    for (size_t t = 16; t < ids_.size(); ++t) {
      ASSERT_EQ(gemmac_session_decode(session, ids_[t], logits.data()), nullptr);
      worst = std::max(worst, maxError(logits, t, 1));
    }
    gemmac_session_free(session);
    std::printf("threads %d: max |logit - double reference| %.2e\n", threads, worst);
    EXPECT_LT(worst, 1e-4) << threads << " threads";
  }
}

TEST_F(QuantizedModelTest, TruncationsAreRefused) {
  // Every 97th length: cuts through the FlatBuffer, the q4 levels and the scales alike.
  for (size_t length = 0; length < bytes_.size(); length += 97) {
    std::string path =
        writeTempFile("quantized-cut.gmf", std::vector<uint8_t>(bytes_.begin(), bytes_.begin() + length));
    gemmac_model* model = nullptr;
    gemmac_status status = gemmac_model_load(path.c_str(), &model);
    ASSERT_NE(status, nullptr) << "length " << length;
    EXPECT_EQ(gemmac_status_get_code(status), GEMMAC_DATA_LOSS) << gemmac_status_get_message(status);
    gemmac_status_free(status);
    std::remove(path.c_str());
  }
}

}  // namespace
}  // namespace gemmac::test
