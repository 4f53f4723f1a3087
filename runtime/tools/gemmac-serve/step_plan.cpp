#include "step_plan.h"

#include <algorithm>

namespace gemmac_serve {

std::vector<PlannedEntry> planStep(std::vector<SlotProgress> slots, size_t step_tokens, size_t prefill_chunk) {
  std::vector<PlannedEntry> plan;
  size_t budget = step_tokens;
  for (const SlotProgress& slot : slots) {
    if (slot.prompt_left == 0 && budget > 0) {
      plan.push_back({slot.slot, 1, true});
      --budget;
    }
  }
  std::sort(slots.begin(), slots.end(),  // admission orders are distinct
                   [](const SlotProgress& a, const SlotProgress& b) { return a.admitted < b.admitted; });
  for (const SlotProgress& slot : slots) {
    if (slot.prompt_left == 0) continue;
    if (budget == 0) break;
    const size_t count = std::min({slot.prompt_left, prefill_chunk, budget});
    plan.push_back({slot.slot, count, count == slot.prompt_left});
    budget -= count;
  }
  return plan;
}

}  // namespace gemmac_serve
