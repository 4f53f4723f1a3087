// The continuous-batching engine: one thread runs every accepted request in
// one of --max-batch slots (a session each), all of them together in one
// gemmac_batch step per token, so one pass over the weights serves them all.
// Requests wait in a bounded queue for a slot; prefill chunks of new requests
// share the steps with the others' decoding (step_plan.h). Each request picks
// its tokens with gemmac::Generator, the runtime's one definition of
// generation (sampler, stop ids and strings, grammar, UTF-8-safe text).
#ifndef GEMMAC_TOOLS_GEMMAC_SERVE_ENGINE_H_
#define GEMMAC_TOOLS_GEMMAC_SERVE_ENGINE_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "gemmac/gemmac.h"
#include "metrics.h"
#include "request_channel.h"

namespace gemmac_serve {

struct EngineOptions {
  size_t max_batch = 8;      // slots: requests decoding together
  size_t max_queue = 64;     // accepted requests waiting for a slot, beyond the slots
  size_t step_tokens = 128;  // rows per batch step (>= max_batch)
  size_t threads = 0;        // the batch's thread pool; 0: one per core
  int32_t context = 4096;    // tokens per slot, bounded by the model's
  std::chrono::seconds timeout{600};  // per request, from its arrival
  bool int8_activations = false;      // gemmac_batch_set_int8_activations: faster big steps, approximate
};

struct GrammarDeleter {
  void operator()(gemmac_grammar* grammar) const { gemmac_grammar_free(grammar); }
};

/// One generation, as the HTTP layer hands it over.
struct GenerationRequest {
  std::vector<int32_t> prompt;  // BOS and the prompt's tokens; 1 to context - 1 of them
  int32_t max_tokens = 16;
  gemmac_sampler_options sampler{};
  std::vector<std::string> stop;  // non-empty stop strings
  // gemmac_generate_options' penalties over the last 64 tokens, prompt
  // included (as llama.cpp's server applies OpenAI's two).
  float presence_penalty = 0.0f;
  float frequency_penalty = 0.0f;
  std::shared_ptr<gemmac_grammar> grammar;  // NULL: unconstrained
  bool ignore_eos = false;  // never pick a stop id (throughput measurements)
  std::shared_ptr<RequestChannel> channel;
};

class Engine {
 public:
  /// Creates the slots' sessions and the batch, and starts the engine thread.
  static gemmac_status create(gemmac_model* model, const EngineOptions& options, Metrics* metrics,
                              std::unique_ptr<Engine>* out);
  /// Stops the thread; requests still in flight end with an error.
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  enum class Admission { Accepted, QueueFull, Draining };
  /// Thread-safe. Accepted while fewer than max_batch + max_queue requests are
  /// in flight (so the bound does not depend on how soon the engine thread
  /// takes a request into a slot); the channel then gets the outcome.
  Admission submit(GenerationRequest request);
  /// Refuses new requests from now on and returns once every accepted one has ended.
  void drain();
  /// The tokens a slot holds: prompt and generated together.
  int32_t context() const { return options_.context; }

 private:
  struct Queued {
    GenerationRequest request;
    Clock::time_point arrival;
  };
  struct Slot;
  struct Pick;

  Engine(gemmac_model* model, const EngineOptions& options, Metrics* metrics);
  void run();
  /// Moves queued requests into free slots, and those cancelled or out of
  /// time out of the queue into *expired. Called with mutex_ held.
  void admitLocked(std::vector<Slot*>* admitted, std::vector<Queued>* expired);
  void start(Slot* slot);
  /// Ends what was cancelled or ran out of time, then runs one step.
  void step();
  /// Picks the next token of pending_picks_[i] (a pthreadpool task: the
  /// picks of a step run on the batch's threads; different slots' picks
  /// share nothing).
  static void pickTask(void* engine, size_t i);
  /// Sends a pick's token to its slot's client, or ends the slot (engine thread).
  void applyPick(const Pick& pick, Clock::time_point now);
  void finishSlot(Slot* slot, const std::string& finish_reason, const std::string& error_type = "",
                  const std::string& error_message = "");
  /// Hands the outcome to the request's channel and counts the request out.
  void endRequest(const GenerationRequest& request, Outcome outcome, bool in_slot);

  gemmac_model* model_;
  EngineOptions options_;
  Metrics* metrics_;
  size_t vocab_ = 0;
  gemmac_batch* batch_ = nullptr;
  // A step's logits, a row per entry that wants them in entry order: consecutive
  // rows, which gemmac_batch_step fills in place (no copy of 1 MB a row).
  std::vector<float> step_logits_;
  std::vector<std::unique_ptr<Slot>> slots_;
  uint64_t admissions_ = 0;
  std::vector<int32_t> stop_ids_;  // the model's, banned for ignore_eos requests
  std::vector<Pick> pending_picks_;  // the current step's, one per entry with logits

  std::mutex mutex_;
  std::condition_variable work_;  // the engine thread waits here for requests
  std::condition_variable idle_;  // drain() waits here for in_flight_ to reach 0
  std::deque<Queued> queue_;
  size_t in_flight_ = 0;  // accepted and not ended: queued and in slots
  size_t busy_slots_ = 0;
  bool draining_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace gemmac_serve

#endif  // GEMMAC_TOOLS_GEMMAC_SERVE_ENGINE_H_
