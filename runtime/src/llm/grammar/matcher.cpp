#include "llm/grammar/matcher.h"

namespace gemmac::grammar {
namespace {

// Masks kept per matcher: 32 KiB each for a 262k vocabulary.
constexpr size_t kMaxCachedMasks = 256;

}  // namespace

Matcher::Matcher(const Grammar& grammar, const TokenTrie& trie, const std::vector<std::string>& pieces)
    : automaton_(grammar), trie_(trie), pieces_(pieces) {
  reset();
}

void Matcher::reset() { state_ = automaton_.start(); }

bool Matcher::allows(int32_t id) {
  if (id < 0 || static_cast<size_t>(id) >= pieces_.size() || pieces_[id].empty()) return false;
  return automaton_.walk(state_, pieces_[id]) != Automaton::kDead;
}

const uint64_t* Matcher::mask(bool* cached) {
  auto it = masks_.find(state_);
  *cached = it != masks_.end();
  if (*cached) return it->second.data();
  if (masks_.size() >= kMaxCachedMasks) masks_.clear();
  std::vector<uint64_t>& bits = masks_[state_];
  bits.assign((trie_.vocabSize() + 63) / 64, 0);
  trie_.allowed(automaton_, state_, bits.data());
  return bits.data();
}

void Matcher::accept(int32_t id) {
  state_ = automaton_.walk(state_, pieces_[id]);
  // New state ids: the masks keyed by the old ones are void.
  if (automaton_.rebase(&state_)) masks_.clear();
}

}  // namespace gemmac::grammar
