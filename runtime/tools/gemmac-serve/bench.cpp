// gemmac-serve bench: what continuous batching buys. For each stream count S,
// S concurrent greedy requests run through the engine (no HTTP), and the
// aggregate decode speed is the tokens generated after each stream's first
// token over the time from the first stream's first token to the last
// stream's end; it is set against gemmac_session_decode alone.
#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "../gemmac-run/bench.h"
#include "cli.h"
#include "status_message.h"

namespace gemmac_serve {
namespace {

/// Short distinct prompts: BOS and a few words naming the stream.
std::vector<int32_t> streamPrompt(const gemmac_model* model, int32_t bos, size_t stream) {
  const std::string text = "Story " + std::to_string(stream) + ": once upon a time there was";
  std::vector<int32_t> ids(text.size() + 1);
  size_t count = 0;
  if (gemmac_status status = gemmac_model_tokenize(model, text.data(), text.size(), ids.data() + 1, text.size(), &count))
    throw std::runtime_error("tokenize: " + takeStatusMessage(status));
  ids[0] = bos;
  ids.resize(count + 1);
  return ids;
}

/// Decode tokens per second of one session alone, after a short prompt
/// (gemmac-run bench's decode timing).
double singleSessionSpeed(gemmac_model* model, const gemmac_model_info& info, const BenchOptions& options) {
  gemmac_session_options session_options;
  gemmac_session_options_init(&session_options);
  session_options.num_threads = static_cast<int32_t>(options.threads);
  session_options.max_context = static_cast<int32_t>(64 + options.tokens + 1);
  gemmac_session* session = nullptr;
  if (gemmac_status status = gemmac_session_create(model, &session_options, &session))
    throw std::runtime_error("session: " + takeStatusMessage(status));
  std::unique_ptr<gemmac_session, void (*)(gemmac_session*)> owner(session, gemmac_session_free);
  std::vector<float> logits(static_cast<size_t>(info.vocab_size));
  const std::vector<int32_t> tokens =
      gemmac_run::benchTokenIds(static_cast<int64_t>(options.tokens), info.vocab_size, gemmac_run::kDecodeSeed);
  gemmac_run::Stats speed;
  if (!gemmac_run::timeDecode(session, streamPrompt(model, info.bos_id, 0), tokens,
                              static_cast<int64_t>(options.repetitions), logits.data(), &speed))
    throw std::runtime_error("the single-session decode failed");
  return speed.median;
}

/// One run of `streams` concurrent requests; their aggregate decode tokens/s.
double batchedSpeed(Engine* engine, const gemmac_model* model, int32_t bos, size_t streams,
                    const BenchOptions& options) {
  std::vector<std::shared_ptr<RequestChannel>> channels;
  for (size_t stream = 0; stream < streams; ++stream) {
    GenerationRequest request;
    request.prompt = streamPrompt(model, bos, stream);
    request.max_tokens = static_cast<int32_t>(options.tokens);
    gemmac_sampler_options_init(&request.sampler);  // greedy
    request.ignore_eos = true;  // every stream runs its N tokens
    request.channel = std::make_shared<RequestChannel>();
    channels.push_back(request.channel);
    if (engine->submit(std::move(request)) != Engine::Admission::Accepted)
      throw std::runtime_error("the engine refused a stream");
  }
  Clock::time_point first = Clock::time_point::max(), last = Clock::time_point::min();
  size_t tokens = 0;
  for (auto& channel : channels) {
    Outcome outcome;
    std::string text;
    while (!channel->wait(std::chrono::milliseconds(1000), &text, &outcome)) {
    }
    if (outcome.finish_reason.empty()) throw std::runtime_error("a stream failed: " + outcome.error_message);
    first = std::min(first, outcome.first_token);
    last = std::max(last, outcome.finished);
    tokens += outcome.completion_tokens - 1;
  }
  return static_cast<double>(tokens) / std::chrono::duration<double>(last - first).count();
}

}  // namespace

int runBench(const BenchOptions& options) {
  gemmac_run::ModelPtr model_owner;
  if (!loadModel(options.model_path, &model_owner)) return 1;
  gemmac_model* model = model_owner.get();
  gemmac_model_info info;
  if (gemmac_status status = gemmac_model_get_info(model, &info)) {
    std::fprintf(stderr, "gemmac-serve: %s\n", takeStatusMessage(status).c_str());
    return 1;
  }
  const size_t most_streams = *std::max_element(options.streams.begin(), options.streams.end());
  EngineOptions engine_options;
  engine_options.max_batch = most_streams;
  engine_options.max_queue = 0;
  engine_options.step_tokens = std::max<size_t>(128, most_streams);
  engine_options.threads = options.threads;
  engine_options.int8_activations = options.int8_activations;
  engine_options.context = static_cast<int32_t>(64 + options.tokens + 1);  // the prompts are shorter than 64
  Metrics metrics;
  std::unique_ptr<Engine> engine;
  if (gemmac_status status = Engine::create(model, engine_options, &metrics, &engine)) {
    std::fprintf(stderr, "gemmac-serve: engine: %s\n", takeStatusMessage(status).c_str());
    return 1;
  }
  const double single = singleSessionSpeed(model, info, options);
  nlohmann::json report = {{"tokens", options.tokens},
                           {"repetitions", options.repetitions},
                           {"threads", options.threads},
                           {"activations", options.int8_activations ? "int8" : "f32"},
                           {"single_session_decode_tokens_per_s", single},
                           {"streams", nlohmann::json::array()}};
  std::printf("gemmac-serve bench: %zu new tokens per stream, median of %zu (interleaved; x 1 stream: the median "
              "of each repetition's ratio), threads %zu (0: one per core), %s activations\n",
              options.tokens, options.repetitions, options.threads, options.int8_activations ? "int8" : "f32");
  std::printf("single session (gemmac_session_decode): %.1f tokens/s\n", single);
  // Repetitions outermost, every stream count in each: the machine's drift
  // (its neighbours take memory bandwidth) then falls on all counts alike, and
  // each repetition's ratio to its own one-stream run pairs like with like.
  std::vector<std::vector<double>> speeds(options.streams.size());
  for (size_t repetition = 0; repetition < options.repetitions; ++repetition)
    for (size_t i = 0; i < options.streams.size(); ++i)
      speeds[i].push_back(batchedSpeed(engine.get(), model, info.bos_id, options.streams[i], options));
  const auto one = std::find(options.streams.begin(), options.streams.end(), size_t{1});
  std::printf("%8s %22s %18s %14s\n", "streams", "aggregate tokens/s", "per stream", "x 1 stream");
  for (size_t i = 0; i < options.streams.size(); ++i) {
    const size_t streams = options.streams[i];
    const double aggregate = gemmac_run::summarize(speeds[i]).median;
    std::printf("%8zu %22.1f %18.1f", streams, aggregate, aggregate / static_cast<double>(streams));
    nlohmann::json entry = {{"streams", streams},
                            {"aggregate_tokens_per_s", aggregate},
                            {"per_stream_tokens_per_s", aggregate / static_cast<double>(streams)},
                            {"runs", speeds[i]}};
    if (one != options.streams.end()) {
      const std::vector<double>& ones = speeds[static_cast<size_t>(one - options.streams.begin())];
      std::vector<double> ratios;
      for (size_t r = 0; r < ones.size(); ++r) ratios.push_back(speeds[i][r] / ones[r]);
      const double ratio = gemmac_run::summarize(ratios).median;
      std::printf(" %14.2f\n", ratio);
      entry["vs_one_stream"] = ratio;
    } else {
      std::printf(" %14s\n", "-");
    }
    report["streams"].push_back(entry);
  }
  std::printf("%s\n", report.dump().c_str());
  return 0;
}

}  // namespace gemmac_serve
