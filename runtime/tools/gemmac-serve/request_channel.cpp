#include "request_channel.h"

#include <utility>

namespace gemmac_serve {

void RequestChannel::append(const std::string& text) {
  if (text.empty()) return;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    pending_ += text;
  }
  changed_.notify_all();
}

void RequestChannel::finish(Outcome outcome) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    outcome_ = std::move(outcome);
    finished_ = true;
  }
  changed_.notify_all();
}

bool RequestChannel::wait(std::chrono::milliseconds timeout, std::string* text, Outcome* outcome) {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait_for(lock, timeout, [&] { return finished_ || !pending_.empty(); });
  text->swap(pending_);
  pending_.clear();
  if (finished_) *outcome = outcome_;
  return finished_;
}

}  // namespace gemmac_serve
