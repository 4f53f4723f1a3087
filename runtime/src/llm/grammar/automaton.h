// Runs a grammar as a pushdown automaton over bytes, determinized lazily.
//
// A parser configuration is a set of stacks (as in llama.cpp: one per live
// parse), each stack a chain of grammar positions whose top is a terminal.
// Stacks are hash-consed into nodes (position, parent), and each distinct set
// of stacks becomes a numbered state with a 256-entry transition row filled on
// first use. Walking a token or the vocabulary trie is then one array lookup
// per byte once the states are warm: what makes full masks over 262k tokens
// affordable. The caches are bounded: rebase() starts them afresh.
#ifndef GEMMAC_RUNTIME_SRC_LLM_GRAMMAR_AUTOMATON_H_
#define GEMMAC_RUNTIME_SRC_LLM_GRAMMAR_AUTOMATON_H_

#include <cstdint>
#include <memory>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "llm/grammar/grammar.h"

namespace gemmac::grammar {

class Automaton {
 public:
  static constexpr int32_t kDead = -1;
  /// Deeper stacks (nesting in the text) are cut: a parse needing them is dropped.
  static constexpr uint32_t kMaxStackDepth = 1024;
  /// Live parses kept per state (ambiguous grammars multiply them); beyond
  /// it some are dropped, which narrows what is accepted but never widens it.
  static constexpr size_t kMaxStacks = 4096;

  explicit Automaton(const Grammar& grammar);

  int32_t start();
  /// The state after `byte`, or kDead when no stack accepts it.
  int32_t next(int32_t state, uint8_t byte) {
    int32_t cached = states_[state].next[byte];
    return cached != kUnknown ? cached : advance(state, byte);
  }
  int32_t walk(int32_t state, std::string_view bytes) {
    for (unsigned char b : bytes)
      if ((state = next(state, b)) == kDead) break;
    return state;
  }
  /// The text so far is a complete sentence of the grammar.
  bool accepting(int32_t state) const { return states_[state].accepting; }
  /// Some byte may still follow.
  bool canContinue(int32_t state) const { return states_[state].stacks.size() > (accepting(state) ? 1u : 0u); }

  /// When the caches have outgrown their bounds, forgets every state but
  /// *state, gives it a new id and returns true: all other ids are void.
  bool rebase(int32_t* state);

 private:
  static constexpr int32_t kUnknown = -2;
  struct Node {
    uint32_t position;  // index into Grammar::symbols of the next symbol; unused for the root
    int32_t parent;     // the rest of the stack; 0 is the empty stack
    uint32_t depth;
  };
  struct State {
    std::vector<int32_t> stacks;  // sorted node ids; 0 = the empty (accepted) stack
    bool accepting = false;
    std::unique_ptr<int32_t[]> next;  // 256 entries
  };
  struct StacksHash {
    size_t operator()(const std::vector<int32_t>& v) const;
  };

  int32_t advance(int32_t state, uint8_t byte);
  /// The node for (position, parent), with finished alternatives popped.
  int32_t push(uint32_t position, int32_t parent);
  /// Adds the terminal-topped stacks `node` expands to (rule references
  /// replaced by their alternatives) to *out.
  void expand(int32_t node, std::vector<int32_t>* out);
  int32_t intern(std::vector<int32_t> stacks);
  void reset();

  const Grammar& grammar_;
  std::vector<Node> nodes_;
  std::unordered_map<uint64_t, int32_t> node_ids_;
  std::vector<State> states_;
  std::unordered_map<std::vector<int32_t>, int32_t, StacksHash> state_ids_;
  std::vector<int32_t> work_, seen_;  // scratch for expand()
};

}  // namespace gemmac::grammar

#endif  // GEMMAC_RUNTIME_SRC_LLM_GRAMMAR_AUTOMATON_H_
