#include "llm/chat_template.h"

#include <gtest/gtest.h>

#include <string>

#include "test/support/json_reader.h"

namespace gemmac {
namespace {

std::string apply(std::initializer_list<gemmac_chat_message> messages, bool generation = true) {
  std::string text;
  gemmac_status status = applyChatTemplate(messages.begin(), messages.size(), generation, &text);
  EXPECT_EQ(status, nullptr) << gemmac_status_get_message(status);
  gemmac_status_free(status);
  return text;
}

TEST(ChatTemplate, MatchesReferenceChatPrompt) {
  test::Json v1 = test::readJsonFile(GEMMAC_REFERENCE_DIR "/logits/v1.json");
  const test::Json* chat = nullptr;
  for (const test::Json& prompt : v1["prompts"].array)
    if (prompt["name"].string == "chat_extract") chat = &prompt;
  ASSERT_NE(chat, nullptr);
  EXPECT_EQ(apply({{"user", "Extract every person and city from: Maria flew from Lisbon to Osaka "
                            "with her brother Kenji."}}),
            (*chat)["text"].string);
}

TEST(ChatTemplate, MultiTurnWithSystemAndAssistantAlias) {
  EXPECT_EQ(apply({{"system", "Sys"}, {"user", "  a \n"}, {"assistant", "b"}, {"user", "c"}},
                  false),
            "<start_of_turn>user\nSys\n\na<end_of_turn>\n"
            "<start_of_turn>model\nb<end_of_turn>\n"
            "<start_of_turn>user\nc<end_of_turn>\n");
}

TEST(ChatTemplate, RejectsRolesOutOfOrder) {
  const gemmac_chat_message messages[] = {{"model", "x"}};
  std::string text;
  gemmac_status status = applyChatTemplate(messages, 1, true, &text);
  EXPECT_EQ(gemmac_status_get_code(status), GEMMAC_INVALID_ARGUMENT);
  gemmac_status_free(status);
  const gemmac_chat_message unknown[] = {{"user", "x"}, {"tool", "y"}};
  status = applyChatTemplate(unknown, 2, true, &text);
  EXPECT_EQ(gemmac_status_get_code(status), GEMMAC_INVALID_ARGUMENT);
  gemmac_status_free(status);
}

TEST(ChatTemplate, CapacityConvention) {
  const gemmac_chat_message messages[] = {{"user", "Hi"}};
  size_t length = 0;
  ASSERT_EQ(gemmac_chat_template_apply(messages, 1, 0, nullptr, 0, &length), nullptr);
  std::string text(length, '?');
  ASSERT_EQ(gemmac_chat_template_apply(messages, 1, 0, text.data(), length, &length), nullptr);
  EXPECT_EQ(text, "<start_of_turn>user\nHi<end_of_turn>\n");
}

}  // namespace
}  // namespace gemmac
