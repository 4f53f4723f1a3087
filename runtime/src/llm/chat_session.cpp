// gemmac_session_chat: multi-turn chat that keeps the KV cache across turns.
// The conversation is kept as text; each turn the chat template writes it
// whole and syncSession prefills only what the session does not hold yet, so
// the cache always equals a from-scratch prefill of the transcript.
#include <memory>
#include <string>
#include <vector>

#include "api/model.h"
#include "api/session.h"
#include "api/status.h"
#include "llm/chat_template.h"
#include "llm/conversation.h"
#include "llm/generate.h"
#include "llm/output_buffer.h"

namespace gemmac {
namespace {

/// Tokens closing a reply: "<end_of_turn>\n" (sizing only; the template writes them).
constexpr size_t kReplyCloseTokens = 2;

/// BOS + the template's tokens of the conversation, plus `message` as a new
/// user turn and the generation prompt when message != NULL.
gemmac_status transcriptIds(const gemmac_model& model, const Conversation& conversation,
                            const char* message, std::vector<int32_t>* ids) {
  std::vector<gemmac_chat_message> messages;
  if (!conversation.system_prompt.empty())
    messages.push_back({"system", conversation.system_prompt.c_str()});
  for (size_t i = 0; i < conversation.turns.size(); ++i)
    messages.push_back({i % 2 == 0 ? "user" : "model", conversation.turns[i].c_str()});
  if (message != nullptr) messages.push_back({"user", message});
  std::string text;
  GEMMAC_RETURN_IF_ERROR(applyChatTemplate(messages.data(), messages.size(), message != nullptr, &text));
  std::vector<int32_t> encoded;
  GEMMAC_RETURN_IF_ERROR(model.tokenizer->encode(text, &encoded));
  ids->assign(1, model.bos_id);
  ids->insert(ids->end(), encoded.begin(), encoded.end());
  return nullptr;
}

/// The prompt of a turn: the transcript, the message and the generation prompt,
/// with room for max_new_tokens and the reply's closing tokens; dropping the
/// oldest turn pairs of *conversation when it allows and the prompt does not fit.
gemmac_status turnPrompt(const gemmac_session& session, Conversation* conversation, const char* message,
                         int32_t max_new_tokens, std::vector<int32_t>* ids) {
  const size_t context = static_cast<size_t>(session.options.max_context);
  for (;;) {
    GEMMAC_RETURN_IF_ERROR(transcriptIds(*session.model, *conversation, message, ids));
    const size_t needed = ids->size() + static_cast<size_t>(max_new_tokens) + kReplyCloseTokens;
    if (needed <= context) return nullptr;
    if (!conversation->drop_old_turns || conversation->turns.empty())
      return makeStatus(GEMMAC_OUT_OF_RANGE,
                        "chat: the turn needs %zu tokens (%zu of transcript and new message, max_new_tokens "
                        "%d, %zu to close the reply) but max_context is %zu%s",
                        needed, ids->size(), max_new_tokens, kReplyCloseTokens, context,
                        conversation->turns.empty() ? "" : "; start a new conversation or set drop_old_turns");
    // The system prompt moves into the new first turn, so the kept transcript
    // no longer shares its start with the cache: syncSession prefills it again.
    conversation->turns.erase(conversation->turns.begin(), conversation->turns.begin() + 2);
  }
}

gemmac_status chatTurn(gemmac_session* session, const char* message, const gemmac_generate_options& options,
                       char* reply, size_t capacity, size_t* out_length) {
  const gemmac_model& model = *session->model;
  if (model.tokenizer == nullptr)
    return makeStatus(GEMMAC_UNIMPLEMENTED, "chat: the model file has no tokenizer");
  // Made first: it checks the options before anything runs.
  std::unique_ptr<Generator> generator;
  GEMMAC_RETURN_IF_ERROR(Generator::create(session, options, &generator));
  // Work on a copy: a failed turn leaves the conversation as it was.
  Conversation conversation = session->conversation;
  std::vector<int32_t> ids;
  GEMMAC_RETURN_IF_ERROR(turnPrompt(*session, &conversation, message, options.max_new_tokens, &ids));
  std::vector<float> logits(static_cast<size_t>(model.vocab_size));
  GEMMAC_RETURN_IF_ERROR(syncSession(session, ids.data(), ids.size(), logits.data()));
  Generation generation;
  GEMMAC_RETURN_IF_ERROR(generateFrom(session, options, generator.get(), &logits, &generation));
  conversation.turns.push_back(message);
  conversation.turns.push_back(generation.text);
  // Closes the reply as the template does, replacing its tokens where they are
  // not the template's tokenization of its text.
  GEMMAC_RETURN_IF_ERROR(transcriptIds(model, conversation, nullptr, &ids));
  GEMMAC_RETURN_IF_ERROR(syncSession(session, ids.data(), ids.size(), nullptr));
  session->conversation = std::move(conversation);
  return copyOutText(generation.text, reply, capacity, out_length);
}

}  // namespace
}  // namespace gemmac

extern "C" {

void gemmac_chat_options_init(gemmac_chat_options* options) {
  if (options == nullptr) return;
  options->system_prompt = nullptr;
  options->drop_old_turns = 0;
}

gemmac_status gemmac_session_chat_begin(gemmac_session* session, const gemmac_chat_options* options) {
  if (session == nullptr || options == nullptr)
    return gemmac::makeStatus(GEMMAC_INVALID_ARGUMENT, "chat_begin: NULL session or options");
  if (options->drop_old_turns != 0 && options->drop_old_turns != 1)
    return gemmac::makeStatus(GEMMAC_INVALID_ARGUMENT, "chat_begin: drop_old_turns %d is neither 0 nor 1",
                              options->drop_old_turns);
  return gemmac::guard("chat_begin", [&]() -> gemmac_status {
    std::string system_prompt = options->system_prompt ? options->system_prompt : "";
    gemmac_session_reset(session);
    session->conversation.system_prompt = std::move(system_prompt);
    session->conversation.drop_old_turns = options->drop_old_turns != 0;
    return nullptr;
  });
}

gemmac_status gemmac_session_chat(gemmac_session* session, const char* message,
                                  const gemmac_generate_options* options, char* reply,
                                  size_t capacity, size_t* out_length) {
  if (session == nullptr || message == nullptr || options == nullptr)
    return gemmac::makeStatus(GEMMAC_INVALID_ARGUMENT, "chat: NULL session, message or options");
  return gemmac::guard("chat",
                       [&] { return gemmac::chatTurn(session, message, *options, reply, capacity, out_length); });
}

}  // extern "C"
