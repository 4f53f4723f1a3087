// A grammar's position in generated text and the token masks it needs: the
// mutable half of a grammar (automaton caches, masks per state), used by one
// generation at a time.
#ifndef GEMMAC_RUNTIME_SRC_LLM_GRAMMAR_MATCHER_H_
#define GEMMAC_RUNTIME_SRC_LLM_GRAMMAR_MATCHER_H_

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "llm/grammar/automaton.h"
#include "llm/grammar/token_trie.h"

namespace gemmac::grammar {

class Matcher {
 public:
  /// `pieces` as for TokenTrie; all three outlive the matcher.
  Matcher(const Grammar& grammar, const TokenTrie& trie, const std::vector<std::string>& pieces);

  /// Back to the start of the text.
  void reset();
  /// Whether the bytes of token `id` may come next (false for special tokens).
  bool allows(int32_t id);
  /// The tokens that may come next: vocabSize() bits. *cached tells whether
  /// it was computed before for this state. Valid until the next accept().
  const uint64_t* mask(bool* cached);
  /// Moves past token `id`, which allows(id) accepted.
  void accept(int32_t id);
  bool complete() const { return automaton_.accepting(state_); }
  bool canContinue() const { return automaton_.canContinue(state_); }

 private:
  Automaton automaton_;
  const TokenTrie& trie_;
  const std::vector<std::string>& pieces_;
  int32_t state_;
  std::unordered_map<int32_t, std::vector<uint64_t>> masks_;  // per automaton state
};

}  // namespace gemmac::grammar

#endif  // GEMMAC_RUNTIME_SRC_LLM_GRAMMAR_MATCHER_H_
