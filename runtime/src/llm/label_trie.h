// The labels of a classification as a trie of their token sequences. Each
// distinct prefix is one node, so a prefix that several labels share runs
// through the model once, and a node's children are the only tokens whose
// head rows are needed after it (gemmac_session_classify).
#ifndef GEMMAC_RUNTIME_SRC_LABEL_TRIE_H_
#define GEMMAC_RUNTIME_SRC_LABEL_TRIE_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "gemmac/gemmac.h"

namespace gemmac {

struct LabelTrie {
  struct Node {
    int32_t token = -1;  // the token that leads here (the root has none)
    size_t depth = 0;    // tokens in the prefix
    std::vector<size_t> children;  // node indices, in order of first appearance
  };
  /// nodes[0] is the root (the empty prefix); nodes are in preorder, so a
  /// node's subtree is the run of nodes after it that are deeper.
  std::vector<Node> nodes;
  /// Label i ends at node label_nodes[i].
  std::vector<size_t> label_nodes;
  size_t max_depth = 0;  // tokens of the longest label
};

/// The trie of `labels` (token sequences); INVALID_ARGUMENT, naming `call`,
/// when there are none, one is empty, or two are the same sequence. May throw
/// std::bad_alloc.
gemmac_status buildLabelTrie(const std::vector<std::vector<int32_t>>& labels, const char* call, LabelTrie* out);

/// Every label's log-probability with the next-token distribution at each node
/// restricted to its children (gemmac.h, gemmac_session_classify):
/// child_logits[u][k] is the logit of child k of node u (empty without children).
/// Writes log_probs and the probabilities normalized over the labels.
void scoreLabels(const LabelTrie& trie, const std::vector<std::vector<float>>& child_logits, double* log_probs,
                 double* probabilities);

}  // namespace gemmac

#endif  // GEMMAC_RUNTIME_SRC_LABEL_TRIE_H_
