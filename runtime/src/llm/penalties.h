// Repetition, presence and frequency penalties on logits (gemmac_generate_options).
#ifndef GEMMAC_RUNTIME_SRC_LLM_PENALTIES_H_
#define GEMMAC_RUNTIME_SRC_LLM_PENALTIES_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "gemmac/gemmac.h"

namespace gemmac {

/// Fails naming the bad field: repeat_penalty must be > 0 and finite,
/// presence_penalty and frequency_penalty finite, penalty_last_n >= 0.
gemmac_status checkPenalties(const gemmac_generate_options& options);

/// Applies options' penalties to logits[vocab_size] for the distinct ids among
/// the last penalty_last_n of `history` (frequency: times their count there);
/// `scratch` is reused between calls.
void applyPenalties(const gemmac_generate_options& options, const std::vector<int32_t>& history,
                    float* logits, size_t vocab_size, std::vector<int32_t>* scratch);

}  // namespace gemmac

#endif  // GEMMAC_RUNTIME_SRC_LLM_PENALTIES_H_
