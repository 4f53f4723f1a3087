// The timed loops of gemmac-run bench. Every timing covers exactly the work a
// caller waits for: load + free, a prefill up to its last logits, decode steps
// with their logits; the setup around them (reset, the decode test's prompt) is not timed.
#include <algorithm>
#include <chrono>

#include "bench.h"
#include "cli.h"

namespace gemmac_run {
namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

std::vector<int32_t> benchTokenIds(int64_t count, int32_t vocab_size, uint64_t seed) {
  constexpr int32_t kFirstId = 3;
  std::vector<int32_t> ids;
  ids.reserve(static_cast<size_t>(count));
  uint64_t state = seed;
  for (int64_t i = 0; i < count; ++i) {
    // splitmix64: well mixed, and the same on every platform.
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    ids.push_back(kFirstId + static_cast<int32_t>(z % static_cast<uint64_t>(vocab_size - kFirstId)));
  }
  return ids;
}

Stats summarize(std::vector<double> samples) {
  std::sort(samples.begin(), samples.end());
  const size_t n = samples.size();
  Stats stats;
  stats.min = samples.front();
  stats.max = samples.back();
  stats.median = n % 2 ? samples[n / 2] : (samples[n / 2 - 1] + samples[n / 2]) / 2;
  return stats;
}

bool timeModelLoad(const std::string& path, int64_t repetitions, Stats* milliseconds) {
  std::vector<double> samples;
  for (int64_t i = -1; i < repetitions; ++i) {  // i == -1: the warm-up
    Clock::time_point start = Clock::now();
    gemmac_model* model = nullptr;
    if (reportError(gemmac_model_load(path.c_str(), &model), "load")) return false;
    gemmac_model_free(model);
    if (i >= 0) samples.push_back(secondsSince(start) * 1e3);
  }
  *milliseconds = summarize(samples);
  return true;
}

bool timePrefill(gemmac_session* session, const std::vector<int32_t>& prompt, int64_t repetitions,
                 float* logits, Stats* tokens_per_second) {
  std::vector<double> samples;
  for (int64_t i = -1; i < repetitions; ++i) {
    gemmac_session_reset(session);
    Clock::time_point start = Clock::now();
    if (reportError(gemmac_session_prefill(session, prompt.data(), prompt.size(), logits), "prefill"))
      return false;
    double seconds = secondsSince(start);
    if (i >= 0) samples.push_back(static_cast<double>(prompt.size()) / seconds);
  }
  *tokens_per_second = summarize(samples);
  return true;
}

bool timeDecode(gemmac_session* session, const std::vector<int32_t>& prompt,
                const std::vector<int32_t>& tokens, int64_t repetitions, float* logits,
                Stats* tokens_per_second) {
  std::vector<double> samples;
  for (int64_t i = -1; i < repetitions; ++i) {
    gemmac_session_reset(session);
    if (reportError(gemmac_session_prefill(session, prompt.data(), prompt.size(), nullptr), "prefill"))
      return false;
    Clock::time_point start = Clock::now();
    for (int32_t id : tokens)
      if (reportError(gemmac_session_decode(session, id, logits), "decode")) return false;
    double seconds = secondsSince(start);
    if (i >= 0) samples.push_back(static_cast<double>(tokens.size()) / seconds);
  }
  *tokens_per_second = summarize(samples);
  return true;
}

std::string testName(const TestResult& result) {
  return (result.kind == TestKind::kPrefill ? "pp" : "tg") + std::to_string(result.tokens);
}

}  // namespace gemmac_run
