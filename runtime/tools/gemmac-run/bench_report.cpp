// gemmac-run bench's output: a header of facts and a llama-bench-like table, or
// one hand-written JSON object with the same content.
#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <string>

#include "bench.h"
#include "json_text.h"
#include "cli.h"

namespace gemmac_run {
namespace {

constexpr double kMiB = 1024.0 * 1024.0;
constexpr double kGiB = 1024.0 * kMiB;

std::string formatted(const char* format, double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, format, value);
  return buffer;
}

std::string humanBytes(uint64_t bytes) {
  return bytes >= kGiB ? formatted("%.2f GiB", bytes / kGiB) : formatted("%.2f MiB", bytes / kMiB);
}

std::string baseName(const std::string& path) {
  size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string threadsText(int64_t threads) {
  return std::to_string(threads) + (threads == 1 ? " thread" : " threads");
}

double percentOfBound(const TestResult& result) {
  return 100.0 * result.tokens_per_second.median / result.bound_tokens_per_second;
}

// ---- JSON ----


// JSON has no NaN or infinity; a number that is not finite is printed as null.
std::string jsonNumber(double value) {
  return std::isfinite(value) ? formatted("%.6g", value) : "null";
}

std::string jsonStats(const Stats& stats) {
  return "{\"median\": " + jsonNumber(stats.median) + ", \"min\": " + jsonNumber(stats.min) +
         ", \"max\": " + jsonNumber(stats.max) + "}";
}

}  // namespace

void printBenchHeader(const BenchFacts& facts) {
  std::printf("cpu:        %s, %u cores\n", facts.cpu.c_str(), facts.cores);
  std::printf("model:      %s, %" PRIu64 " bytes (%s)\n", facts.model_path.c_str(), facts.model_bytes,
              humanBytes(facts.model_bytes).c_str());
  if (facts.executor_bytes)
    std::printf("executor:   %s, %" PRIu64 " bytes (%s)\n", facts.executor.c_str(), facts.executor_bytes,
                humanBytes(facts.executor_bytes).c_str());
  else
    std::printf("executor:   %s\n", facts.executor.c_str());
  std::printf("weights:    %" PRIu64 " bytes (%s) read per decoded token\n", facts.weight_bytes,
              humanBytes(facts.weight_bytes).c_str());
  std::printf("load:       %.2f ms median (%.2f - %.2f) of %" PRId64 " load + free, warm page cache\n",
              facts.load_milliseconds.median, facts.load_milliseconds.min, facts.load_milliseconds.max,
              facts.repetitions);
  const PeakRssRun& run = facts.rss_run;
  std::string run_text = "prefill " + std::to_string(run.prompt_tokens) + " + decode " +
                         std::to_string(run.decode_tokens) + " at context " + std::to_string(run.context) +
                         ", " + (run.num_threads ? threadsText(run.num_threads) : "default threads");
  if (facts.peak_rss_bytes)
    std::printf("peak RSS:   %.1f MiB (%s)\n", facts.peak_rss_bytes / kMiB, run_text.c_str());
  else
    std::printf("peak RSS:   not measured: the model's context is shorter than the run (%s)\n", run_text.c_str());
  std::string bandwidth;
  for (const BandwidthResult& result : facts.bandwidth)
    bandwidth += (bandwidth.empty() ? "" : ", ") + threadsText(result.threads) +
                 formatted(" %.1f GB/s", result.bytes_per_second / 1e9);
  std::printf("bandwidth:  %s (read, %.0f MiB buffer, median of %d passes)\n", bandwidth.c_str(),
              facts.bandwidth_buffer_bytes / kMiB, facts.bandwidth_passes);
  std::printf("runs:       context %d, %s KV cache, %d prompt tokens before each decode test, %" PRId64
              " timed repetitions + 1 warm-up\n\n",
              facts.context, kvCacheTypeName(facts.kv_cache_f16), facts.decode_prompt_tokens, facts.repetitions);
}

void printBenchRow(const BenchFacts& facts, const TestResult& result, bool first) {
  const std::string model = baseName(facts.model_path);
  const int width = static_cast<int>(std::max<size_t>(model.size(), 5));
  if (first) {
    std::printf("| %-*s | %10s | %7s | %7s | %10s | %19s | %10s |\n", width, "model", "size", "threads", "test",
                "t/s", "min - max", "% of bound");
    std::printf("| %s | ---------: | ------: | ------: | ---------: | ------------------: | ---------: |\n",
                std::string(width, '-').c_str());
  }
  std::string range = formatted("%.2f", result.tokens_per_second.min) + " - " +
                      formatted("%.2f", result.tokens_per_second.max);
  std::string bound = result.bound_tokens_per_second > 0 ? formatted("%.1f%%", percentOfBound(result)) : "-";
  std::printf("| %-*s | %10s | %7" PRId64 " | %7s | %10.2f | %19s | %10s |\n", width, model.c_str(),
              humanBytes(facts.model_bytes).c_str(), result.threads, testName(result).c_str(),
              result.tokens_per_second.median, range.c_str(), bound.c_str());
  std::fflush(stdout);  // rows appear as tests finish
}

void printBenchJson(const BenchFacts& facts, const std::vector<TestResult>& results) {
  const PeakRssRun& run = facts.rss_run;
  std::printf("{\n");
  std::printf("  \"model\": %s,\n", jsonString(facts.model_path).c_str());
  std::printf("  \"model_bytes\": %" PRIu64 ",\n", facts.model_bytes);
  std::printf("  \"executor\": %s,\n", jsonString(facts.executor).c_str());
  std::printf("  \"executor_bytes\": %s,\n",
              facts.executor_bytes ? std::to_string(facts.executor_bytes).c_str() : "null");
  std::printf("  \"cpu\": %s,\n", jsonString(facts.cpu).c_str());
  std::printf("  \"cores\": %u,\n", facts.cores);
  std::printf("  \"weight_bytes\": %" PRIu64 ",\n", facts.weight_bytes);
  std::printf("  \"context\": %d,\n", facts.context);
  std::printf("  \"kv_cache\": \"%s\",\n", kvCacheTypeName(facts.kv_cache_f16));
  std::printf("  \"decode_prompt_tokens\": %d,\n", facts.decode_prompt_tokens);
  std::printf("  \"repetitions\": %" PRId64 ",\n", facts.repetitions);
  std::printf("  \"load_ms\": %s,\n", jsonStats(facts.load_milliseconds).c_str());
  std::printf("  \"peak_rss\": {\"mib\": %s, \"context\": %d, \"prompt_tokens\": %d, \"decode_tokens\": %d, "
              "\"threads\": %d},\n",
              facts.peak_rss_bytes ? jsonNumber(facts.peak_rss_bytes / kMiB).c_str() : "null", run.context,
              run.prompt_tokens, run.decode_tokens, run.num_threads);
  std::printf("  \"bandwidth\": {\"buffer_bytes\": %" PRIu64 ", \"passes\": %d, \"gb_per_s\": [",
              facts.bandwidth_buffer_bytes, facts.bandwidth_passes);
  for (size_t i = 0; i < facts.bandwidth.size(); ++i)
    std::printf("%s{\"threads\": %" PRId64 ", \"gb_per_s\": %s}", i ? ", " : "", facts.bandwidth[i].threads,
                jsonNumber(facts.bandwidth[i].bytes_per_second / 1e9).c_str());
  std::printf("]},\n");
  std::printf("  \"tests\": [");
  for (size_t i = 0; i < results.size(); ++i) {
    const TestResult& result = results[i];
    const bool bounded = result.bound_tokens_per_second > 0;
    std::printf("%s\n    {\"test\": %s, \"threads\": %" PRId64 ", \"tokens\": %" PRId64
                ", \"tok_per_s\": %s, \"bound_tok_per_s\": %s, \"percent_of_bound\": %s}",
                i ? "," : "", jsonString(testName(result)).c_str(), result.threads, result.tokens,
                jsonStats(result.tokens_per_second).c_str(),
                bounded ? jsonNumber(result.bound_tokens_per_second).c_str() : "null",
                bounded ? jsonNumber(percentOfBound(result)).c_str() : "null");
  }
  std::printf("\n  ]\n}\n");
}

}  // namespace gemmac_run
