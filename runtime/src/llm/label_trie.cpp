#include "llm/label_trie.h"

#include <algorithm>
#include <cmath>

#include "api/status.h"

namespace gemmac {
namespace {

// log sum exp(x), shifted by the maximum so that nothing overflows.
double logSumExp(const double* x, size_t count) {
  const double top = *std::max_element(x, x + count);
  double sum = 0.0;
  for (size_t i = 0; i < count; ++i) sum += std::exp(x[i] - top);
  return top + std::log(sum);
}

}  // namespace

gemmac_status buildLabelTrie(const std::vector<std::vector<int32_t>>& labels, const char* call, LabelTrie* out) {
  if (labels.empty()) return makeStatus(GEMMAC_INVALID_ARGUMENT, "%s: no labels", call);
  // Built with insertion order first, then renumbered into preorder.
  std::vector<LabelTrie::Node> nodes(1);
  std::vector<size_t> ends;
  for (size_t i = 0; i < labels.size(); ++i) {
    if (labels[i].empty()) return makeStatus(GEMMAC_INVALID_ARGUMENT, "%s: label %zu has no tokens", call, i);
    size_t node = 0;
    for (int32_t token : labels[i]) {
      size_t next = 0;
      for (size_t child : nodes[node].children)
        if (nodes[child].token == token) next = child;
      if (next == 0) {
        next = nodes.size();
        LabelTrie::Node child;
        child.token = token;
        child.depth = nodes[node].depth + 1;
        nodes.push_back(child);
        nodes[node].children.push_back(next);
      }
      node = next;
    }
    for (size_t j = 0; j < i; ++j)
      if (ends[j] == node)
        return makeStatus(GEMMAC_INVALID_ARGUMENT, "%s: labels %zu and %zu are the same tokens", call, j, i);
    ends.push_back(node);
  }
  std::vector<size_t> order(nodes.size());  // old index -> preorder index
  std::vector<size_t> stack{0};
  LabelTrie trie;
  while (!stack.empty()) {
    const size_t old = stack.back();
    stack.pop_back();
    order[old] = trie.nodes.size();
    trie.nodes.push_back(nodes[old]);
    // Reversed, so that the first child is visited first.
    for (auto child = nodes[old].children.rbegin(); child != nodes[old].children.rend(); ++child)
      stack.push_back(*child);
  }
  for (LabelTrie::Node& node : trie.nodes) {
    for (size_t& child : node.children) child = order[child];
    trie.max_depth = std::max(trie.max_depth, node.depth);
  }
  for (size_t end : ends) trie.label_nodes.push_back(order[end]);
  *out = std::move(trie);
  return nullptr;
}

void scoreLabels(const LabelTrie& trie, const std::vector<std::vector<float>>& child_logits, double* log_probs,
                 double* probabilities) {
  // Each node's log-probability: its parent's plus log q(token | parent),
  // filled in preorder (parents first).
  std::vector<double> node_log_prob(trie.nodes.size(), 0.0);
  std::vector<double> logits;
  for (size_t u = 0; u < trie.nodes.size(); ++u) {
    const std::vector<size_t>& children = trie.nodes[u].children;
    if (children.empty()) continue;
    logits.assign(child_logits[u].begin(), child_logits[u].end());
    const double normalizer = logSumExp(logits.data(), logits.size());
    for (size_t k = 0; k < children.size(); ++k)
      node_log_prob[children[k]] = node_log_prob[u] + logits[k] - normalizer;
  }
  const size_t count = trie.label_nodes.size();
  for (size_t i = 0; i < count; ++i) log_probs[i] = node_log_prob[trie.label_nodes[i]];
  const double total = logSumExp(log_probs, count);
  for (size_t i = 0; i < count; ++i) probabilities[i] = std::exp(log_probs[i] - total);
}

}  // namespace gemmac
