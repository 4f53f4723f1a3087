// Which tokens each busy slot of the engine runs in the next batch step: the
// scheduling rule of continuous batching, kept apart from the model so that it
// can be tested on its own.
#ifndef GEMMAC_TOOLS_GEMMAC_SERVE_STEP_PLAN_H_
#define GEMMAC_TOOLS_GEMMAC_SERVE_STEP_PLAN_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace gemmac_serve {

/// A busy slot as the planner sees it.
struct SlotProgress {
  size_t slot = 0;
  size_t prompt_left = 0;  // prompt tokens not yet run; 0: decoding (one picked token to append)
  uint64_t admitted = 0;   // admission order: earlier prompts prefill first
};

/// One entry of the step: `count` tokens of `slot` (its next prompt tokens, or
/// its picked token when decoding); `logits` when the step ends its prompt or
/// decodes, i.e. when a token is to be picked after it.
struct PlannedEntry {
  size_t slot = 0;
  size_t count = 0;
  bool logits = false;
};

/// Every decoding slot gets its one row first, so that a long prompt never
/// stalls the others; the rows left of `step_tokens` go to the prefilling
/// slots in admission order, at most `prefill_chunk` each, so a long prompt
/// advances a chunk per step while the others keep decoding. `step_tokens`
/// must be at least the number of slots (the engine checks it at start).
std::vector<PlannedEntry> planStep(std::vector<SlotProgress> slots, size_t step_tokens, size_t prefill_chunk);

}  // namespace gemmac_serve

#endif  // GEMMAC_TOOLS_GEMMAC_SERVE_STEP_PLAN_H_
