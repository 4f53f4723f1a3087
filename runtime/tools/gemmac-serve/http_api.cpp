#include "http_api.h"

#include <utility>

#include "api_error.h"
#include "generation_request.h"
#include "openai_response.h"

namespace gemmac_serve {
namespace {

using nlohmann::json;

// How often a response waiting for text checks that its client is still
// there. In cpp-httplib 0.11.4, DataSink::is_writable() is
// SocketStream::is_writable(): select() for writing and then
// is_socket_alive(), a zero-timeout select() for reading and a MSG_PEEK recv
// that reads 0 once the client has closed its end (FIN) and fails once it was
// reset. So a client that disconnects is seen within one poll (100 ms), while
// its request waits in the queue as well as while it generates, with nothing
// written: the response then returns false, the releaser cancels the request
// and the engine frees its slot at its next step. A write to a client gone
// meanwhile fails as well (SIGPIPE is ignored: main).
constexpr auto kClientPoll = std::chrono::milliseconds(100);
// The body must arrive within this (each read is also bounded by httplib's
// 5 s read timeout), so a slow sender cannot hold a thread for long.
constexpr auto kBodyTime = std::chrono::seconds(30);
// A chunked body over the limit is still read (and dropped) up to this many
// times the limit, so that a client that sends it all can read the 413.
constexpr size_t kMaxBodyDropped = 8;
// A response gives up this long after the engine's timeout should have ended its request.
constexpr auto kResponseGrace = std::chrono::seconds(30);
// Prometheus text exposition format.
constexpr char kMetricsType[] = "text/plain; version=0.0.4; charset=utf-8";

void sendJson(httplib::Response& response, int status, const json& body) {
  response.status = status;
  response.set_content(jsonText(body), "application/json");
}

void sendError(httplib::Response& response, const ApiError& error) {
  sendJson(response, error.status, error.toJson());
}

/// The errors cpp-httplib answers by itself (no route, a malformed request, a
/// Content-Length over the limit), in OpenAI's shape.
ApiError httplibError(const httplib::Request& request, int status) {
  switch (status) {
    case 404:
      return ApiError{404, "unknown path: " + request.method + " " + request.path, "invalid_request_error", "",
                      "unknown_url"};
    case 413: return ApiError{413, "the request body is too large", "invalid_request_error"};
    case 400: return ApiError{400, "malformed HTTP request", "invalid_request_error"};
    default:
      return ApiError{status, "HTTP error " + std::to_string(status),
                      status >= 500 ? "server_error" : "invalid_request_error"};
  }
}

}  // namespace

/// Counts a completion response as being written until cpp-httplib drops its
/// content provider (after the last byte, or when the client is gone).
struct HttpApi::Response {
  explicit Response(HttpApi* api) : api(api) {
    std::lock_guard<std::mutex> lock(api->mutex_);
    ++api->responding_;
  }
  ~Response() {
    {
      std::lock_guard<std::mutex> lock(api->mutex_);
      --api->responding_;
    }
    api->responses_done_.notify_all();
  }
  HttpApi* api;
};

HttpApi::HttpApi(const gemmac_model* model, Engine* engine, Metrics* metrics, HttpOptions options)
    : model_(model), engine_(engine), metrics_(metrics), options_(std::move(options)),
      created_(unixSeconds()) {}

void HttpApi::waitForResponses() {
  std::unique_lock<std::mutex> lock(mutex_);
  responses_done_.wait(lock, [&] { return responding_ == 0; });
}

void HttpApi::install(httplib::Server* server) {
  server->Post("/v1/chat/completions", [this](const httplib::Request& request, httplib::Response& response,
                                              const httplib::ContentReader& reader) {
    completions(Endpoint::Chat, request, response, reader);
  });
  server->Post("/v1/completions", [this](const httplib::Request& request, httplib::Response& response,
                                         const httplib::ContentReader& reader) {
    completions(Endpoint::Completion, request, response, reader);
  });
  // Other paths with a body: read it within the same bounds (cpp-httplib
  // 0.11.4 bounds only a Content-Length body by itself, not a chunked one), then 404.
  auto unknown = [this](const httplib::Request& request, httplib::Response& response,
                        const httplib::ContentReader& reader) {
    try {
      readBody(response, reader);
      sendError(response, httplibError(request, 404));
    } catch (const ApiError& error) {
      sendError(response, error);
    }
  };
  server->Post(".*", unknown).Put(".*", unknown).Patch(".*", unknown).Delete(".*", unknown);

  server->Get("/v1/models", [this](const httplib::Request& request, httplib::Response& response) {
    try {
      checkKey(request);
      json model = {{"id", options_.model_name}, {"object", "model"}, {"created", created_}, {"owned_by", "gemmac"}};
      sendJson(response, 200, {{"object", "list"}, {"data", json::array({model})}});
    } catch (const ApiError& error) {
      sendError(response, error);
    }
  });
  server->Get("/health", [this](const httplib::Request&, httplib::Response& response) {
    if (draining_)
      sendJson(response, 503, {{"status", "draining"}});
    else
      sendJson(response, 200, {{"status", "ok"}});
  });
  server->Get("/metrics", [this](const httplib::Request&, httplib::Response& response) {
    response.set_content(metrics_->render(), kMetricsType);
  });

  // Called for every answer of status >= 400: fills in an OpenAI-style body
  // where cpp-httplib answered by itself (a handler's error already has one).
  server->set_error_handler(httplib::Server::HandlerWithResponse(
      [](const httplib::Request& request, httplib::Response& response) {
        if (!response.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
        sendError(response, httplibError(request, response.status));
        return httplib::Server::HandlerResponse::Handled;
      }));
  server->set_exception_handler([](const httplib::Request&, httplib::Response& response, std::exception_ptr thrown) {
    std::string what = "internal error";
    try {
      std::rethrow_exception(thrown);
    } catch (const std::exception& error) {
      what += std::string(": ") + error.what();
    } catch (...) {
    }
    sendError(response, ApiError{500, what, "server_error"});
  });
  server->set_logger([this](const httplib::Request&, const httplib::Response& response) {
    metrics_->http_responses.add(std::to_string(response.status));
  });
}

std::string HttpApi::readBody(httplib::Response& response, const httplib::ContentReader& reader) const {
  std::string body;
  size_t dropped = 0;  // bytes past the limit, read so that the client gets its 413
  const Clock::time_point deadline = Clock::now() + kBodyTime;
  const bool read = reader([&](const char* data, size_t length) {
    if (dropped > 0 || body.size() + length > options_.max_body)
      dropped += length;
    else
      body.append(data, length);
    return dropped <= kMaxBodyDropped * options_.max_body && Clock::now() < deadline;
  });
  // cpp-httplib answers 413 by itself for a Content-Length over the limit
  // (after reading the body); a chunked body is read here.
  if (dropped > 0 || response.status == 413) {
    // Unless the body was read to its end, the connection cannot carry another request.
    if (!read) response.set_header("Connection", "close");
    throw ApiError{413, "the request body is over --max-body " + std::to_string(options_.max_body) + " bytes"};
  }
  if (!read) {
    response.set_header("Connection", "close");
    throw ApiError{400, "the request body could not be read (malformed, or slower than " +
                            std::to_string(kBodyTime.count()) + " s)"};
  }
  return body;
}

void HttpApi::checkKey(const httplib::Request& request) const {
  if (options_.api_key.empty()) return;
  const std::string authorization = request.get_header_value("Authorization");
  if (authorization.empty())
    throw ApiError{401, "no API key: send the header Authorization: Bearer KEY", "invalid_request_error", "",
                   "invalid_api_key"};
  // Compared in time independent of where the keys differ.
  const std::string given = authorization.rfind("Bearer ", 0) == 0 ? authorization.substr(7) : "";
  unsigned char difference = given.size() == options_.api_key.size() ? 0 : 1;
  for (size_t i = 0; i < given.size(); ++i)
    difference |= static_cast<unsigned char>(given[i] ^ options_.api_key[i % options_.api_key.size()]);
  if (difference != 0) throw ApiError{401, "incorrect API key", "invalid_request_error", "", "invalid_api_key"};
}

void HttpApi::completions(Endpoint endpoint, const httplib::Request& http_request, httplib::Response& response,
                          const httplib::ContentReader& reader) {
  // Counted from here, before the engine may end the request, so that a
  // drain never stops the server between the end and the response.
  auto counted = std::make_shared<Response>(this);
  try {
    const std::string body = readBody(response, reader);
    checkKey(http_request);
    if (draining_) throw ApiError{503, "the server is shutting down", "server_error", "", "draining"};
    CompletionRequest request = parseCompletionRequest(body, endpoint);
    if (!request.model.empty() && request.model != options_.model_name)
      throw ApiError{404, "the model '" + request.model + "' does not exist; this server serves '" +
                              options_.model_name + "'",
                     "invalid_request_error", "model", "model_not_found"};
    GenerationRequest generation = makeGenerationRequest(model_, request, engine_->context());
    auto channel = std::make_shared<RequestChannel>();
    generation.channel = channel;
    switch (engine_->submit(std::move(generation))) {
      case Engine::Admission::Accepted:
        break;
      case Engine::Admission::QueueFull:
        throw ApiError{429, "the server is busy: every slot and queue place is taken; retry later", "rate_limit_error",
                       "", "queue_full"};
      case Engine::Admission::Draining:
        throw ApiError{503, "the server is shutting down", "server_error", "", "draining"};
    }
    respond(request, std::move(channel), std::move(counted), response);
  } catch (const ApiError& error) {
    sendError(response, error);
  }
}

void HttpApi::respond(const CompletionRequest& request, std::shared_ptr<RequestChannel> channel,
                      std::shared_ptr<Response> counted, httplib::Response& response) {
  const ResponseHeader header = newResponseHeader(request.endpoint, options_.model_name);
  const Clock::time_point give_up = Clock::now() + options_.timeout + kResponseGrace;
  const bool stream = request.stream;
  const bool include_usage = request.include_usage;
  // Written once the headers are out (status 200): an error after that (a
  // timeout, an internal failure) is the body's error object (non-streaming)
  // or an error event (streaming), as the request can no longer change status.
  auto provider = [=](size_t, httplib::DataSink& sink) {
    (void)counted;  // held until cpp-httplib drops the provider
    auto write = [&](const std::string& text) { return sink.write(text.data(), text.size()); };
    bool first = true;
    std::string text;  // non-streaming: all of it
    for (;;) {
      if (!sink.is_writable() || Clock::now() > give_up) return false;  // the client is gone (or never read)
      std::string added;
      Outcome outcome;
      const bool finished = channel->wait(kClientPoll, &added, &outcome);
      if (!stream) {
        text += added;
      } else if (!added.empty() || (first && header.endpoint == Endpoint::Chat)) {
        // Chat's first chunk carries the role, even before any text (as OpenAI's does).
        if (!write(serverSentEvent(chunkJson(header, added, first, "", include_usage)))) return false;
        first = false;
      }
      if (!finished) continue;
      const bool failed = outcome.finish_reason.empty();
      const json error = ApiError{500, outcome.error_message, outcome.error_type}.toJson();
      std::string end;
      if (!stream) {
        end = jsonText(failed ? error : completionJson(header, text, outcome));
      } else {
        if (failed) {
          end = serverSentEvent(error);
        } else {
          end = serverSentEvent(chunkJson(header, "", false, outcome.finish_reason, include_usage));
          if (include_usage) end += serverSentEvent(usageChunkJson(header, outcome));
        }
        end += "data: [DONE]\n\n";
      }
      if (!write(end)) return false;
      sink.done();
      return true;
    }
  };
  // Runs when cpp-httplib drops the response: a response not written to the
  // end (the client went away) cancels its request.
  auto releaser = [channel](bool success) {
    if (!success) channel->cancel();
  };
  response.status = 200;
  if (stream) {
    response.set_header("Cache-Control", "no-cache");
    response.set_header("X-Accel-Buffering", "no");  // a proxy in front (nginx) passes each event on at once
    response.set_chunked_content_provider("text/event-stream", provider, releaser);
  } else {
    response.set_chunked_content_provider("application/json", provider, releaser);
  }
}

}  // namespace gemmac_serve
