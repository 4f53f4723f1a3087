#include "llm/grammar/constraint.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <new>

#include "api/grammar.h"
#include "api/model.h"
#include "api/session.h"
#include "api/status.h"

namespace gemmac::grammar {
namespace {

using Clock = std::chrono::steady_clock;

double msSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

}  // namespace

gemmac_status Constraint::create(const gemmac_session* session, const gemmac_generate_options& options,
                                 std::unique_ptr<Constraint>* out) {
  gemmac_grammar* grammar = options.grammar;
  if (grammar == nullptr) return nullptr;
  const gemmac_model& model = *session->model;
  if (grammar->model != &model)
    return makeStatus(GEMMAC_INVALID_ARGUMENT, "generate: the grammar was created for another model");
  std::unique_ptr<Matcher> matcher;
  {
    std::lock_guard<std::mutex> lock(grammar->mutex);
    if (!grammar->idle_matchers.empty()) {
      matcher = std::move(grammar->idle_matchers.back());
      grammar->idle_matchers.pop_back();
    }
  }
  if (matcher == nullptr) {
    matcher = std::make_unique<Matcher>(grammar->grammar, *grammar->trie, grammar->pieces);
  } else {
    matcher->reset();
  }
  out->reset(new Constraint(grammar, options, model.stop_ids, std::move(matcher)));
  return nullptr;
}

Constraint::Constraint(gemmac_grammar* grammar, const gemmac_generate_options& options,
                       const std::vector<int32_t>& stop_ids, std::unique_ptr<Matcher> matcher)
    : grammar_(grammar), sampler_options_(options.sampler), stop_ids_(stop_ids), matcher_(std::move(matcher)) {}

Constraint::~Constraint() {
  gemmac_grammar_stats stats{};
  stats.tokens = static_cast<int64_t>(token_ms_.size());
  stats.masks = masks_;
  stats.masks_cached = masks_cached_;
  if (!token_ms_.empty()) {
    // In place: a destructor must not allocate (and throw).
    auto middle = token_ms_.begin() + token_ms_.size() / 2;
    std::nth_element(token_ms_.begin(), middle, token_ms_.end());
    stats.median_ms = *middle;
    stats.max_ms = *std::max_element(token_ms_.begin(), token_ms_.end());
  }
  std::lock_guard<std::mutex> lock(grammar_->mutex);
  grammar_->stats = stats;
  try {
    grammar_->idle_matchers.push_back(std::move(matcher_));
  } catch (const std::bad_alloc&) {
    // The warm caches are lost, nothing else: the next user builds its own.
  }
}

bool Constraint::isStop(int32_t id) const {
  return std::find(stop_ids_.begin(), stop_ids_.end(), id) != stop_ids_.end();
}

gemmac_status Constraint::sample(gemmac_sampler* sampler, float* logits, size_t vocab_size, int32_t* id) {
  double sampler_ms = 0;
  auto sampleFrom = [&](int32_t* out) {
    auto start = Clock::now();
    gemmac_status status = gemmac_sampler_sample(sampler, logits, vocab_size, out);
    sampler_ms += msSince(start);
    return status;
  };
  auto start = Clock::now();
  // Greedy as gemmac_sampler_sample decides it: the argmax, unchanged when allowed.
  const bool greedy = sampler_options_.temperature <= 0.0f || sampler_options_.top_k == 1;
  if (greedy) {
    GEMMAC_RETURN_IF_ERROR(sampleFrom(id));
    if (isStop(*id) ? matcher_->complete() : matcher_->allows(*id)) {
      token_ms_.push_back(msSince(start) - sampler_ms);
      return nullptr;
    }
  }
  bool cached;
  const uint64_t* mask = matcher_->mask(&cached);
  ++masks_;
  masks_cached_ += cached;
  // Stop ids are outside the mask (they add no text): allowed where the text is complete.
  const bool complete = matcher_->complete();
  stop_logits_.clear();
  if (complete)
    for (int32_t stop : stop_ids_)
      if (stop >= 0 && static_cast<size_t>(stop) < vocab_size) stop_logits_.push_back({stop, logits[stop]});
  bool any = !stop_logits_.empty();
  // A word at a time: structural states allow few tokens, string states most.
  for (size_t base = 0; base < vocab_size; base += 64) {
    const uint64_t bits = mask[base >> 6];
    const size_t n = std::min<size_t>(64, vocab_size - base);
    any |= bits != 0;
    if (bits == 0) {
      std::fill_n(logits + base, n, -INFINITY);
    } else if (bits != ~uint64_t{0}) {
      for (size_t j = 0; j < n; ++j)
        if (!((bits >> j) & 1)) logits[base + j] = -INFINITY;
    }
  }
  for (auto [stop, value] : stop_logits_) logits[stop] = value;
  if (!any)
    return makeStatus(GEMMAC_INVALID_ARGUMENT, "generate: no token of the vocabulary continues the grammar here");
  GEMMAC_RETURN_IF_ERROR(sampleFrom(id));
  token_ms_.push_back(msSince(start) - sampler_ms);
  return nullptr;
}

void Constraint::accept(int32_t id) {
  auto start = Clock::now();
  matcher_->accept(id);
  if (!token_ms_.empty()) token_ms_.back() += msSince(start);
}

gemmac_status Constraint::checkComplete(const char* why) const {
  if (matcher_->complete()) return nullptr;
  return makeStatus(GEMMAC_OUT_OF_RANGE, "generate: %s before the grammar's text was complete: the output is unfinished",
                    why);
}

}  // namespace gemmac::grammar
