// Responses in OpenAI's shapes: the completion objects, the streamed chunks
// (server-sent events) and usage.
#ifndef GEMMAC_TOOLS_GEMMAC_SERVE_OPENAI_RESPONSE_H_
#define GEMMAC_TOOLS_GEMMAC_SERVE_OPENAI_RESPONSE_H_

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "openai_request.h"
#include "request_channel.h"

namespace gemmac_serve {

/// What every object of one response repeats.
struct ResponseHeader {
  Endpoint endpoint = Endpoint::Chat;
  std::string id;  // chatcmpl-... or cmpl-...
  int64_t created = 0;  // Unix seconds
  std::string model;
};

ResponseHeader newResponseHeader(Endpoint endpoint, const std::string& model);
/// Now, in Unix seconds (OpenAI's "created").
int64_t unixSeconds();

nlohmann::json usageJson(const Outcome& outcome);
/// chat.completion or text_completion with the whole text.
nlohmann::json completionJson(const ResponseHeader& header, const std::string& text, const Outcome& outcome);
/// A chat.completion.chunk / text_completion chunk: `text` as the delta (chat:
/// with the role when `first`), and the finish reason when not empty. With
/// include_usage every chunk has "usage": null but the usage chunk.
nlohmann::json chunkJson(const ResponseHeader& header, const std::string& text, bool first,
                         const std::string& finish_reason, bool include_usage);
/// The last chunk when stream_options.include_usage: no choices, the usage.
nlohmann::json usageChunkJson(const ResponseHeader& header, const Outcome& outcome);

/// One server-sent event: "data: JSON\n\n".
std::string serverSentEvent(const nlohmann::json& data);
/// JSON text; bytes that are not UTF-8 become U+FFFD rather than failing.
std::string jsonText(const nlohmann::json& value);

}  // namespace gemmac_serve

#endif  // GEMMAC_TOOLS_GEMMAC_SERVE_OPENAI_RESPONSE_H_
