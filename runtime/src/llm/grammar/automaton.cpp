#include "llm/grammar/automaton.h"

#include <algorithm>

namespace gemmac::grammar {
namespace {

// Bounds on the caches (nodes ~12 B + map entry, states ~1 KiB each).
constexpr size_t kMaxNodes = 1 << 20;
constexpr size_t kMaxStates = 1 << 14;

}  // namespace

size_t Automaton::StacksHash::operator()(const std::vector<int32_t>& v) const {
  uint64_t h = 0x9E3779B97F4A7C15ull;
  for (int32_t x : v) h = (h ^ static_cast<uint32_t>(x)) * 0x100000001B3ull;
  return static_cast<size_t>(h ^ (h >> 29));
}

Automaton::Automaton(const Grammar& grammar) : grammar_(grammar) { reset(); }

void Automaton::reset() {
  nodes_.assign(1, Node{0, 0, 0});  // node 0: the empty stack
  node_ids_.clear();
  states_.clear();
  state_ids_.clear();
}

int32_t Automaton::push(uint32_t position, int32_t parent) {
  if (grammar_.symbols[position].kind == SymbolKind::kEnd) return parent;
  uint64_t key = (uint64_t{position} << 32) | static_cast<uint32_t>(parent);
  auto [it, inserted] = node_ids_.emplace(key, static_cast<int32_t>(nodes_.size()));
  if (inserted) nodes_.push_back(Node{position, parent, nodes_[parent].depth + 1});
  return it->second;
}

void Automaton::expand(int32_t node, std::vector<int32_t>* out) {
  work_.assign(1, node);
  seen_.clear();
  while (!work_.empty()) {
    int32_t x = work_.back();
    work_.pop_back();
    // Nullable rules can reach one node twice; the sets are small.
    if (std::find(seen_.begin(), seen_.end(), x) != seen_.end()) continue;
    seen_.push_back(x);
    if (x == 0) {
      out->push_back(0);
      continue;
    }
    const Node n = nodes_[x];
    const Symbol symbol = grammar_.symbols[n.position];
    if (symbol.kind == SymbolKind::kBytes) {
      out->push_back(x);
      continue;
    }
    // A rule reference: its continuation below, each alternative on top.
    int32_t rest = push(n.position + 1, n.parent);
    if (nodes_[rest].depth >= kMaxStackDepth) continue;
    for (uint32_t alternative : grammar_.alternatives[symbol.index]) work_.push_back(push(alternative, rest));
  }
}

int32_t Automaton::intern(std::vector<int32_t> stacks) {
  if (stacks.empty()) return kDead;
  std::sort(stacks.begin(), stacks.end());
  stacks.erase(std::unique(stacks.begin(), stacks.end()), stacks.end());
  if (stacks.size() > kMaxStacks) stacks.resize(kMaxStacks);  // keeps 0, the accepted stack, first
  auto it = state_ids_.find(stacks);
  if (it != state_ids_.end()) return it->second;
  int32_t id = static_cast<int32_t>(states_.size());
  State state;
  state.accepting = stacks.front() == 0;
  state.stacks = stacks;
  state.next.reset(new int32_t[256]);
  std::fill_n(state.next.get(), 256, kUnknown);
  states_.push_back(std::move(state));
  state_ids_.emplace(std::move(stacks), id);
  return id;
}

int32_t Automaton::start() {
  std::vector<int32_t> stacks;
  for (uint32_t alternative : grammar_.alternatives[grammar_.root]) expand(push(alternative, 0), &stacks);
  return intern(std::move(stacks));
}

int32_t Automaton::advance(int32_t state, uint8_t byte) {
  std::vector<int32_t> next;
  // expand() grows nodes_ only, so the reference into states_ stays valid.
  const std::vector<int32_t>& stacks = states_[state].stacks;
  for (int32_t x : stacks) {
    if (x == 0) continue;
    const Node n = nodes_[x];
    const Symbol symbol = grammar_.symbols[n.position];
    if (grammar_.byte_sets[symbol.index].has(byte)) expand(push(n.position + 1, n.parent), &next);
  }
  int32_t id = intern(std::move(next));
  states_[state].next[byte] = id;
  return id;
}

bool Automaton::rebase(int32_t* state) {
  if (nodes_.size() < kMaxNodes && states_.size() < kMaxStates) return false;
  // Each stack as its positions from the bottom up, then re-interned.
  std::vector<std::vector<uint32_t>> chains;
  for (int32_t x : states_[*state].stacks) {
    std::vector<uint32_t> chain;
    for (; x != 0; x = nodes_[x].parent) chain.push_back(nodes_[x].position);
    std::reverse(chain.begin(), chain.end());
    chains.push_back(std::move(chain));
  }
  reset();
  std::vector<int32_t> stacks;
  for (const auto& chain : chains) {
    int32_t x = 0;
    for (uint32_t position : chain) x = push(position, x);
    stacks.push_back(x);
  }
  *state = intern(std::move(stacks));
  return true;
}

}  // namespace gemmac::grammar
