#include "openai_response.h"

#include <chrono>
#include <cstdio>
#include <random>

namespace gemmac_serve {

using nlohmann::json;

ResponseHeader newResponseHeader(Endpoint endpoint, const std::string& model) {
  thread_local std::mt19937_64 random{std::random_device{}()};
  char suffix[20];
  std::snprintf(suffix, sizeof suffix, "%016llx", static_cast<unsigned long long>(random()));
  ResponseHeader header;
  header.endpoint = endpoint;
  header.id = std::string(endpoint == Endpoint::Chat ? "chatcmpl-" : "cmpl-") + suffix;
  header.created = unixSeconds();
  header.model = model;
  return header;
}

int64_t unixSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

json usageJson(const Outcome& outcome) {
  return {{"prompt_tokens", outcome.prompt_tokens},
          {"completion_tokens", outcome.completion_tokens},
          {"total_tokens", outcome.prompt_tokens + outcome.completion_tokens}};
}

json completionJson(const ResponseHeader& header, const std::string& text, const Outcome& outcome) {
  const bool chat = header.endpoint == Endpoint::Chat;
  json choice = {{"index", 0}, {"logprobs", nullptr}, {"finish_reason", outcome.finish_reason}};
  if (chat)
    choice["message"] = {{"role", "assistant"}, {"content", text}};
  else
    choice["text"] = text;
  return {{"id", header.id},
          {"object", chat ? "chat.completion" : "text_completion"},
          {"created", header.created},
          {"model", header.model},
          {"choices", json::array({choice})},
          {"usage", usageJson(outcome)}};
}

json chunkJson(const ResponseHeader& header, const std::string& text, bool first, const std::string& finish_reason,
               bool include_usage) {
  const bool chat = header.endpoint == Endpoint::Chat;
  json choice = {{"index", 0}, {"logprobs", nullptr},
                 {"finish_reason", finish_reason.empty() ? json() : json(finish_reason)}};
  if (chat) {
    json delta = json::object();
    if (first) delta["role"] = "assistant";
    if (first || !text.empty()) delta["content"] = text;
    choice["delta"] = delta;
  } else {
    choice["text"] = text;
  }
  json chunk = {{"id", header.id},
                {"object", chat ? "chat.completion.chunk" : "text_completion"},
                {"created", header.created},
                {"model", header.model},
                {"choices", json::array({choice})}};
  if (include_usage) chunk["usage"] = nullptr;
  return chunk;
}

json usageChunkJson(const ResponseHeader& header, const Outcome& outcome) {
  json chunk = chunkJson(header, "", false, "", false);
  chunk["choices"] = json::array();
  chunk["usage"] = usageJson(outcome);
  return chunk;
}

std::string jsonText(const json& value) { return value.dump(-1, ' ', false, json::error_handler_t::replace); }

std::string serverSentEvent(const json& data) { return "data: " + jsonText(data) + "\n\n"; }

}  // namespace gemmac_serve
