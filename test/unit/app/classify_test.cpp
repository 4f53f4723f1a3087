// gemmac_session_classify on tiny random models: its probabilities equal the
// same quantity computed from full-vocabulary logits (gemmac_session_prefill)
// within 1e-5 for single-token labels, multi-token labels sharing prefixes and
// labels that are prefixes of each other, on bf16, f32 and q4g32 heads with and
// without a final softcap; the session holds exactly the prompt afterwards
// (its next logits are those of a plain prefill, across ring-cache wraps); bad
// input fails before anything runs.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "gemmac/gemmac.h"
#include "test/unit/runtime/tiny_model.h"

namespace {

using Ids = std::vector<int32_t>;

void expectOk(gemmac_status status) {
  EXPECT_EQ(status, nullptr) << gemmac_status_get_message(status);
  gemmac_status_free(status);
}

void expectFails(gemmac_status status, gemmac_status_code code, const char* needle) {
  ASSERT_NE(status, nullptr);
  EXPECT_EQ(gemmac_status_get_code(status), code) << gemmac_status_get_message(status);
  EXPECT_NE(std::string(gemmac_status_get_message(status)).find(needle), std::string::npos)
      << gemmac_status_get_message(status);
  gemmac_status_free(status);
}

struct Variant {
  const char* name;
  bool f32 = false, q4 = false;
  float softcap = 0.0f;
};

class ClassifyTest : public ::testing::TestWithParam<Variant> {
 protected:
  void SetUp() override {
    gemmac::test::TinyConfig config;
    config.f32_weights = GetParam().f32;
    config.q4_weights = GetParam().q4;
    vocab_ = config.vocab;
    gemmac::test::ModelSpec spec = gemmac::test::makeTinyModel(config);
    for (gemmac::test::OpSpec& op : spec.ops)
      if (op.kind == gemmac::schema::OpKind::LogitsOp) op.softcap = GetParam().softcap;
    path_ = gemmac::test::writeTempFile("classify.gmf", gemmac::test::serialize(spec));
    expectOk(gemmac_model_load(path_.c_str(), &model_));
  }
  void TearDown() override {
    gemmac_model_free(model_);
    std::remove(path_.c_str());
  }

  gemmac_session* newSession(int32_t chunk = 4, int32_t max_context = 0) {
    gemmac_session_options options;
    gemmac_session_options_init(&options);
    options.prefill_chunk = chunk;  // the tiny model's window is 4: prompts wrap the ring caches
    options.max_context = max_context;
    options.num_threads = 1;
    gemmac_session* session = nullptr;
    expectOk(gemmac_session_create(model_, &options, &session));
    return session;
  }

  gemmac_status classify(gemmac_session* session, const Ids& prompt, const std::vector<Ids>& labels,
                         std::vector<float>* probabilities, std::vector<float>* log_probs) {
    std::vector<const int32_t*> ids;
    std::vector<size_t> lengths;
    for (const Ids& label : labels) {
      ids.push_back(label.data());
      lengths.push_back(label.size());
    }
    probabilities->assign(labels.size(), -1.0f);
    log_probs->assign(labels.size(), -1.0f);
    return gemmac_session_classify(session, prompt.data(), prompt.size(), ids.data(), lengths.data(), labels.size(),
                                   probabilities->data(), log_probs->data());
  }

  // The full-vocabulary logits after prompt + prefix, from a fresh session.
  std::vector<float> fullLogits(const Ids& prompt, const Ids& prefix) {
    gemmac_session* session = newSession();
    Ids ids = prompt;
    ids.insert(ids.end(), prefix.begin(), prefix.end());
    std::vector<float> logits(static_cast<size_t>(vocab_));
    expectOk(gemmac_session_prefill(session, ids.data(), ids.size(), logits.data()));
    gemmac_session_free(session);
    return logits;
  }

  // The definition of gemmac.h spelled out on full logits: at every prefix, the
  // softmax over the tokens some label continues it with.
  void oracle(const Ids& prompt, const std::vector<Ids>& labels, std::vector<double>* probabilities,
              std::vector<double>* log_probs) {
    std::map<Ids, std::set<int32_t>> next;
    for (const Ids& label : labels)
      for (size_t k = 0; k < label.size(); ++k) next[Ids(label.begin(), label.begin() + k)].insert(label[k]);
    log_probs->assign(labels.size(), 0.0);
    for (size_t i = 0; i < labels.size(); ++i)
      for (size_t k = 0; k < labels[i].size(); ++k) {
        const Ids prefix(labels[i].begin(), labels[i].begin() + k);
        const std::vector<float> logits = fullLogits(prompt, prefix);
        double sum = 0.0;
        for (int32_t t : next[prefix]) sum += std::exp(static_cast<double>(logits[t]));
        (*log_probs)[i] += logits[labels[i][k]] - std::log(sum);
      }
    double total = 0.0;
    for (double lp : *log_probs) total += std::exp(lp);
    probabilities->clear();
    for (double lp : *log_probs) probabilities->push_back(std::exp(lp) / total);
  }

  void expectMatchesOracle(const Ids& prompt, const std::vector<Ids>& labels) {
    gemmac_session* session = newSession();
    std::vector<float> probabilities, log_probs;
    expectOk(classify(session, prompt, labels, &probabilities, &log_probs));
    EXPECT_EQ(gemmac_session_get_position(session), prompt.size());
    gemmac_session_free(session);
    std::vector<double> want_probabilities, want_log_probs;
    oracle(prompt, labels, &want_probabilities, &want_log_probs);
    double worst = 0.0;
    for (size_t i = 0; i < labels.size(); ++i) {
      EXPECT_NEAR(probabilities[i], want_probabilities[i], 1e-5) << "label " << i;
      EXPECT_NEAR(log_probs[i], want_log_probs[i], 1e-5) << "label " << i;
      worst = std::max(worst, std::abs(probabilities[i] - want_probabilities[i]));
    }
    std::printf("%s: %zu labels, max |p - full-vocabulary p| %.2g\n", GetParam().name, labels.size(), worst);
  }

  int32_t vocab_ = 0;
  std::string path_;
  gemmac_model* model_ = nullptr;
  const Ids prompt_ = {2, 17, 33, 5, 71, 9, 40, 22, 13, 64, 8};  // 11 tokens: chunks of 4, ring wraps
};

TEST_P(ClassifyTest, SingleTokenLabelsEqualSoftmaxOverTheirFullLogits) {
  expectMatchesOracle(prompt_, {{3}, {50}, {77}, {12}});
}

TEST_P(ClassifyTest, MultiTokenLabelsWithSharedPrefixes) {
  expectMatchesOracle(prompt_, {{5, 7, 9}, {5, 7, 11}, {5, 8}, {12}, {5, 7, 13, 21}});
}

TEST_P(ClassifyTest, LabelsThatArePrefixesOfEachOther) {
  // {5} is a prefix of {5, 7}, which is a prefix of {5, 7, 9}: each is scored by its own tokens.
  expectMatchesOracle(prompt_, {{5}, {5, 7}, {5, 7, 9}, {30, 31}});
}

TEST_P(ClassifyTest, SessionHoldsThePromptAfterwards) {
  // Labels as long as a step (4 tokens) after a prompt that wrapped the rings.
  gemmac_session* session = newSession();
  std::vector<float> probabilities, log_probs;
  expectOk(gemmac_session_prefill(session, prompt_.data(), 5, nullptr));
  const Ids rest(prompt_.begin() + 5, prompt_.end());
  expectOk(classify(session, rest, {{1, 2, 3, 4}, {1, 2, 6, 7}, {9, 8, 7, 6}}, &probabilities, &log_probs));
  ASSERT_EQ(gemmac_session_get_position(session), prompt_.size());
  std::vector<float> after(static_cast<size_t>(vocab_)), expected = fullLogits(prompt_, {44, 45});
  const Ids next = {44, 45};
  expectOk(gemmac_session_prefill(session, next.data(), next.size(), after.data()));
  double worst = 0.0;
  for (int32_t v = 0; v < vocab_; ++v) worst = std::max(worst, std::abs(static_cast<double>(after[v] - expected[v])));
  EXPECT_LT(worst, 1e-5);
  gemmac_session_free(session);
}

INSTANTIATE_TEST_SUITE_P(Heads, ClassifyTest,
                         ::testing::Values(Variant{"bf16"}, Variant{"f32", true}, Variant{"q4g32", false, true},
                                           Variant{"q4g32 softcap", false, true, 5.0f},
                                           Variant{"bf16 softcap", false, false, 3.0f}),
                         [](const ::testing::TestParamInfo<Variant>& info) {
                           std::string name = info.param.name;
                           for (char& c : name)
                             if (c == ' ') c = '_';
                           return name;
                         });

class ClassifyErrorTest : public ClassifyTest {};

TEST_P(ClassifyErrorTest, BadInputFailsBeforeAnythingRuns) {
  gemmac_session* session = newSession(4, 16);
  const Ids prompt = {2, 7};
  expectOk(gemmac_session_prefill(session, prompt.data(), prompt.size(), nullptr));
  std::vector<float> p, lp;
  expectFails(classify(session, prompt, {}, &p, &lp), GEMMAC_INVALID_ARGUMENT, "no labels");
  expectFails(classify(session, prompt, {{3}, {}}, &p, &lp), GEMMAC_INVALID_ARGUMENT, "label 1 has no tokens");
  expectFails(classify(session, prompt, {{3, 4}, {5}, {3, 4}}, &p, &lp), GEMMAC_INVALID_ARGUMENT,
              "labels 0 and 2 are the same");
  expectFails(classify(session, prompt, {{3}, {4, 100}}, &p, &lp), GEMMAC_INVALID_ARGUMENT, "label 1");
  expectFails(classify(session, {2, -1}, {{3}}, &p, &lp), GEMMAC_INVALID_ARGUMENT, "the prompt");
  expectFails(classify(session, {}, {{3}}, &p, &lp), GEMMAC_INVALID_ARGUMENT, "no prompt tokens");
  expectFails(classify(session, prompt, {{1, 2, 3, 4, 5}}, &p, &lp), GEMMAC_INVALID_ARGUMENT, "prefill_chunk");
  // 2 held + 12 + 4 - 1 > 16.
  Ids longer = prompt_;
  longer.push_back(1);
  expectFails(classify(session, longer, {{1, 2, 3, 4}}, &p, &lp), GEMMAC_OUT_OF_RANGE, "do not fit the context");
  EXPECT_EQ(p[0], -1.0f);  // outputs untouched
  EXPECT_EQ(gemmac_session_get_position(session), prompt.size());
  const int32_t label[] = {1, 2, 3, 4};
  const int32_t* labels[] = {label};
  const size_t lengths[] = {4};
  expectFails(gemmac_session_classify(session, prompt.data(), 2, labels, lengths, 1, nullptr, nullptr),
              GEMMAC_INVALID_ARGUMENT, "out_probabilities");
  expectFails(gemmac_session_classify(nullptr, prompt.data(), 2, labels, lengths, 1, p.data(), nullptr),
              GEMMAC_INVALID_ARGUMENT, "NULL session");
  // Exactly full: 2 + 11 + 4 - 1 = 16 fits, with no log_probs asked for.
  expectOk(gemmac_session_classify(session, prompt_.data(), prompt_.size(), labels, lengths, 1, p.data(), nullptr));
  EXPECT_EQ(gemmac_session_get_position(session), prompt.size() + prompt_.size());
  EXPECT_FLOAT_EQ(p[0], 1.0f);
  gemmac_session_free(session);
}

INSTANTIATE_TEST_SUITE_P(Bf16, ClassifyErrorTest, ::testing::Values(Variant{"bf16"}));

TEST(ClassifyText, LabelsAreTokenizedAndCheckedBeforeAnythingRuns) {
  gemmac::test::TinyConfig config;
  config.vocab = 512;
  gemmac::test::ModelSpec spec = gemmac::test::makeTinyModel(config);
  spec.tokenizer = gemmac::test::referenceTokenizer(config.vocab);
  const std::string path = gemmac::test::writeTempFile("classify_text.gmf", gemmac::test::serialize(spec));
  gemmac_model* model = nullptr;
  expectOk(gemmac_model_load(path.c_str(), &model));
  gemmac_session* session = nullptr;
  expectOk(gemmac_session_create(model, nullptr, &session));
  float probabilities[2] = {-1.0f, -1.0f};
  const char* empty[] = {" yes", ""};
  expectFails(gemmac_session_classify_text(session, "Is it?", 0, empty, 2, probabilities, nullptr),
              GEMMAC_INVALID_ARGUMENT, "label 1 (\"\") tokenizes to nothing");
  const char* same[] = {" yes", " yes"};
  expectFails(gemmac_session_classify_text(session, "Is it?", 0, same, 2, probabilities, nullptr),
              GEMMAC_INVALID_ARGUMENT, "labels 0 and 1 are the same tokens");
  expectFails(gemmac_session_classify_text(session, nullptr, 0, same, 2, probabilities, nullptr),
              GEMMAC_INVALID_ARGUMENT, "NULL session, prompt or labels");
  EXPECT_EQ(probabilities[0], -1.0f);
  EXPECT_EQ(gemmac_session_get_position(session), 0u);
  gemmac_session_free(session);
  gemmac_model_free(model);
  std::remove(path.c_str());
}

}  // namespace
