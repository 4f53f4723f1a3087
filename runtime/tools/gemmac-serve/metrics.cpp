#include "metrics.h"

#include <cstdio>
#include <utility>

namespace gemmac_serve {
namespace {

std::string number(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.9g", value);
  return text;
}

void header(const char* name, const char* help, const char* type, std::string* out) {
  *out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}

void scalar(const char* name, const char* help, const char* type, double value, std::string* out) {
  header(name, help, type, out);
  *out += std::string(name) + " " + number(value) + "\n";
}

}  // namespace

Histogram::Histogram(std::vector<double> bounds) : bounds_(std::move(bounds)), counts_(bounds_.size() + 1, 0) {}

void Histogram::observe(double value) {
  size_t bucket = 0;
  while (bucket < bounds_.size() && value > bounds_[bucket]) ++bucket;
  std::lock_guard<std::mutex> lock(mutex_);
  ++counts_[bucket];
  sum_ += value;
  ++count_;
}

void Histogram::render(const char* name, const char* help, std::string* out) const {
  header(name, help, "histogram", out);
  std::lock_guard<std::mutex> lock(mutex_);
  uint64_t cumulative = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    cumulative += counts_[i];
    const std::string le = i < bounds_.size() ? number(bounds_[i]) : "+Inf";
    *out += std::string(name) + "_bucket{le=\"" + le + "\"} " + std::to_string(cumulative) + "\n";
  }
  *out += std::string(name) + "_sum " + number(sum_) + "\n";
  *out += std::string(name) + "_count " + std::to_string(count_) + "\n";
}

void LabeledCounter::add(const std::string& value, uint64_t n) {
  std::lock_guard<std::mutex> lock(mutex_);
  counts_[value] += n;
}

uint64_t LabeledCounter::get(const std::string& value) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto found = counts_.find(value);
  return found == counts_.end() ? 0 : found->second;
}

void LabeledCounter::render(const char* name, const char* help, const char* label, std::string* out) const {
  header(name, help, "counter", out);
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& [value, count] : counts_)
    *out += std::string(name) + "{" + label + "=\"" + value + "\"} " + std::to_string(count) + "\n";
}

std::string Metrics::render() const {
  std::string out;
  http_responses.render("gemmac_serve_http_responses_total", "HTTP responses by status code.", "code", &out);
  requests.render("gemmac_serve_requests_total",
                  "Generation requests by outcome (stop, length, cancelled, timeout, error).", "outcome", &out);
  scalar("gemmac_serve_prompt_tokens_total", "Prompt tokens run.", "counter", static_cast<double>(prompt_tokens),
         &out);
  scalar("gemmac_serve_completion_tokens_total", "Tokens generated.", "counter",
         static_cast<double>(completion_tokens), &out);
  scalar("gemmac_serve_steps_total", "Batch steps run.", "counter", static_cast<double>(steps), &out);
  scalar("gemmac_serve_queue_depth", "Accepted requests waiting for a slot.", "gauge",
         static_cast<double>(queue_depth), &out);
  scalar("gemmac_serve_active_slots", "Slots running a request.", "gauge", static_cast<double>(active_slots), &out);
  batch_size.render("gemmac_serve_batch_size", "Sequences per batch step.", &out);
  time_to_first_token.render("gemmac_serve_time_to_first_token_seconds",
                             "Seconds from a request's arrival to its first generated token.", &out);
  time_per_output_token.render("gemmac_serve_time_per_output_token_seconds",
                               "Seconds between a request's successive generated tokens.", &out);
  return out;
}

}  // namespace gemmac_serve
