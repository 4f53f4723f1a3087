// v1 has no int4 grid (its weights are uniform random bf16), so int4 loses
// something there: how much, for the QAT-aware rounding (least-error scale per
// group) and for the plain Q4_0 rule, both against transformers' float64
// last-position logits of every reference prompt. The QAT-aware rule must be
// no worse than the naive one.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "gemmac/gemmac.h"
#include "test/support/json_reader.h"

namespace gemmac::test {
namespace {

struct Error {
  double rms = 0, max = 0;
};

// RMS and max |dlogit| of each prompt's last-position logits.
std::vector<Error> lastLogitErrors(const char* path, const Json& reference, const std::vector<float>& want) {
  gemmac_model* model = nullptr;
  gemmac_status status = gemmac_model_load(path, &model);
  EXPECT_EQ(status, nullptr) << gemmac_status_get_message(status);
  if (status) return {};
  gemmac_model_info info;
  gemmac_model_get_info(model, &info);
  const size_t vocab = static_cast<size_t>(info.vocab_size);
  std::vector<Error> errors;
  std::vector<float> logits(vocab);
  for (size_t p = 0; p < reference["prompts"].size(); ++p) {
    std::vector<int32_t> ids = reference["prompts"][p]["ids"].asInts();
    gemmac_session_options options;
    gemmac_session_options_init(&options);
    options.max_context = 2048;
    gemmac_session* session = nullptr;
    status = gemmac_session_create(model, &options, &session);
    EXPECT_EQ(status, nullptr) << gemmac_status_get_message(status);
    if (!status) status = gemmac_session_prefill(session, ids.data(), ids.size(), logits.data());
    EXPECT_EQ(status, nullptr) << gemmac_status_get_message(status);
    gemmac_session_free(session);
    Error error;
    for (size_t v = 0; v < vocab; ++v) {
      double diff = double(logits[v]) - want[p * vocab + v];
      error.rms += diff * diff;
      error.max = std::max(error.max, std::abs(diff));
    }
    error.rms = std::sqrt(error.rms / vocab);
    errors.push_back(error);
  }
  gemmac_model_free(model);
  return errors;
}

TEST(QuantizationError, QatAwareRoundingIsNoWorseThanNaiveOnV1) {
  Json reference = readJsonFile(GEMMAC_REFERENCE_DIR "/logits/v1.json");
  std::vector<float> want(reference["prompts"].size() * 262144);
  std::ifstream in(GEMMAC_REFERENCE_DIR "/logits/v1_last_logits.f32", std::ios::binary);
  in.read(reinterpret_cast<char*>(want.data()), static_cast<std::streamsize>(want.size() * 4));
  ASSERT_TRUE(in) << "cannot read v1_last_logits.f32";
  std::vector<Error> aware = lastLogitErrors(GEMMAC_E2E_V1_INT4_MODEL, reference, want);
  std::vector<Error> naive = lastLogitErrors(GEMMAC_E2E_V1_NAIVE_MODEL, reference, want);
  ASSERT_EQ(aware.size(), reference["prompts"].size());
  ASSERT_EQ(naive.size(), aware.size());
  double aware_total = 0, naive_total = 0;
  for (size_t p = 0; p < aware.size(); ++p) {
    std::printf("%-12s int4 qat-aware: rms %.4f max %.4f | naive Q4_0: rms %.4f max %.4f\n",
                reference["prompts"][p]["name"].string.c_str(), aware[p].rms, aware[p].max, naive[p].rms,
                naive[p].max);
    aware_total += aware[p].rms * aware[p].rms;
    naive_total += naive[p].rms * naive[p].rms;
  }
  EXPECT_LE(aware_total, naive_total);
}

}  // namespace
}  // namespace gemmac::test
