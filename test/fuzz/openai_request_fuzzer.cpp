// libFuzzer target of gemmac-serve's request reader: the input is a POST body
// of /v1/chat/completions (first byte even) or /v1/completions (odd), read as
// the server reads it (parseCompletionRequest). It must be accepted within the
// bounds the engine relies on, or refused with a 400 naming the problem; no
// other exception may escape (the server would answer 500) and it must never
// crash or read out of bounds.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "api_error.h"
#include "openai_request.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const auto endpoint = data[0] % 2 ? gemmac_serve::Endpoint::Completion : gemmac_serve::Endpoint::Chat;
  const std::string body(reinterpret_cast<const char*>(data) + 1, size - 1);
  try {
    const gemmac_serve::CompletionRequest request = gemmac_serve::parseCompletionRequest(body, endpoint);
    if (request.max_tokens && *request.max_tokens < 0) std::abort();
    for (const std::string& stop : request.stop)
      if (stop.empty()) std::abort();  // an empty stop string would end every generation at once
  } catch (const gemmac_serve::ApiError& error) {
    if (error.status != 400 || error.message.empty()) std::abort();
  }
  return 0;
}
