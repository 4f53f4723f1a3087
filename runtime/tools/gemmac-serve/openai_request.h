// The body of POST /v1/chat/completions and /v1/completions, read and checked
// as OpenAI reads it: the fields that matter are typed and bounded (a bad one
// is a 400 naming it), unknown fields are ignored.
#ifndef GEMMAC_TOOLS_GEMMAC_SERVE_OPENAI_REQUEST_H_
#define GEMMAC_TOOLS_GEMMAC_SERVE_OPENAI_REQUEST_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gemmac/gemmac.h"

namespace gemmac_serve {

enum class Endpoint { Chat, Completion };

struct ChatMessage {
  std::string role;  // system, user or assistant (developer is read as system)
  std::string content;
};

struct CompletionRequest {
  Endpoint endpoint = Endpoint::Chat;
  std::string model;                  // empty: not given (the served model)
  std::vector<ChatMessage> messages;  // chat
  std::string prompt;                 // completions
  std::optional<int32_t> max_tokens;  // max_tokens or max_completion_tokens
  gemmac_sampler_options sampler{};   // temperature (OpenAI's default 1), top_p, top_k, seed
  bool seeded = false;                // the seed was given
  std::vector<std::string> stop;      // non-empty strings
  float presence_penalty = 0.0f;      // in [-2, 2], as OpenAI's
  float frequency_penalty = 0.0f;     // in [-2, 2], as OpenAI's
  bool stream = false;
  bool include_usage = false;         // stream_options.include_usage
  std::optional<std::string> json_schema;  // response_format json_schema (its schema) or json_object
  bool ignore_eos = false;            // vLLM's extension: never stop at a stop id
};

/// Throws ApiError (400) for malformed JSON, a wrong type or a bad value.
CompletionRequest parseCompletionRequest(const std::string& body, Endpoint endpoint);

}  // namespace gemmac_serve

#endif  // GEMMAC_TOOLS_GEMMAC_SERVE_OPENAI_REQUEST_H_
