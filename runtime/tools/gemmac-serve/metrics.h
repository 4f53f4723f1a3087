// The server's figures for Prometheus (text exposition format 0.0.4): what the
// engine and the HTTP handlers count, rendered by GET /metrics.
#ifndef GEMMAC_TOOLS_GEMMAC_SERVE_METRICS_H_
#define GEMMAC_TOOLS_GEMMAC_SERVE_METRICS_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace gemmac_serve {

/// Observations counted into buckets of fixed upper bounds.
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void observe(double value);
  /// Appends `name`_bucket{le=...} (cumulative), _sum and _count.
  void render(const char* name, const char* help, std::string* out) const;

 private:
  const std::vector<double> bounds_;
  mutable std::mutex mutex_;
  std::vector<uint64_t> counts_;  // per bucket, the last one past every bound (+Inf)
  double sum_ = 0;
  uint64_t count_ = 0;
};

/// A counter per value of one label (HTTP status code, request outcome).
class LabeledCounter {
 public:
  void add(const std::string& value, uint64_t n = 1);
  uint64_t get(const std::string& value) const;
  void render(const char* name, const char* help, const char* label, std::string* out) const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, uint64_t> counts_;
};

struct Metrics {
  LabeledCounter http_responses;  // by status code
  LabeledCounter requests;        // generation requests by outcome: stop, length, cancelled, timeout, error
  std::atomic<uint64_t> prompt_tokens{0};
  std::atomic<uint64_t> completion_tokens{0};
  std::atomic<uint64_t> steps{0};
  std::atomic<int64_t> queue_depth{0};   // accepted requests waiting for a slot
  std::atomic<int64_t> active_slots{0};  // slots running a request
  Histogram batch_size{{1, 2, 4, 8, 16, 32, 64}};  // sequences per step
  Histogram time_to_first_token{{0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}};  // seconds from arrival
  Histogram time_per_output_token{{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1}};  // between tokens

  std::string render() const;
};

}  // namespace gemmac_serve

#endif  // GEMMAC_TOOLS_GEMMAC_SERVE_METRICS_H_
