// The grammar C API on a tiny random model with the real Gemma 3 tokenizer
// (vocabulary cut to its first 1024 ids, which hold the byte pieces): errors
// with their places, generation that follows the grammar and ends by itself,
// and the status when the token budget runs out first.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "gemmac/gemmac.h"
#include "test/unit/runtime/tiny_model.h"

namespace {

class GrammarApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    gemmac::test::TinyConfig config;
    config.vocab = 1024;
    config.max_context = 64;
    gemmac::test::ModelSpec spec = gemmac::test::makeTinyModel(config);
    spec.stop_ids = {1};
    spec.tokenizer = gemmac::test::referenceTokenizer(config.vocab);
    std::string path = gemmac::test::writeTempFile("grammar.gmf", gemmac::test::serialize(spec));
    ASSERT_EQ(gemmac_model_load(path.c_str(), &model_), nullptr);
    gemmac_session_options options;
    gemmac_session_options_init(&options);
    options.num_threads = 1;
    ASSERT_EQ(gemmac_session_create(model_, &options, &session_), nullptr);
  }
  void TearDown() override {
    gemmac_grammar_free(grammar_);
    gemmac_session_free(session_);
    gemmac_model_free(model_);
  }

  /// The failure's code and message ("" and GEMMAC_OK on success).
  static std::pair<gemmac_status_code, std::string> outcome(gemmac_status status) {
    std::pair<gemmac_status_code, std::string> result{gemmac_status_get_code(status),
                                                      gemmac_status_get_message(status)};
    gemmac_status_free(status);
    return result;
  }

  std::pair<gemmac_status_code, std::string> fromGbnf(const std::string& text) {
    gemmac_grammar_free(grammar_);
    grammar_ = nullptr;
    return outcome(gemmac_grammar_create_from_gbnf(model_, text.data(), text.size(), &grammar_));
  }

  /// Generates greedily under grammar_ from BOS; the text, and the call's outcome.
  std::string generate(int32_t max_new_tokens, std::pair<gemmac_status_code, std::string>* result,
                       size_t* count = nullptr) {
    gemmac_generate_options options;
    gemmac_generate_options_init(&options);
    options.max_new_tokens = max_new_tokens;
    options.grammar = grammar_;
    std::vector<int32_t> ids(64);
    size_t n = 0;
    const int32_t prompt[] = {2};
    gemmac_session_reset(session_);
    *result = outcome(gemmac_session_generate(session_, prompt, 1, &options, ids.data(), ids.size(), &n));
    if (count) *count = n;
    size_t length = 0;
    std::string text(256, '\0');
    EXPECT_EQ(gemmac_model_detokenize(model_, ids.data(), n, text.data(), text.size(), &length), nullptr);
    text.resize(length);
    return text;
  }

  gemmac_model* model_ = nullptr;
  gemmac_session* session_ = nullptr;
  gemmac_grammar* grammar_ = nullptr;
};

TEST_F(GrammarApiTest, ErrorsNameTheirPlace) {
  const std::string schema = R"({"properties": {"a": {"type": "strin"}}})";
  gemmac_grammar* grammar = nullptr;
  auto [code, message] =
      outcome(gemmac_grammar_create_from_json_schema(model_, schema.data(), schema.size(), &grammar));
  EXPECT_EQ(code, GEMMAC_INVALID_ARGUMENT);
  EXPECT_EQ(message, "JSON schema /properties/a/type: unknown type 'strin'");
  EXPECT_EQ(grammar, nullptr);
  const std::string regex = R"({"type": "string", "pattern": "a+"})";
  EXPECT_EQ(outcome(gemmac_grammar_create_from_json_schema(model_, regex.data(), regex.size(), &grammar)).first,
            GEMMAC_UNIMPLEMENTED);
  EXPECT_EQ(fromGbnf("root ::= \"a\" | b\n"),
            std::make_pair(GEMMAC_INVALID_ARGUMENT, std::string("grammar 1:16: rule 'b' is used but never defined")));
  EXPECT_EQ(outcome(gemmac_grammar_create_from_gbnf(nullptr, "", 0, &grammar)).first, GEMMAC_INVALID_ARGUMENT);
}

TEST_F(GrammarApiTest, GenerationFollowsTheGrammarAndEndsByItself) {
  ASSERT_EQ(fromGbnf("root ::= \"<\" [0-9]{2} (\"!\" | \"?\")\n").first, GEMMAC_OK);
  std::pair<gemmac_status_code, std::string> result;
  size_t count = 0;
  std::string text = generate(20, &result, &count);
  EXPECT_EQ(result.first, GEMMAC_OK) << result.second;
  ASSERT_EQ(text.size(), 4u) << text;
  EXPECT_EQ(text[0], '<');
  EXPECT_TRUE(text[1] >= '0' && text[1] <= '9' && text[2] >= '0' && text[2] <= '9');
  EXPECT_TRUE(text[3] == '!' || text[3] == '?');
  gemmac_grammar_stats stats;
  ASSERT_EQ(gemmac_grammar_get_stats(grammar_, &stats), nullptr);
  EXPECT_EQ(stats.tokens, static_cast<int64_t>(count));
  EXPECT_GE(stats.masks, 1);  // a random model's argmax is rarely a digit
}

TEST_F(GrammarApiTest, BudgetRunningOutIsReported) {
  ASSERT_EQ(fromGbnf("root ::= \"<\" [0-9]{2} (\"!\" | \"?\")\n").first, GEMMAC_OK);
  std::pair<gemmac_status_code, std::string> result;
  size_t count = 0;
  std::string text = generate(2, &result, &count);
  EXPECT_EQ(result.first, GEMMAC_OUT_OF_RANGE);
  EXPECT_NE(result.second.find("max_new_tokens ran out"), std::string::npos) << result.second;
  EXPECT_EQ(count, 2u);  // the unfinished tokens are still reported
  EXPECT_EQ(text.substr(0, 1), "<");
}

}  // namespace
