// gemmac-run bench: what its parts (timing, reporting) share.
#ifndef GEMMAC_TOOLS_GEMMAC_RUN_BENCH_H_
#define GEMMAC_TOOLS_GEMMAC_RUN_BENCH_H_

#include <cstdint>
#include <string>
#include <vector>

#include "gemmac/gemmac.h"
#include "peak_rss.h"

namespace gemmac_run {

// Seeds of the pseudo-random token streams: prompts and decoded tokens differ,
// and every run of every build sees the same ids.
constexpr uint64_t kPromptSeed = 1;
constexpr uint64_t kDecodeSeed = 2;

/// `count` deterministic pseudo-random ids in [3, vocab_size): above the special
/// ids (pad, eos, bos), so any model's vocabulary works. vocab_size must exceed 3.
std::vector<int32_t> benchTokenIds(int64_t count, int32_t vocab_size, uint64_t seed);

struct Stats {
  double median = 0, min = 0, max = 0;
};
/// Median (mean of the middle two for an even count), min and max; samples not empty.
Stats summarize(std::vector<double> samples);

/// Median, min and max milliseconds of gemmac_model_load + gemmac_model_free over
/// `repetitions`, after one untimed load that warms the page cache. False on error.
bool timeModelLoad(const std::string& path, int64_t repetitions, Stats* milliseconds);

/// Tokens per second of a prefill of `prompt` into a reset session, up to its
/// last logits, over `repetitions` after one untimed warm-up. False on error.
bool timePrefill(gemmac_session* session, const std::vector<int32_t>& prompt, int64_t repetitions,
                 float* logits, Stats* tokens_per_second);
/// Tokens per second of decoding `tokens` one at a time, each with its logits,
/// after an untimed prefill of `prompt` into a reset session; over `repetitions`
/// after one untimed warm-up. False on error.
bool timeDecode(gemmac_session* session, const std::vector<int32_t>& prompt,
                const std::vector<int32_t>& tokens, int64_t repetitions, float* logits,
                Stats* tokens_per_second);

enum class TestKind { kPrefill, kDecode };

struct TestResult {
  TestKind kind;
  int64_t tokens;
  int64_t threads;
  Stats tokens_per_second;
  double bound_tokens_per_second = 0;  // decode: bandwidth / weight bytes; 0: none
};
/// "pp512" or "tg128", as llama-bench names them.
std::string testName(const TestResult& result);

struct BandwidthResult {
  int64_t threads;
  double bytes_per_second;
};

/// Everything reported besides the per-test rows.
struct BenchFacts {
  std::string model_path;
  uint64_t model_bytes = 0;
  std::string executor;         // gemmac_model_get_executor: a library path or "portable"
  uint64_t executor_bytes = 0;  // 0: no library
  std::string cpu;
  unsigned cores = 0;
  uint64_t weight_bytes = 0;
  int32_t context = 0;
  int64_t repetitions = 0;
  int32_t decode_prompt_tokens = 0;
  int32_t kv_cache_f16 = 0;
  Stats load_milliseconds;
  PeakRssRun rss_run{};
  uint64_t peak_rss_bytes = 0;  // 0: not measured
  std::vector<BandwidthResult> bandwidth;
  uint64_t bandwidth_buffer_bytes = 0;
  int bandwidth_passes = 0;
};

void printBenchHeader(const BenchFacts& facts);
/// Prints one row of the table (and the table's head before the first row).
void printBenchRow(const BenchFacts& facts, const TestResult& result, bool first);
void printBenchJson(const BenchFacts& facts, const std::vector<TestResult>& results);

}  // namespace gemmac_run

#endif  // GEMMAC_TOOLS_GEMMAC_RUN_BENCH_H_
