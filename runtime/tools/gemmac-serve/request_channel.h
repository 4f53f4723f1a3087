// What a request's HTTP handler and the engine thread share: the text generated
// and not yet taken, how the request ended, and whether the client is gone.
#ifndef GEMMAC_TOOLS_GEMMAC_SERVE_REQUEST_CHANNEL_H_
#define GEMMAC_TOOLS_GEMMAC_SERVE_REQUEST_CHANNEL_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <string>

namespace gemmac_serve {

using Clock = std::chrono::steady_clock;

/// How a request ended.
struct Outcome {
  /// "stop" or "length" when it completed (OpenAI's finish_reason); empty
  /// when it failed: then error_type and error_message say why.
  std::string finish_reason;
  std::string error_type;  // "timeout", "cancelled", "server_error"
  std::string error_message;
  size_t prompt_tokens = 0;
  size_t completion_tokens = 0;
  Clock::time_point first_token;  // when its first token was picked (the arrival if none was)
  Clock::time_point finished;
};

class RequestChannel {
 public:
  // The engine's side.
  void append(const std::string& text);
  void finish(Outcome outcome);
  bool cancelled() const { return cancelled_.load(std::memory_order_relaxed); }

  // The handler's side.
  /// The client is gone: the engine frees the request's slot at its next step.
  void cancel() { cancelled_.store(true, std::memory_order_relaxed); }
  /// Waits up to `timeout` for new text or the end; moves the new text to
  /// *text. True once the request has ended (*outcome is then set and all of
  /// its text taken).
  bool wait(std::chrono::milliseconds timeout, std::string* text, Outcome* outcome);

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::string pending_;
  bool finished_ = false;
  Outcome outcome_;
  std::atomic<bool> cancelled_{false};
};

}  // namespace gemmac_serve

#endif  // GEMMAC_TOOLS_GEMMAC_SERVE_REQUEST_CHANNEL_H_
