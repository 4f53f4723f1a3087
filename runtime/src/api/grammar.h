// The grammar behind the C API's gemmac_grammar handle: the compiled grammar,
// the model's vocabulary as bytes in a trie, and a pool of matchers (the
// mutable caches) so that generate calls on several threads can share it.
#ifndef GEMMAC_RUNTIME_SRC_API_GRAMMAR_H_
#define GEMMAC_RUNTIME_SRC_API_GRAMMAR_H_

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "gemmac/gemmac.h"
#include "llm/grammar/grammar.h"
#include "llm/grammar/matcher.h"
#include "llm/grammar/token_trie.h"

struct gemmac_grammar_s {
  const gemmac_model* model = nullptr;  // a reference (api/model.h), dropped by gemmac_grammar_free
  gemmac::grammar::Grammar grammar;
  std::vector<std::string> pieces;  // per token id: its bytes; empty: never generated under the grammar
  std::unique_ptr<gemmac::grammar::TokenTrie> trie;

  std::mutex mutex;  // guards the two below
  std::vector<std::unique_ptr<gemmac::grammar::Matcher>> idle_matchers;  // warm caches for the next user
  gemmac_grammar_stats stats{};                                        // of the last finished generation
};

#endif  // GEMMAC_RUNTIME_SRC_API_GRAMMAR_H_
