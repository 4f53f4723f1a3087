// The OpenAI-compatible HTTP surface on cpp-httplib: routes, request-body and
// key checks, OpenAI-style errors, and the responses (JSON, or server-sent
// events) written as the engine produces the text.
#ifndef GEMMAC_TOOLS_GEMMAC_SERVE_HTTP_API_H_
#define GEMMAC_TOOLS_GEMMAC_SERVE_HTTP_API_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>

#include <httplib.h>

#include "engine.h"
#include "metrics.h"
#include "openai_request.h"

namespace gemmac_serve {

struct HttpOptions {
  std::string model_name;  // what /v1/models lists and requests may name
  std::string api_key;     // empty: no key asked
  size_t max_body = 1 << 20;
  std::chrono::seconds timeout{600};  // the engine's per-request timeout, which bounds each response
};

class HttpApi {
 public:
  HttpApi(const gemmac_model* model, Engine* engine, Metrics* metrics, HttpOptions options);
  /// Registers the routes, the error and exception handlers and the logger.
  void install(httplib::Server* server);
  /// From now on /health answers 503 and completions are refused with 503.
  void beginDrain() { draining_ = true; }
  /// Returns once no completion response is being written.
  void waitForResponses();

 private:
  struct Response;
  void completions(Endpoint endpoint, const httplib::Request& request, httplib::Response& response,
                   const httplib::ContentReader& reader);
  /// Reads the body, at most max_body bytes and within a time bound; throws ApiError.
  std::string readBody(httplib::Response& response, const httplib::ContentReader& reader) const;
  /// Throws ApiError 401 unless the request carries the key (when one is set).
  void checkKey(const httplib::Request& request) const;
  /// Answers from the engine's channel as it fills: the stream's events, or the JSON at the end.
  /// `counted` is held until cpp-httplib drops the response.
  void respond(const CompletionRequest& request, std::shared_ptr<RequestChannel> channel,
               std::shared_ptr<Response> counted, httplib::Response& response);

  const gemmac_model* model_;
  Engine* engine_;
  Metrics* metrics_;
  HttpOptions options_;
  int64_t created_;  // when the server started, for /v1/models
  std::atomic<bool> draining_{false};
  std::mutex mutex_;
  std::condition_variable responses_done_;
  size_t responding_ = 0;  // completion responses being written
};

}  // namespace gemmac_serve

#endif  // GEMMAC_TOOLS_GEMMAC_SERVE_HTTP_API_H_
