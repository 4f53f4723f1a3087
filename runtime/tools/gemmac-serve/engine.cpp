#include "engine.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "api/model.h"
#include "llm/generator.h"
#include "status_message.h"
#include "step_plan.h"

namespace gemmac_serve {

struct Engine::Slot {
  gemmac_session* session = nullptr;
  bool busy = false;
  GenerationRequest request;
  Clock::time_point arrival, deadline, first_token, last_token;
  uint64_t admitted = 0;
  std::unique_ptr<gemmac::Generator> generator;
  size_t prompt_done = 0;   // prompt tokens the session holds
  int32_t next_token = -1;  // picked, to append in the next step
  bool picked_any = false;
};

struct Engine::Pick {
  Slot* slot;
  float* logits;  // its row of step_logits_ (overwritten)
  gemmac::Generator::Pick result;
  gemmac_status status = nullptr;  // the pick failed
  bool threw = false;              // it ran out of memory
};

namespace {

// The session's default prefill chunk; a step never holds more than
// step_tokens rows, so a bigger chunk would never be used.
constexpr size_t kPrefillChunk = 128;

double seconds(Clock::duration duration) { return std::chrono::duration<double>(duration).count(); }

}  // namespace

Engine::Engine(gemmac_model* model, const EngineOptions& options, Metrics* metrics)
    : model_(model), options_(options), metrics_(metrics) {}

gemmac_status Engine::create(gemmac_model* model, const EngineOptions& options, Metrics* metrics,
                             std::unique_ptr<Engine>* out) {
  gemmac_model_info info;
  if (gemmac_status status = gemmac_model_get_info(model, &info)) return status;
  std::unique_ptr<Engine> engine(new Engine(model, options, metrics));
  engine->options_.context = std::min(options.context, info.max_context);
  engine->vocab_ = static_cast<size_t>(info.vocab_size);
  engine->stop_ids_ = model->stop_ids;
  if (gemmac_status status = gemmac_batch_create(model, options.step_tokens, options.threads, &engine->batch_))
    return status;
  engine->step_logits_.resize(options.max_batch * engine->vocab_);
  if (options.int8_activations)
    if (gemmac_status status = gemmac_batch_set_int8_activations(engine->batch_, 1)) return status;
  gemmac_session_options session_options;
  gemmac_session_options_init(&session_options);
  session_options.max_context = engine->options_.context;
  session_options.prefill_chunk = static_cast<int32_t>(std::min(kPrefillChunk, options.step_tokens));
  session_options.num_threads = 1;  // the batch's pool runs the steps
  for (size_t i = 0; i < options.max_batch; ++i) {
    auto slot = std::make_unique<Slot>();
    if (gemmac_status status = gemmac_session_create(model, &session_options, &slot->session)) return status;
    engine->slots_.push_back(std::move(slot));
  }
  engine->thread_ = std::thread([raw = engine.get()] { raw->run(); });
  *out = std::move(engine);
  return nullptr;
}

Engine::~Engine() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  work_.notify_all();
  if (thread_.joinable()) thread_.join();
  for (auto& slot : slots_) gemmac_session_free(slot->session);
  gemmac_batch_free(batch_);
}

Engine::Admission Engine::submit(GenerationRequest request) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (draining_ || stopping_) return Admission::Draining;
    if (in_flight_ >= options_.max_batch + options_.max_queue) return Admission::QueueFull;
    queue_.push_back({std::move(request), Clock::now()});
    ++in_flight_;
    metrics_->queue_depth = static_cast<int64_t>(queue_.size());
  }
  work_.notify_one();
  return Admission::Accepted;
}

void Engine::drain() {
  std::unique_lock<std::mutex> lock(mutex_);
  draining_ = true;
  idle_.wait(lock, [&] { return in_flight_ == 0; });
}

void Engine::run() {
  for (;;) {
    std::vector<Slot*> admitted;
    std::vector<Queued> expired;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      // Sleeps while there is nothing to run: no busy slot and no queued request.
      work_.wait(lock, [&] { return stopping_ || !queue_.empty() || busy_slots_ > 0; });
      if (stopping_) break;
      admitLocked(&admitted, &expired);
    }
    for (Queued& queued : expired) {
      const bool cancelled = queued.request.channel->cancelled();
      Outcome outcome;
      outcome.error_type = cancelled ? "cancelled" : "timeout";
      outcome.error_message = cancelled ? "the client disconnected" : "the request timed out waiting for a slot";
      outcome.prompt_tokens = queued.request.prompt.size();
      outcome.first_token = queued.arrival;
      endRequest(queued.request, std::move(outcome), /*in_slot=*/false);
    }
    for (Slot* slot : admitted) start(slot);
    step();
  }
  // Stopped with requests in flight (drain() was not called): end them.
  std::deque<Queued> queued;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    queued.swap(queue_);
  }
  for (Queued& request : queued) {
    Outcome outcome;
    outcome.error_type = "server_error";
    outcome.error_message = "the server stopped";
    endRequest(request.request, std::move(outcome), /*in_slot=*/false);
  }
  for (auto& slot : slots_)
    if (slot->busy) finishSlot(slot.get(), "", "server_error", "the server stopped");
}

void Engine::admitLocked(std::vector<Slot*>* admitted, std::vector<Queued>* expired) {
  const Clock::time_point now = Clock::now();
  for (auto it = queue_.begin(); it != queue_.end();) {
    if (it->request.channel->cancelled() || now - it->arrival >= options_.timeout) {
      expired->push_back(std::move(*it));
      it = queue_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto& slot : slots_) {
    if (queue_.empty()) break;
    if (slot->busy) continue;
    Queued& front = queue_.front();
    slot->busy = true;
    slot->request = std::move(front.request);
    slot->arrival = front.arrival;
    slot->deadline = front.arrival + options_.timeout;
    slot->admitted = admissions_++;
    queue_.pop_front();
    ++busy_slots_;
    admitted->push_back(slot.get());
  }
  metrics_->queue_depth = static_cast<int64_t>(queue_.size());
  metrics_->active_slots = static_cast<int64_t>(busy_slots_);
}

void Engine::start(Slot* slot) {
  gemmac_session_reset(slot->session);
  slot->prompt_done = 0;
  slot->next_token = -1;
  slot->picked_any = false;
  const GenerationRequest& request = slot->request;
  std::vector<const char*> stop;
  for (const std::string& text : request.stop) stop.push_back(text.c_str());
  gemmac_generate_options options;
  gemmac_generate_options_init(&options);
  options.max_new_tokens = request.max_tokens;
  options.sampler = request.sampler;
  options.stop_strings = stop.empty() ? nullptr : stop.data();
  options.stop_string_count = stop.size();
  options.grammar = request.grammar.get();
  options.presence_penalty = request.presence_penalty;
  options.frequency_penalty = request.frequency_penalty;
  if (gemmac_status status = gemmac::Generator::create(slot->session, options, &slot->generator))
    finishSlot(slot, "", "server_error", takeStatusMessage(status));
}

void Engine::step() {
  const Clock::time_point now = Clock::now();
  std::vector<SlotProgress> progress;
  for (size_t i = 0; i < slots_.size(); ++i) {
    Slot* slot = slots_[i].get();
    if (!slot->busy) continue;
    if (slot->request.channel->cancelled()) {
      finishSlot(slot, "", "cancelled", "the client disconnected");
    } else if (now >= slot->deadline) {
      finishSlot(slot, "", "timeout",
                 "the request ran out of time (--timeout " + std::to_string(options_.timeout.count()) + " s)");
    } else {
      progress.push_back({i, slot->request.prompt.size() - slot->prompt_done, slot->admitted});
    }
  }
  const std::vector<PlannedEntry> plan =
      planStep(std::move(progress), options_.step_tokens, std::min(kPrefillChunk, options_.step_tokens));
  if (plan.empty()) return;
  std::vector<gemmac_batch_entry> entries;
  size_t logit_rows = 0;
  for (const PlannedEntry& planned : plan) {
    Slot* slot = slots_[planned.slot].get();
    const bool prefill = slot->prompt_done < slot->request.prompt.size();
    entries.push_back({slot->session, prefill ? slot->request.prompt.data() + slot->prompt_done : &slot->next_token,
                       planned.count, planned.logits ? step_logits_.data() + logit_rows++ * vocab_ : nullptr});
  }
  gemmac_status status = gemmac_batch_step(batch_, entries.data(), entries.size());
  ++metrics_->steps;
  metrics_->batch_size.observe(static_cast<double>(entries.size()));
  if (status != nullptr) {
    // Nothing ran (the batch checks before running); the step's requests fail.
    const std::string message = "batch step: " + takeStatusMessage(status);
    for (const PlannedEntry& planned : plan) finishSlot(slots_[planned.slot].get(), "", "server_error", message);
    return;
  }
  pending_picks_.clear();
  for (size_t i = 0; i < plan.size(); ++i) {
    Slot* slot = slots_[plan[i].slot].get();
    if (slot->prompt_done < slot->request.prompt.size()) {
      slot->prompt_done += plan[i].count;
      metrics_->prompt_tokens += plan[i].count;
    }
    if (entries[i].logits) pending_picks_.push_back({slot, entries[i].logits, {}});
  }
  // Sampling 16 rows of a 262k vocabulary on one thread was a twentieth of a step.
  if ((status = gemmac_batch_parallel_for(batch_, &Engine::pickTask, this, pending_picks_.size()))) {
    const std::string message = "pick: " + takeStatusMessage(status);
    for (const Pick& pick : pending_picks_) finishSlot(pick.slot, "", "server_error", message);
    return;
  }
  const Clock::time_point picked = Clock::now();
  for (const Pick& pick : pending_picks_) applyPick(pick, picked);
}

void Engine::pickTask(void* engine, size_t i) {
  Engine& self = *static_cast<Engine*>(engine);
  Pick& pick = self.pending_picks_[i];
  try {
    if (pick.slot->request.ignore_eos)
      for (int32_t id : self.stop_ids_) pick.logits[static_cast<size_t>(id)] = -std::numeric_limits<float>::infinity();
    pick.status = pick.slot->generator->pick(pick.logits, &pick.result);
  } catch (...) {  // a task must not throw (std::bad_alloc from the text)
    pick.threw = true;
  }
}

void Engine::applyPick(const Pick& picked, Clock::time_point now) {
  Slot* slot = picked.slot;
  if (picked.status || picked.threw) {
    finishSlot(slot, "", "server_error",
               "pick: " + (picked.threw ? std::string("out of memory") : takeStatusMessage(picked.status)));
    return;
  }
  const gemmac::Generator::Pick& pick = picked.result;
  if (!slot->picked_any) {
    slot->picked_any = true;
    slot->first_token = now;
    metrics_->time_to_first_token.observe(seconds(now - slot->arrival));
  } else {
    metrics_->time_per_output_token.observe(seconds(now - slot->last_token));
  }
  slot->last_token = now;
  slot->request.channel->append(pick.text);
  using End = gemmac::Generator::End;
  switch (pick.end) {
    case End::None:
      // The picked token needs a position of its own in the next step.
      if (gemmac_session_get_position(slot->session) >= static_cast<size_t>(options_.context))
        finishSlot(slot, "length");
      else
        slot->next_token = pick.id;
      return;
    case End::Length:
      finishSlot(slot, "length");
      return;
    case End::StopId:
    case End::StopString:
    case End::Grammar:
    case End::Callback:  // no callback is set
      finishSlot(slot, "stop");
      return;
  }
}

void Engine::finishSlot(Slot* slot, const std::string& finish_reason, const std::string& error_type,
                        const std::string& error_message) {
  Outcome outcome;
  if (slot->generator) {
    slot->request.channel->append(slot->generator->finish());  // text held back for a stop string or a character
    outcome.completion_tokens = slot->generator->ids().size();
  }
  outcome.finish_reason = finish_reason;
  outcome.error_type = error_type;
  outcome.error_message = error_message;
  outcome.prompt_tokens = slot->request.prompt.size();
  outcome.first_token = slot->picked_any ? slot->first_token : slot->arrival;
  slot->generator.reset();  // before the request's grammar, which it uses
  GenerationRequest request = std::move(slot->request);
  slot->request = GenerationRequest();
  slot->busy = false;
  endRequest(request, std::move(outcome), /*in_slot=*/true);
}

void Engine::endRequest(const GenerationRequest& request, Outcome outcome, bool in_slot) {
  outcome.finished = Clock::now();
  metrics_->completion_tokens += outcome.completion_tokens;
  metrics_->requests.add(!outcome.finish_reason.empty()        ? outcome.finish_reason
                         : outcome.error_type == "server_error" ? "error"
                                                                : outcome.error_type);
  {
    // Counted out before the channel tells the client, so that a client that
    // sees the end and submits again finds its place free.
    std::lock_guard<std::mutex> lock(mutex_);
    --in_flight_;
    if (in_slot) --busy_slots_;
    metrics_->active_slots = static_cast<int64_t>(busy_slots_);
    request.channel->finish(std::move(outcome));  // under mutex_: drain() returns only after every finish
  }
  idle_.notify_all();
}

}  // namespace gemmac_serve
