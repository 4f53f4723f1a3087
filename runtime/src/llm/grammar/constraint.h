// A grammar applied to one generate call: picks each token among those the
// grammar allows, and says when the text is finished or was cut short.
#ifndef GEMMAC_RUNTIME_SRC_LLM_GRAMMAR_CONSTRAINT_H_
#define GEMMAC_RUNTIME_SRC_LLM_GRAMMAR_CONSTRAINT_H_

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "gemmac/gemmac.h"
#include "llm/grammar/matcher.h"

namespace gemmac::grammar {

class Constraint {
 public:
  /// *out stays NULL when options.grammar is NULL (unconstrained).
  static gemmac_status create(const gemmac_session* session, const gemmac_generate_options& options,
                              std::unique_ptr<Constraint>* out);
  /// Hands the matcher back to the grammar and publishes the timing stats.
  ~Constraint();

  /// The next token: greedy takes the plain argmax when the grammar allows it
  /// and masks only otherwise; sampling samples from the masked logits, so
  /// top-k and top-p cut among allowed tokens. A stop id comes back only where
  /// the text is complete. `logits` may be overwritten.
  gemmac_status sample(gemmac_sampler* sampler, float* logits, size_t vocab_size, int32_t* id);
  /// Moves past `id` (a non-stop id from sample()).
  void accept(int32_t id);
  /// The grammar admits nothing more: generation is over.
  bool finished() const { return matcher_->complete() && !matcher_->canContinue(); }
  /// NULL when the text is complete; otherwise GEMMAC_OUT_OF_RANGE saying it
  /// was cut short (by `why`).
  gemmac_status checkComplete(const char* why) const;

 private:
  Constraint(gemmac_grammar* grammar, const gemmac_generate_options& options, const std::vector<int32_t>& stop_ids,
             std::unique_ptr<Matcher> matcher);
  bool isStop(int32_t id) const;

  gemmac_grammar* grammar_;
  gemmac_sampler_options sampler_options_;
  const std::vector<int32_t>& stop_ids_;
  std::unique_ptr<Matcher> matcher_;
  std::vector<double> token_ms_;  // grammar time per token (the sampler's own time excluded)
  int64_t masks_ = 0, masks_cached_ = 0;
  std::vector<std::pair<int32_t, float>> stop_logits_;  // scratch for sample()
};

}  // namespace gemmac::grammar

#endif  // GEMMAC_RUNTIME_SRC_LLM_GRAMMAR_CONSTRAINT_H_
