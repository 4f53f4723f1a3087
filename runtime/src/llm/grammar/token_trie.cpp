#include "llm/grammar/token_trie.h"

#include <algorithm>

namespace gemmac::grammar {

TokenTrie::TokenTrie(const std::vector<std::string>& pieces) : vocab_size_(pieces.size()) {
  // Sorted byte strings: each shares a prefix with the one before, so the
  // preorder trie is built by popping to that prefix and pushing the rest.
  std::vector<int32_t> order;
  for (size_t id = 0; id < pieces.size(); ++id)
    if (!pieces[id].empty()) order.push_back(static_cast<int32_t>(id));
  std::sort(order.begin(), order.end(), [&](int32_t a, int32_t b) { return pieces[a] < pieces[b]; });
  std::vector<uint32_t> path;  // node index at each depth - 1
  const std::string* previous = nullptr;
  for (int32_t id : order) {
    const std::string& bytes = pieces[id];
    size_t common = 0;
    if (previous != nullptr)
      while (common < previous->size() && common < bytes.size() && (*previous)[common] == bytes[common]) ++common;
    while (path.size() > common) {
      nodes_[path.back()].end = static_cast<uint32_t>(nodes_.size());
      path.pop_back();
    }
    for (size_t d = common; d < bytes.size(); ++d) {
      path.push_back(static_cast<uint32_t>(nodes_.size()));
      nodes_.push_back(Node{static_cast<uint8_t>(bytes[d]), static_cast<uint32_t>(d + 1), 0,
                            static_cast<uint32_t>(tokens_.size()), static_cast<uint32_t>(tokens_.size())});
    }
    // Equal strings are adjacent in the order, so a node's tokens are contiguous.
    tokens_.push_back(id);
    nodes_[path.back()].last_token = static_cast<uint32_t>(tokens_.size());
    max_depth_ = std::max(max_depth_, static_cast<uint32_t>(bytes.size()));
    previous = &bytes;
  }
  for (uint32_t index : path) nodes_[index].end = static_cast<uint32_t>(nodes_.size());
}

void TokenTrie::allowed(Automaton& automaton, int32_t state, uint64_t* mask) const {
  std::vector<int32_t> at(max_depth_ + 1);
  at[0] = state;
  const size_t count = nodes_.size();
  for (size_t i = 0; i < count;) {
    const Node& node = nodes_[i];
    int32_t next = automaton.next(at[node.depth - 1], node.byte);
    if (next == Automaton::kDead) {
      i = node.end;
      continue;
    }
    at[node.depth] = next;
    for (uint32_t t = node.first_token; t < node.last_token; ++t)
      mask[tokens_[t] >> 6] |= uint64_t{1} << (tokens_[t] & 63);
    ++i;
  }
}

}  // namespace gemmac::grammar
