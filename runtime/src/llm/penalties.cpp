#include "llm/penalties.h"

#include <algorithm>
#include <cmath>

#include "api/status.h"

namespace gemmac {

gemmac_status checkPenalties(const gemmac_generate_options& options) {
  if (!(options.repeat_penalty > 0.0f) || !std::isfinite(options.repeat_penalty))
    return makeStatus(GEMMAC_INVALID_ARGUMENT,
                      "generate: repeat_penalty %g is not a positive number (1 means off)",
                      options.repeat_penalty);
  if (!std::isfinite(options.presence_penalty))
    return makeStatus(GEMMAC_INVALID_ARGUMENT,
                      "generate: presence_penalty %g is not finite (0 means off)",
                      options.presence_penalty);
  if (!std::isfinite(options.frequency_penalty))
    return makeStatus(GEMMAC_INVALID_ARGUMENT,
                      "generate: frequency_penalty %g is not finite (0 means off)",
                      options.frequency_penalty);
  if (options.penalty_last_n < 0)
    return makeStatus(GEMMAC_INVALID_ARGUMENT,
                      "generate: penalty_last_n %d is negative (0 means no penalties)",
                      options.penalty_last_n);
  return nullptr;
}

void applyPenalties(const gemmac_generate_options& options, const std::vector<int32_t>& history,
                    float* logits, size_t vocab_size, std::vector<int32_t>* scratch) {
  const bool repeat = options.repeat_penalty != 1.0f;
  if ((!repeat && options.presence_penalty == 0.0f && options.frequency_penalty == 0.0f) ||
      options.penalty_last_n == 0)
    return;
  size_t window = std::min(history.size(), static_cast<size_t>(options.penalty_last_n));
  scratch->assign(history.end() - static_cast<std::ptrdiff_t>(window), history.end());
  // Each distinct id once (a run of the sorted window), with its count.
  std::sort(scratch->begin(), scratch->end());
  for (auto run = scratch->begin(); run != scratch->end();) {
    const auto next = std::upper_bound(run, scratch->end(), *run);
    const int32_t id = *run;
    const float count = static_cast<float>(next - run);
    run = next;
    if (id < 0 || static_cast<size_t>(id) >= vocab_size) continue;
    float& logit = logits[id];
    if (repeat) logit = logit > 0.0f ? logit / options.repeat_penalty : logit * options.repeat_penalty;
    logit -= options.presence_penalty + count * options.frequency_penalty;
  }
}

}  // namespace gemmac
