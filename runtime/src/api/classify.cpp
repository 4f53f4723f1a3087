// gemmac_session_classify(_text): the labels' trie run through the model by
// teacher forcing, each distinct prefix once, and the LM head evaluated only
// on the tokens the labels allow next (gemmac.h has the definition).
#include <algorithm>
#include <mutex>
#include <string>
#include <vector>

#include "api/session.h"
#include "api/status.h"
#include "exec/head_rows.h"
#include "llm/chat_template.h"
#include "llm/label_trie.h"

namespace gemmac {
namespace {

constexpr const char* kCall = "classify";

// The executor that gives hidden states: the session's portable one, or, for
// a compiled session, a portable one over the compiled one's caches (made
// once). The compiled code computes the logits in its last op and exposes
// nothing before them; rather than widen its ABI (every target library would
// change), it runs the prompt but its last token, and the portable executor
// the rest: a few decode-sized steps.
gemmac_status hiddenExecutor(gemmac_session* session, Executor** out) {
  if (session->executor) {
    *out = session->executor.get();
    return nullptr;
  }
  if (!session->hidden_executor) {
    const gemmac_session_options& options = session->options;
    GEMMAC_RETURN_IF_ERROR(Executor::create(
        *session->model->program, static_cast<size_t>(options.max_context), static_cast<size_t>(options.prefill_chunk),
        static_cast<size_t>(options.num_threads), kvType(options), &session->hidden_executor,
        &session->compiled->caches()));
  }
  *out = session->hidden_executor.get();
  return nullptr;
}

// One step; the hidden states of rows [first_row, count) when hidden != NULL
// (from `executor`), else none, on the compiled forward pass when there is
// one: the faster, but it gives only logits.
gemmac_status runStep(gemmac_session* session, Executor& executor, const int32_t* ids, size_t count, size_t position,
                      size_t first_row, float* hidden) {
  // As session.cpp's steps: XNNPACK products keep per-run state.
  std::unique_lock<std::mutex> lock(session->model->run_mutex, std::defer_lock);
  if (session->model->program->exclusiveRuns()) lock.lock();
  const int64_t at = static_cast<int64_t>(position);
  if (hidden) return executor.stepHidden(ids, count, at, first_row, hidden);
  return session->compiled ? session->compiled->step(ids, count, at, count, nullptr)
                           : executor.step(ids, count, at, count, nullptr);
}

// Appends `count` tokens in chunks; the last one's hidden state goes to
// `hidden` when it is not NULL.
gemmac_status prefill(gemmac_session* session, Executor& executor, const int32_t* ids, size_t count, float* hidden) {
  const size_t chunk = static_cast<size_t>(session->options.prefill_chunk);
  for (size_t start = 0; start < count; start += chunk) {
    const size_t n = std::min(chunk, count - start);
    const bool last = start + n == count;
    GEMMAC_RETURN_IF_ERROR(
        runStep(session, executor, ids + start, n, session->position, n - 1, last ? hidden : nullptr));
    session->position += n;
    session->tokens.insert(session->tokens.end(), ids + start, ids + start + n);  // reserved: never allocates
  }
  return nullptr;
}

gemmac_status checkIds(const gemmac_session* session, const int32_t* ids, size_t count, const std::string& what) {
  const int32_t vocab = session->model->vocab_size;
  for (size_t i = 0; i < count; ++i)
    if (ids[i] < 0 || ids[i] >= vocab)
      return makeStatus(GEMMAC_INVALID_ARGUMENT, "%s: token id %d at index %zu of %s is outside the vocabulary [0, %d)",
                        kCall, ids[i], i, what.c_str(), vocab);
  return nullptr;
}

// Runs the prompt, then every prefix of the trie that has children; the
// hidden state after prefix u is row u of `hidden`.
gemmac_status runTrie(gemmac_session* session, const int32_t* prompt, size_t prompt_count, const LabelTrie& trie,
                      size_t hidden_size, std::vector<float>* hidden) {
  Executor* executor = nullptr;
  GEMMAC_RETURN_IF_ERROR(hiddenExecutor(session, &executor));
  hidden->resize(trie.nodes.size() * hidden_size);
  // The root's hidden state is the prompt's last token's. A compiled session
  // runs the rest of the prompt on its forward pass.
  const size_t portable_from = session->compiled ? prompt_count - 1 : 0;
  GEMMAC_RETURN_IF_ERROR(prefill(session, *executor, prompt, portable_from, nullptr));
  GEMMAC_RETURN_IF_ERROR(
      prefill(session, *executor, prompt + portable_from, prompt_count - portable_from, hidden->data()));
  // Preorder: a node's first child follows it, so a run of nodes each the
  // first child of the one before is one path, fed in one step after the
  // prompt and the path's parent prefix (whose keys are still the cache's: the
  // nodes visited since are all deeper, and labels of at most prefill_chunk
  // tokens never wrap a ring cache onto a key the prefix needs).
  std::vector<int32_t> tokens;
  const std::vector<LabelTrie::Node>& nodes = trie.nodes;
  for (size_t u = 1; u < nodes.size(); ++u) {
    if (nodes[u].children.empty()) continue;
    size_t end = u + 1;
    while (end < nodes.size() && nodes[end].depth == nodes[end - 1].depth + 1 && !nodes[end].children.empty()) ++end;
    tokens.clear();
    for (size_t v = u; v < end; ++v) tokens.push_back(nodes[v].token);
    GEMMAC_RETURN_IF_ERROR(runStep(session, *executor, tokens.data(), tokens.size(),
                                   session->position + nodes[u].depth - 1, 0, hidden->data() + u * hidden_size));
    u = end - 1;
  }
  return nullptr;
}

gemmac_status classify(gemmac_session* session, const int32_t* prompt, size_t prompt_count,
                       const std::vector<std::vector<int32_t>>& labels, float* out_probabilities,
                       float* out_log_probs) {
  if (prompt_count == 0 || !prompt)
    return makeStatus(GEMMAC_INVALID_ARGUMENT,
                      "%s: no prompt tokens (the first label token is scored after the prompt's last)", kCall);
  LabelTrie trie;
  GEMMAC_RETURN_IF_ERROR(buildLabelTrie(labels, kCall, &trie));
  GEMMAC_RETURN_IF_ERROR(checkIds(session, prompt, prompt_count, "the prompt"));
  for (size_t i = 0; i < labels.size(); ++i)
    GEMMAC_RETURN_IF_ERROR(checkIds(session, labels[i].data(), labels[i].size(), "label " + std::to_string(i)));
  if (!out_probabilities) return makeStatus(GEMMAC_INVALID_ARGUMENT, "%s: NULL out_probabilities", kCall);
  const size_t chunk = static_cast<size_t>(session->options.prefill_chunk);
  if (trie.max_depth > chunk)
    return makeStatus(GEMMAC_INVALID_ARGUMENT, "%s: a label of %zu tokens is longer than prefill_chunk (%zu)", kCall,
                      trie.max_depth, chunk);
  // The last token of a label is scored, never fed.
  const size_t context = static_cast<size_t>(session->options.max_context);
  const size_t needed = prompt_count + trie.max_depth - 1;
  if (needed > context - session->position)
    return makeStatus(GEMMAC_OUT_OF_RANGE,
                      "%s: %zu prompt tokens and %zu label tokens (the longest label's, but its last: it is only "
                      "scored) do not fit the context of %zu (position %zu)",
                      kCall, prompt_count, trie.max_depth - 1, context, session->position);
  HeadRows head;
  GEMMAC_RETURN_IF_ERROR(HeadRows::create(session->model->file, *session->model->program, &head));
  // The label tokens never count: the session ends up holding the prompt.
  std::vector<float> hidden;
  GEMMAC_RETURN_IF_ERROR(runTrie(session, prompt, prompt_count, trie, head.hiddenSize(), &hidden));
  std::vector<std::vector<float>> child_logits(trie.nodes.size());
  std::vector<int32_t> ids;
  for (size_t u = 0; u < trie.nodes.size(); ++u) {
    ids.clear();
    for (size_t child : trie.nodes[u].children) ids.push_back(trie.nodes[child].token);
    child_logits[u].resize(ids.size());
    head.logits(hidden.data() + u * head.hiddenSize(), ids.data(), ids.size(), child_logits[u].data());
  }
  std::vector<double> log_probs(labels.size()), probabilities(labels.size());
  scoreLabels(trie, child_logits, log_probs.data(), probabilities.data());
  for (size_t i = 0; i < labels.size(); ++i) {
    out_probabilities[i] = static_cast<float>(probabilities[i]);
    if (out_log_probs) out_log_probs[i] = static_cast<float>(log_probs[i]);
  }
  return nullptr;
}

}  // namespace
}  // namespace gemmac

extern "C" gemmac_status gemmac_session_classify(gemmac_session* session, const int32_t* prompt_ids,
                                                 size_t prompt_count, const int32_t* const* label_ids,
                                                 const size_t* label_lengths, size_t label_count,
                                                 float* out_probabilities, float* out_log_probs) {
  if (!session) return gemmac::makeStatus(GEMMAC_INVALID_ARGUMENT, "classify: NULL session");
  if (label_count > 0 && (!label_ids || !label_lengths))
    return gemmac::makeStatus(GEMMAC_INVALID_ARGUMENT, "classify: NULL label_ids or label_lengths");
  return gemmac::guard("classify", [&]() -> gemmac_status {
    std::vector<std::vector<int32_t>> labels(label_count);
    for (size_t i = 0; i < label_count; ++i) {
      if (!label_ids[i] && label_lengths[i] > 0)
        return gemmac::makeStatus(GEMMAC_INVALID_ARGUMENT, "classify: label %zu has NULL ids", i);
      if (label_lengths[i] > 0) labels[i].assign(label_ids[i], label_ids[i] + label_lengths[i]);
    }
    return gemmac::classify(session, prompt_ids, prompt_count, labels, out_probabilities, out_log_probs);
  });
}

extern "C" gemmac_status gemmac_session_classify_text(gemmac_session* session, const char* prompt, int chat,
                                                      const char* const* labels, size_t label_count,
                                                      float* out_probabilities, float* out_log_probs) {
  if (!session || !prompt || (label_count > 0 && !labels))
    return gemmac::makeStatus(GEMMAC_INVALID_ARGUMENT, "classify: NULL session, prompt or labels");
  const gemmac_model& model = *session->model;
  if (!model.tokenizer) return gemmac::makeStatus(GEMMAC_UNIMPLEMENTED, "classify: the model file has no tokenizer");
  return gemmac::guard("classify", [&]() -> gemmac_status {
    std::string text = prompt;
    if (chat) {
      const gemmac_chat_message turn = {"user", prompt};
      GEMMAC_RETURN_IF_ERROR(gemmac::applyChatTemplate(&turn, 1, true, &text));
    }
    std::vector<int32_t> ids;
    if (session->position == 0) ids.push_back(model.bos_id);
    std::vector<int32_t> encoded;
    GEMMAC_RETURN_IF_ERROR(model.tokenizer->encode(text, &encoded));
    ids.insert(ids.end(), encoded.begin(), encoded.end());
    std::vector<std::vector<int32_t>> label_tokens(label_count);
    for (size_t i = 0; i < label_count; ++i) {
      if (!labels[i]) return gemmac::makeStatus(GEMMAC_INVALID_ARGUMENT, "classify: label %zu is NULL", i);
      GEMMAC_RETURN_IF_ERROR(model.tokenizer->encode(labels[i], &label_tokens[i]));
      if (label_tokens[i].empty())
        return gemmac::makeStatus(GEMMAC_INVALID_ARGUMENT, "classify: label %zu (\"%s\") tokenizes to nothing", i,
                                  labels[i]);
    }
    return gemmac::classify(session, ids.data(), ids.size(), label_tokens, out_probabilities, out_log_probs);
  });
}
