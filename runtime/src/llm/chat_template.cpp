#include "llm/chat_template.h"

#include <cstring>
#include <string_view>

#include "llm/output_buffer.h"
#include "api/status.h"

namespace gemmac {
namespace {

/// Jinja's `trim` filter (Python str.strip) on ASCII whitespace.
std::string_view trim(std::string_view s) {
  constexpr std::string_view kSpace = " \t\n\r\f\v";
  size_t begin = s.find_first_not_of(kSpace);
  if (begin == std::string_view::npos) return {};
  return s.substr(begin, s.find_last_not_of(kSpace) - begin + 1);
}

}  // namespace

gemmac_status applyChatTemplate(const gemmac_chat_message* messages, size_t count,
                                bool add_generation_prompt, std::string* text) {
  if (messages == nullptr && count != 0)
    return makeStatus(GEMMAC_INVALID_ARGUMENT, "chat template: messages is NULL");
  for (size_t i = 0; i < count; ++i)
    if (messages[i].role == nullptr || messages[i].content == nullptr)
      return makeStatus(GEMMAC_INVALID_ARGUMENT, "chat template: message %zu has a NULL field", i);

  text->clear();
  // The template folds a leading system message, untrimmed, into the first turn.
  std::string first_prefix;
  size_t first = 0;
  if (count > 0 && std::strcmp(messages[0].role, "system") == 0) {
    first_prefix = std::string(messages[0].content) + "\n\n";
    first = 1;
  }
  for (size_t i = first; i < count; ++i) {
    std::string_view role = messages[i].role;
    bool user_turn = (i - first) % 2 == 0;
    if (role == "assistant") role = "model";
    if (role != (user_turn ? "user" : "model"))
      return makeStatus(GEMMAC_INVALID_ARGUMENT,
                        "chat template: message %zu has role \"%s\"; roles must alternate "
                        "user/model starting with user after an optional system message",
                        i, messages[i].role);
    text->append("<start_of_turn>").append(role).append("\n");
    if (i == first) text->append(first_prefix);
    text->append(trim(messages[i].content)).append("<end_of_turn>\n");
  }
  if (add_generation_prompt) text->append("<start_of_turn>model\n");
  return nullptr;
}

}  // namespace gemmac

extern "C" gemmac_status gemmac_chat_template_apply(const gemmac_chat_message* messages,
                                                    size_t count, int add_generation_prompt,
                                                    char* text, size_t capacity,
                                                    size_t* out_length) {
  return gemmac::guard("chat_template_apply", [&]() -> gemmac_status {
    std::string formatted;
    GEMMAC_RETURN_IF_ERROR(
        gemmac::applyChatTemplate(messages, count, add_generation_prompt != 0, &formatted));
    return gemmac::copyOutText(formatted, text, capacity, out_length);
  });
}
