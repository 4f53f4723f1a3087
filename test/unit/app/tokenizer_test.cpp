#include "llm/tokenizer.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "test/support/json_reader.h"

namespace gemmac {
namespace {

class TokenizerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::ifstream in(GEMMAC_REFERENCE_DIR "/tokenizer/tokenizer.model", std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    ASSERT_FALSE(bytes.empty());
    gemmac_status status = Tokenizer::create(bytes.data(), bytes.size(), &tokenizer_);
    ASSERT_EQ(status, nullptr) << gemmac_status_get_message(status);
  }
  static void TearDownTestSuite() { tokenizer_.reset(); }

  std::string decode(const std::vector<int32_t>& ids) {
    std::string text;
    gemmac_status status = tokenizer_->decode(ids.data(), ids.size(), &text);
    EXPECT_EQ(status, nullptr) << gemmac_status_get_message(status);
    gemmac_status_free(status);
    return text;
  }
  std::string streamDecode(const std::vector<int32_t>& ids) {
    StreamingDetokenizer stream(*tokenizer_);
    std::string text, piece;
    for (int32_t id : ids) {
      gemmac_status status = stream.push(id, &piece);
      EXPECT_EQ(status, nullptr) << gemmac_status_get_message(status);
      gemmac_status_free(status);
      text += piece;
    }
    return text + stream.finish();
  }

  static std::unique_ptr<Tokenizer> tokenizer_;
};
std::unique_ptr<Tokenizer> TokenizerTest::tokenizer_;

TEST_F(TokenizerTest, MatchesHuggingFaceOnEveryCase) {
  test::Json cases = test::readJsonFile(GEMMAC_REFERENCE_DIR "/tokenizer/cases.json");
  ASSERT_GT(cases.size(), 0u);
  EXPECT_EQ(tokenizer_->pieceCount(), 262144);
  for (const test::Json& c : cases.array) {
    const std::string& text = c["text"].string;
    std::vector<int32_t> ids;
    gemmac_status status = tokenizer_->encode(text, &ids);
    ASSERT_EQ(status, nullptr) << gemmac_status_get_message(status);
    EXPECT_EQ(ids, c["ids"].asInts()) << text;
    EXPECT_EQ(decode(ids), text);
    EXPECT_EQ(streamDecode(ids), decode(ids)) << text;
  }
}

TEST_F(TokenizerTest, StreamingMatchesWholeDecodeOnMultiByteText) {
  for (std::string text : {"Emoji 😀🎉 then 👩‍👩‍👧 family", "日本語のテキストと中文文本",
                           " leading space", "\xF0\x9F\xA6\x84\xF0\x9F\xA6\x84 unicorns"}) {
    std::vector<int32_t> ids;
    ASSERT_EQ(tokenizer_->encode(text, &ids), nullptr);
    EXPECT_EQ(streamDecode(ids), text);
  }
}

TEST_F(TokenizerTest, StreamingHoldsBackSplitCharacters) {
  // Byte-fallback pieces of "€" (E2 82 AC) one at a time: nothing until the last.
  // Byte pieces sit among the first ids of Gemma's vocabulary; find them by their bytes.
  std::vector<int32_t> bytes;
  for (int byte : {0xE2, 0x82, 0xAC}) {
    bytes.push_back(-1);
    for (int32_t id = 0; id < 1000 && bytes.back() < 0; ++id) {
      std::string one;
      ASSERT_EQ(tokenizer_->pieceBytes(id, false, &one), nullptr);
      if (one.size() == 1 && static_cast<unsigned char>(one[0]) == byte) bytes.back() = id;
    }
    ASSERT_GE(bytes.back(), 0) << byte;
  }
  StreamingDetokenizer stream(*tokenizer_);
  std::string text;
  ASSERT_EQ(stream.push(bytes[0], &text), nullptr);
  EXPECT_EQ(text, "");
  ASSERT_EQ(stream.push(bytes[1], &text), nullptr);
  EXPECT_EQ(text, "");
  ASSERT_EQ(stream.push(bytes[2], &text), nullptr);
  EXPECT_EQ(text, "\xE2\x82\xAC");
  EXPECT_EQ(decode(bytes), "\xE2\x82\xAC");
}

TEST_F(TokenizerTest, ControlPiecesDecodeToNothingAndBadIdsFail) {
  EXPECT_EQ(decode({2}), "");
  // Turn markers are user-defined pieces: they decode to their text, as in HF.
  EXPECT_EQ(decode({2, 105}), "<start_of_turn>");
  // Ids past the pieces (a model's padding rows) have no text, in a stream too.
  EXPECT_EQ(decode({2, 818, 262144, 5279}), decode({2, 818, 5279}));
  EXPECT_EQ(streamDecode({818, 262150, 5279}), decode({818, 5279}));
  std::string text;
  const int32_t bad[] = {-1};
  gemmac_status status = tokenizer_->decode(bad, 1, &text);
  EXPECT_EQ(gemmac_status_get_code(status), GEMMAC_INVALID_ARGUMENT);
  EXPECT_STREQ(gemmac_status_get_message(status), "token id -1 is negative");
  gemmac_status_free(status);
  std::unique_ptr<Tokenizer> broken;
  status = Tokenizer::create("not a model", 11, &broken);
  EXPECT_EQ(gemmac_status_get_code(status), GEMMAC_DATA_LOSS);
  gemmac_status_free(status);
}

TEST(TokenizerCreateTest, ModelThatSentencePieceThrowsOnIsRefused) {
  // Pieces "<unk>" (unknown) and "\0a": libsentencepiece's trie builder throws
  // on the NUL byte (found by fuzz.tokenizer_model).
  const char model[] = "\x0a\x09\x0a\x05<unk>\x18\x02\x0a\x04\x0a\x02\x00" "a";
  std::unique_ptr<Tokenizer> tokenizer;
  gemmac_status status = Tokenizer::create(model, sizeof(model) - 1, &tokenizer);
  EXPECT_EQ(gemmac_status_get_code(status), GEMMAC_DATA_LOSS);
  EXPECT_NE(std::string(gemmac_status_get_message(status)).find("zero-length key"), std::string::npos)
      << gemmac_status_get_message(status);
  gemmac_status_free(status);
  EXPECT_EQ(tokenizer, nullptr);
}

}  // namespace
}  // namespace gemmac
