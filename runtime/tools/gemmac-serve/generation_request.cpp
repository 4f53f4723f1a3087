#include "generation_request.h"

#include <random>
#include <string>
#include <vector>

#include "api_error.h"
#include "status_message.h"

namespace gemmac_serve {
namespace {

// OpenAI's default max_tokens for /v1/completions.
constexpr int32_t kCompletionDefaultTokens = 16;

std::string chatText(const std::vector<ChatMessage>& messages) {
  std::vector<gemmac_chat_message> list;
  for (const ChatMessage& message : messages) list.push_back({message.role.c_str(), message.content.c_str()});
  size_t length = 0;
  gemmac_status status = gemmac_chat_template_apply(list.data(), list.size(), 1, nullptr, 0, &length);
  std::string text(length + 1, '\0');  // and the terminator
  if (status == nullptr) status = gemmac_chat_template_apply(list.data(), list.size(), 1, text.data(), text.size(), &length);
  if (status != nullptr) throw badField("messages", takeStatusMessage(status));
  text.resize(length);
  return text;
}

std::vector<int32_t> promptIds(const gemmac_model* model, const std::string& text, const std::string& param,
                               int32_t context) {
  gemmac_model_info info;
  gemmac_status status = gemmac_model_get_info(model, &info);
  size_t count = 0;
  if (status == nullptr) status = gemmac_model_tokenize(model, text.data(), text.size(), nullptr, 0, &count);
  std::vector<int32_t> ids(count + 1);
  if (status == nullptr) status = gemmac_model_tokenize(model, text.data(), text.size(), ids.data() + 1, count, &count);
  if (status != nullptr) throw ApiError{500, "tokenize: " + takeStatusMessage(status), "server_error"};
  ids[0] = info.bos_id;
  if (ids.size() >= static_cast<size_t>(context)) {
    ApiError error = badField(param, "the prompt has " + std::to_string(ids.size()) +
                                         " tokens (BOS included) but the context holds " + std::to_string(context) +
                                         ": at most " + std::to_string(context - 1) +
                                         " leave room for a generated token");
    error.code = "context_length_exceeded";
    throw error;
  }
  return ids;
}

}  // namespace

GenerationRequest makeGenerationRequest(const gemmac_model* model, const CompletionRequest& request, int32_t context) {
  const bool chat = request.endpoint == Endpoint::Chat;
  GenerationRequest out;
  out.prompt = chat ? promptIds(model, chatText(request.messages), "messages", context)
                    : promptIds(model, request.prompt, "prompt", context);
  out.max_tokens = request.max_tokens ? *request.max_tokens : chat ? context : kCompletionDefaultTokens;
  out.sampler = request.sampler;
  if (!request.seeded) {
    thread_local std::mt19937_64 random{std::random_device{}()};
    out.sampler.seed = random();
  }
  out.stop = request.stop;
  out.presence_penalty = request.presence_penalty;
  out.frequency_penalty = request.frequency_penalty;
  out.ignore_eos = request.ignore_eos;
  if (request.json_schema) {
    gemmac_grammar* grammar = nullptr;
    if (gemmac_status status = gemmac_grammar_create_from_json_schema(model, request.json_schema->data(),
                                                                      request.json_schema->size(), &grammar))
      throw badField("response_format.json_schema.schema", takeStatusMessage(status));
    out.grammar.reset(grammar, GrammarDeleter());
  }
  return out;
}

}  // namespace gemmac_serve
