// The vocabulary as byte strings in a trie laid out in preorder, and the mask
// of tokens an automaton state allows, found by one linear pass over it that
// skips every subtree whose prefix the automaton rejects.
#ifndef GEMMAC_RUNTIME_SRC_LLM_GRAMMAR_TOKEN_TRIE_H_
#define GEMMAC_RUNTIME_SRC_LLM_GRAMMAR_TOKEN_TRIE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "llm/grammar/automaton.h"

namespace gemmac::grammar {

class TokenTrie {
 public:
  /// `pieces[id]`: the bytes token id adds to the text; empty for tokens never
  /// to be generated under a grammar (control, special, unused pieces).
  explicit TokenTrie(const std::vector<std::string>& pieces);

  size_t vocabSize() const { return vocab_size_; }
  /// Sets bit id of `mask` (vocabSize() bits, zeroed by the caller) for every
  /// token whose bytes `automaton` accepts from `state`.
  void allowed(Automaton& automaton, int32_t state, uint64_t* mask) const;

 private:
  struct Node {
    uint8_t byte;
    uint32_t depth;        // 1 for the first byte of a token
    uint32_t end;          // index of the next node outside this subtree
    uint32_t first_token;  // tokens_[first_token, last_token) end here
    uint32_t last_token;
  };
  std::vector<Node> nodes_;
  std::vector<int32_t> tokens_;
  size_t vocab_size_;
  uint32_t max_depth_ = 0;
};

}  // namespace gemmac::grammar

#endif  // GEMMAC_RUNTIME_SRC_LLM_GRAMMAR_TOKEN_TRIE_H_
