// gemmac-run bench MODEL.gmf: prefill and decode speed like llama-bench, with
// the facts needed to judge them: load time, peak memory, and how close decode
// comes to the machine's read bandwidth (decode reads every weight once per token).
#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "bandwidth.h"
#include "bench.h"
#include "cli.h"
#include "peak_rss.h"

namespace gemmac_run {
namespace {

constexpr int kBandwidthPasses = 5;

struct BenchOptions {
  std::string model_path;
  std::vector<int64_t> prompt_lengths = {64, 512};  // 0 entries skip
  int64_t decode_tokens = 128;                      // 0: no decode test
  // Decode tests start after this many prompt tokens (-d): by default a short
  // conversation opener, so attention over the cache stays a small part of
  // each step, as in llama-bench's tg; a long one times attention at depth.
  int64_t decode_prompt_tokens = 8;
  int32_t kv_cache_f16 = 0;  // --kv
  std::vector<int64_t> threads = {1, 2};
  int64_t repetitions = 5;
  int64_t context = 0;  // 0: the smallest that holds every test
  int64_t bandwidth_mib = 2048;
  // The memory run: a long prompt and a reply, at a context that just holds them,
  // on the session's default threads.
  PeakRssRun rss_run = {640, 512, 128, 0, 0};
  bool json = false;
};

/// "64,512" -> {64, 512}; each entry in [min, max].
std::vector<int64_t> parseIntList(const std::string& flag, const std::string& text, int64_t min, int64_t max) {
  std::vector<int64_t> values;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = std::min(text.find(',', start), text.size());
    values.push_back(parseInt(flag, text.substr(start, comma - start), min, max));
    start = comma + 1;
  }
  return values;
}

BenchOptions parseBenchOptions(int argc, char** argv) {
  BenchOptions options;
  for (Args args(argc, argv, 2); !args.done();) {
    std::string flag = args.next();
    if (flag == "-p") {
      options.prompt_lengths = parseIntList(flag, args.value(flag), 0, INT32_MAX);
    } else if (flag == "-n") {
      options.decode_tokens = parseInt(flag, args.value(flag), 0, INT32_MAX);
    } else if (flag == "-d") {
      options.decode_prompt_tokens = parseInt(flag, args.value(flag), 1, INT32_MAX / 2);
    } else if (flag == "--kv") {
      options.kv_cache_f16 = parseKvCacheType(flag, args.value(flag));
    } else if (flag == "-t") {
      options.threads = parseIntList(flag, args.value(flag), 1, 1024);
    } else if (flag == "-r") {
      options.repetitions = parseInt(flag, args.value(flag), 1, 1000);
    } else if (flag == "--ctx") {
      options.context = parseInt(flag, args.value(flag), 1, INT32_MAX);
    } else if (flag == "--bandwidth-mib") {
      options.bandwidth_mib = parseInt(flag, args.value(flag), 1, 1 << 20);
    } else if (flag == "--rss-run") {
      std::vector<int64_t> tokens = parseIntList(flag, args.value(flag), 0, INT32_MAX / 2);
      if (tokens.size() != 2 || tokens[0] == 0)
        throw UsageError{"bench: --rss-run: expected PROMPT,DECODE token counts, PROMPT at least 1"};
      options.rss_run = {static_cast<int32_t>(tokens[0] + tokens[1]), static_cast<int32_t>(tokens[0]),
                         static_cast<int32_t>(tokens[1]), 0, 0};
    } else if (flag == "--json") {
      options.json = true;
    } else if (!flag.empty() && flag[0] == '-') {
      throw UsageError{"bench: unknown option " + flag};
    } else if (options.model_path.empty()) {
      options.model_path = flag;
    } else {
      throw UsageError{"bench: unexpected argument " + flag};
    }
  }
  if (options.model_path.empty()) throw UsageError{"bench: needs a model file"};
  options.prompt_lengths.erase(std::remove(options.prompt_lengths.begin(), options.prompt_lengths.end(), 0),
                               options.prompt_lengths.end());
  if (options.prompt_lengths.empty() && options.decode_tokens == 0)
    throw UsageError{"bench: nothing to run (-p 0 and -n 0)"};
  options.rss_run.kv_cache_f16 = options.kv_cache_f16;
  return options;
}

int64_t longestPrompt(const BenchOptions& options) {
  return options.prompt_lengths.empty()
             ? 0
             : *std::max_element(options.prompt_lengths.begin(), options.prompt_lengths.end());
}

int64_t decodeTestContext(const BenchOptions& options) {
  return options.decode_tokens ? options.decode_prompt_tokens + options.decode_tokens : 0;
}

/// Refuses, before anything runs, tests the context given by --ctx cannot hold.
void checkTestsFitContext(const BenchOptions& options) {
  if (options.context == 0) return;
  const std::string context = std::to_string(options.context);
  for (int64_t length : options.prompt_lengths)
    if (length > options.context)
      throw UsageError{"bench: -p " + std::to_string(length) + ": a prompt of " + std::to_string(length) +
                       " tokens does not fit a context of " + context + " (--ctx)"};
  if (decodeTestContext(options) > options.context)
    throw UsageError{"bench: -n " + std::to_string(options.decode_tokens) + ": the decode test needs " +
                     std::to_string(options.decode_prompt_tokens) + " prompt + " +
                     std::to_string(options.decode_tokens) +
                     " decoded tokens, more than a context of " + context + " (--ctx)"};
}

uint64_t fileBytes(const std::string& path) {
  struct stat info {};
  return stat(path.c_str(), &info) == 0 ? static_cast<uint64_t>(info.st_size) : 0;
}

std::string cpuModelName() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  for (std::string line; std::getline(cpuinfo, line);) {
    if (line.rfind("model name", 0) != 0) continue;
    size_t colon = line.find(':');
    if (colon != std::string::npos && colon + 2 <= line.size()) return line.substr(colon + 2);
  }
  return "unknown";
}

/// Loads the model once for what it says about itself, and checks the context
/// against it. False (with a message) when it does not load or cannot hold the tests.
bool describeModel(const BenchOptions& options, BenchFacts* facts, gemmac_model_info* info) {
  gemmac_model* raw_model = nullptr;
  if (reportError(gemmac_model_load(options.model_path.c_str(), &raw_model), "load")) return false;
  ModelPtr model(raw_model);
  if (reportError(gemmac_model_get_info(model.get(), info), "model info")) return false;
  facts->executor = gemmac_model_get_executor(model.get());
  if (facts->executor != "portable") facts->executor_bytes = fileBytes(facts->executor);
  if (facts->context > info->max_context) {
    std::fprintf(stderr, "gemmac-run: bench: the tests need a context of %d tokens; %s holds at most %d\n",
                 facts->context, options.model_path.c_str(), info->max_context);
    return false;
  }
  if (info->vocab_size <= 3) {
    std::fprintf(stderr, "gemmac-run: bench: a vocabulary of %d has no ordinary tokens\n", info->vocab_size);
    return false;
  }
  return true;
}

/// Runs every test on `threads` threads in one session; appends a row per test.
bool runTests(gemmac_model* model, const gemmac_model_info& info, const BenchOptions& options, int64_t threads,
              const BenchFacts& facts, std::vector<TestResult>* results) {
  gemmac_session_options session_options;
  gemmac_session_options_init(&session_options);
  session_options.max_context = facts.context;
  session_options.num_threads = static_cast<int32_t>(threads);
  session_options.kv_cache_f16 = options.kv_cache_f16;
  gemmac_session* raw_session = nullptr;
  if (reportError(gemmac_session_create(model, &session_options, &raw_session), "session")) return false;
  SessionPtr session(raw_session);
  std::vector<float> logits(static_cast<size_t>(info.vocab_size));

  auto record = [&](TestResult result) {
    if (!options.json) printBenchRow(facts, result, results->empty());
    results->push_back(result);
  };
  for (int64_t length : options.prompt_lengths) {
    TestResult result{TestKind::kPrefill, length, threads, {}};
    if (!timePrefill(session.get(), benchTokenIds(length, info.vocab_size, kPromptSeed), options.repetitions,
                     logits.data(), &result.tokens_per_second))
      return false;
    record(result);
  }
  if (options.decode_tokens) {
    TestResult result{TestKind::kDecode, options.decode_tokens, threads, {}};
    if (!timeDecode(session.get(), benchTokenIds(options.decode_prompt_tokens, info.vocab_size, kPromptSeed),
                    benchTokenIds(options.decode_tokens, info.vocab_size, kDecodeSeed), options.repetitions,
                    logits.data(), &result.tokens_per_second))
      return false;
    for (const BandwidthResult& bandwidth : facts.bandwidth)
      if (bandwidth.threads == threads && facts.weight_bytes)
        result.bound_tokens_per_second = bandwidth.bytes_per_second / static_cast<double>(facts.weight_bytes);
    record(result);
  }
  return true;
}

}  // namespace

int runBench(int argc, char** argv) {
  const BenchOptions options = parseBenchOptions(argc, argv);
  checkTestsFitContext(options);

  BenchFacts facts;
  facts.model_path = options.model_path;
  facts.model_bytes = fileBytes(options.model_path);
  facts.cpu = cpuModelName();
  facts.cores = std::thread::hardware_concurrency();
  facts.repetitions = options.repetitions;
  facts.decode_prompt_tokens = static_cast<int32_t>(options.decode_prompt_tokens);
  facts.kv_cache_f16 = options.kv_cache_f16;
  facts.context = static_cast<int32_t>(
      options.context ? options.context : std::max(longestPrompt(options), decodeTestContext(options)));
  gemmac_model_info info{};
  if (!describeModel(options, &facts, &info)) return 1;
  facts.weight_bytes = info.weight_bytes;
  if (!timeModelLoad(options.model_path, options.repetitions, &facts.load_milliseconds)) return 1;

  // Before any thread or large buffer exists here: fork copies only the calling
  // thread, and the child's peak starts from the RSS it inherits.
  facts.rss_run = options.rss_run;
  if (info.max_context >= options.rss_run.context) {
    facts.peak_rss_bytes = measurePeakRss(options.model_path, options.rss_run);
    if (!facts.peak_rss_bytes) return 1;
  }

  {
    const uint64_t buffer_bytes = static_cast<uint64_t>(options.bandwidth_mib) << 20;
    ReadBandwidthBuffer buffer(buffer_bytes);
    facts.bandwidth_buffer_bytes = buffer_bytes;
    facts.bandwidth_passes = kBandwidthPasses;
    for (int64_t threads : options.threads)
      facts.bandwidth.push_back({threads, buffer.measure(static_cast<int>(threads), kBandwidthPasses)});
  }  // freed before the model runs

  if (!options.json) printBenchHeader(facts);
  gemmac_model* raw_model = nullptr;
  if (reportError(gemmac_model_load(options.model_path.c_str(), &raw_model), "load")) return 1;
  ModelPtr model(raw_model);
  std::vector<TestResult> results;
  for (int64_t threads : options.threads)
    if (!runTests(model.get(), info, options, threads, facts, &results)) return 1;
  if (options.json) printBenchJson(facts, results);
  return 0;
}

}  // namespace gemmac_run
