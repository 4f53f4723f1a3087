// The app layer on the compiled v1 model against Hugging Face's reference: the
// embedded tokenizer, greedy generation through gemmac_session_generate, the
// decode-step logits, and gemmac-run's score output.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "gemmac/gemmac.h"
#include "test/support/json_reader.h"

namespace {

using gemmac::test::Json;

constexpr double kLogitTolerance = 1e-3;

#define ASSERT_OK(expr)                                                     \
  do {                                                                      \
    gemmac_status status_ = (expr);                                         \
    bool ok_ = status_ == nullptr;                                          \
    std::string message_ = gemmac_status_get_message(status_);              \
    gemmac_status_free(status_);                                            \
    ASSERT_TRUE(ok_) << #expr << ": " << message_;                          \
  } while (0)

class GenerateTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    reference_ = new Json(gemmac::test::readJsonFile(GEMMAC_REFERENCE_DIR "/logits/v1.json"));
    gemmac_status status = gemmac_model_load(GEMMAC_TEST_DATA_DIR "/v1.gmf", &model_);
    ASSERT_EQ(status, nullptr) << gemmac_status_get_message(status);
  }
  static void TearDownTestSuite() {
    gemmac_model_free(model_);
    delete reference_;
  }

  gemmac_session* newSession(int32_t max_context) {
    gemmac_session_options options;
    gemmac_session_options_init(&options);
    options.max_context = max_context;
    gemmac_session* session = nullptr;
    gemmac_status status = gemmac_session_create(model_, &options, &session);
    EXPECT_EQ(status, nullptr) << gemmac_status_get_message(status);
    gemmac_status_free(status);
    return session;
  }

  int32_t vocabSize() {
    gemmac_model_info info;
    gemmac_status status = gemmac_model_get_info(model_, &info);
    gemmac_status_free(status);
    return info.vocab_size;
  }

  static gemmac_model* model_;
  static Json* reference_;
};
gemmac_model* GenerateTest::model_ = nullptr;
Json* GenerateTest::reference_ = nullptr;

/// Each reference id's logit in `logits` matches the reference value.
void expectLogitsMatch(const std::vector<float>& logits, const std::vector<int32_t>& ids,
                       const std::vector<double>& values, const std::string& where) {
  for (size_t j = 0; j < ids.size(); ++j)
    EXPECT_NEAR(logits[static_cast<size_t>(ids[j])], values[j], kLogitTolerance)
        << where << ", id " << ids[j];
}

TEST_F(GenerateTest, EmbeddedTokenizerMatchesHuggingFace) {
  Json cases = gemmac::test::readJsonFile(GEMMAC_REFERENCE_DIR "/tokenizer/cases.json");
  for (const Json& c : cases.array) {
    const std::string& text = c["text"].string;
    size_t count = 0;
    ASSERT_OK(gemmac_model_tokenize(model_, text.data(), text.size(), nullptr, 0, &count));
    std::vector<int32_t> ids(count);
    ASSERT_OK(gemmac_model_tokenize(model_, text.data(), text.size(), ids.data(), ids.size(),
                                    &count));
    EXPECT_EQ(ids, c["ids"].asInts()) << text;
    size_t length = 0;
    ASSERT_OK(gemmac_model_detokenize(model_, ids.data(), ids.size(), nullptr, 0, &length));
    std::string decoded(length, '\0');
    ASSERT_OK(gemmac_model_detokenize(model_, ids.data(), ids.size(), decoded.data(), length,
                                      &length));
    EXPECT_EQ(decoded, text);
  }
}

struct Streamed {
  std::vector<int32_t> ids;
  std::string text;
};

int collect(void* user_data, int32_t id, const char* text, size_t length) {
  auto* streamed = static_cast<Streamed*>(user_data);
  streamed->ids.push_back(id);
  streamed->text.append(text, length);
  return 0;
}

TEST_F(GenerateTest, GreedyMatchesReferenceOnEveryPrompt) {
  const std::vector<float>::size_type vocab = static_cast<size_t>(vocabSize());
  for (const Json& prompt : (*reference_)["prompts"].array) {
    const std::string name = prompt["name"].string;
    std::vector<int32_t> ids = prompt["ids"].asInts();
    std::vector<int32_t> greedy = prompt["greedy"].asInts();
    const int32_t context = static_cast<int32_t>(ids.size() + greedy.size() + 8);

    // The generate loop, with streaming.
    gemmac_session* session = newSession(context);
    ASSERT_NE(session, nullptr);
    gemmac_generate_options options;
    gemmac_generate_options_init(&options);
    options.max_new_tokens = static_cast<int32_t>(greedy.size());
    Streamed streamed;
    options.on_token = collect;
    options.user_data = &streamed;
    std::vector<int32_t> generated(greedy.size());
    size_t count = 0;
    ASSERT_OK(gemmac_session_generate(session, ids.data(), ids.size(), &options,
                                      generated.data(), generated.size(), &count));
    generated.resize(std::min(count, generated.size()));
    EXPECT_EQ(generated, greedy) << name;
    EXPECT_EQ(streamed.ids, generated) << name;
    size_t length = 0;
    ASSERT_OK(gemmac_model_detokenize(model_, generated.data(), generated.size(), nullptr, 0,
                                      &length));
    std::string decoded(length, '\0');
    ASSERT_OK(gemmac_model_detokenize(model_, generated.data(), generated.size(), decoded.data(),
                                      decoded.size(), &length));
    EXPECT_EQ(decoded.compare(0, streamed.text.size(), streamed.text), 0)
        << name << ": streamed text is not a prefix of the decoded text";
    gemmac_session_free(session);

    // The same steps teacher-forced, to compare each step's top-8 logits.
    session = newSession(context);
    std::vector<float> logits(vocab);
    ASSERT_OK(gemmac_session_prefill(session, ids.data(), ids.size(), logits.data()));
    const Json& steps = prompt["greedy_topk"];
    for (size_t step = 0; step < steps.size(); ++step) {
      if (step > 0) ASSERT_OK(gemmac_session_decode(session, greedy[step - 1], logits.data()));
      expectLogitsMatch(logits, steps[step]["ids"].asInts(), steps[step]["logits"].asDoubles(),
                        name + " step " + std::to_string(step));
    }
    gemmac_session_free(session);
  }
}

TEST_F(GenerateTest, PromptLongerThanContextIsAClearError) {
  gemmac_session* session = newSession(16);
  ASSERT_NE(session, nullptr);
  std::vector<int32_t> ids(32, 10);
  ids[0] = 2;
  gemmac_generate_options options;
  gemmac_generate_options_init(&options);
  size_t count = 12345;
  gemmac_status status =
      gemmac_session_generate(session, ids.data(), ids.size(), &options, nullptr, 0, &count);
  EXPECT_EQ(gemmac_status_get_code(status), GEMMAC_OUT_OF_RANGE);
  EXPECT_STRNE(gemmac_status_get_message(status), "");
  EXPECT_EQ(count, 12345u);  // outputs untouched on failure
  gemmac_status_free(status);
  gemmac_session_free(session);
}

std::string runCommand(const std::string& command, int* exit_code) {
  std::string output;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return output;
  char buffer[4096];
  for (size_t n; (n = fread(buffer, 1, sizeof buffer, pipe)) > 0;) output.append(buffer, n);
  *exit_code = pclose(pipe);
  return output;
}

TEST_F(GenerateTest, ScoreToolMatchesReference) {
  const Json* shortPrompt = nullptr;
  for (const Json& prompt : (*reference_)["prompts"].array)
    if (prompt["name"].string == "short") shortPrompt = &prompt;
  ASSERT_NE(shortPrompt, nullptr);
  std::string ids;
  for (int32_t id : (*shortPrompt)["ids"].asInts())
    ids += (ids.empty() ? "" : ",") + std::to_string(id);
  int exit_code = -1;
  std::string output = runCommand(std::string(GEMMAC_RUN_PATH) + " score " GEMMAC_TEST_DATA_DIR
                                  "/v1.gmf --topk 8 --ids " + ids, &exit_code);
  ASSERT_EQ(exit_code, 0) << output;
  Json scored = gemmac::test::parseJson(output);
  const Json& ref_ids = (*shortPrompt)["topk_ids"];
  ASSERT_EQ(scored["topk_ids"].size(), ref_ids.size());
  for (size_t position = 0; position < ref_ids.size(); ++position) {
    std::vector<int32_t> got_ids = scored["topk_ids"][position].asInts();
    std::vector<double> got = scored["topk_logits"][position].asDoubles();
    std::vector<double> want = (*shortPrompt)["topk_logits"][position].asDoubles();
    std::vector<int32_t> want_ids = ref_ids[position].asInts();
    ASSERT_EQ(got.size(), want.size());
    for (size_t j = 0; j < want.size(); ++j) {
      // Sorted values agree even where near-ties swap the order of ids.
      EXPECT_NEAR(got[j], want[j], kLogitTolerance) << "position " << position << ", rank " << j;
      bool near_tie = (j > 0 && want[j - 1] - want[j] < kLogitTolerance) ||
                      (j + 1 < want.size() && want[j] - want[j + 1] < kLogitTolerance);
      if (!near_tie) EXPECT_EQ(got_ids[j], want_ids[j]) << "position " << position;
    }
    EXPECT_NEAR(scored["logsumexp"][position].number,
                (*shortPrompt)["logsumexp"][position].number, kLogitTolerance);
  }
}

TEST(GenerateToolTest, ScoreRejectsBadIdsWithoutOutput) {
  int exit_code = 0;
  std::string output = runCommand(std::string(GEMMAC_RUN_PATH) + " score " GEMMAC_TEST_DATA_DIR
                                  "/v1.gmf --ids 2,999999999 2>/dev/null", &exit_code);
  EXPECT_NE(exit_code, 0);
  EXPECT_EQ(output, "");
}

}  // namespace
