// The session behind the C API's gemmac_session handle: one sequence, its
// position and the executor holding its KV caches.
#ifndef GEMMAC_RUNTIME_SRC_SESSION_H_
#define GEMMAC_RUNTIME_SRC_SESSION_H_

#include <atomic>
#include <cstddef>
#include <memory>
#include <vector>

#include "exec/compiled_executor.h"
#include "exec/executor.h"
#include "gemmac/gemmac.h"
#include "api/model.h"
#include "llm/conversation.h"

struct gemmac_session_s {
  gemmac_model* model = nullptr;  // a reference (api/model.h), dropped by gemmac_session_free
  gemmac_session_options options{};  // resolved: no zeros left
  std::unique_ptr<gemmac::Executor> executor;           // NULL when the compiled one runs
  std::unique_ptr<gemmac::CompiledExecutor> compiled;  // the model's compiled forward pass, if any
  /// With `compiled`: a portable executor over its KV caches, made by the first
  /// classify, which needs hidden states the compiled code does not expose.
  /// Declared after `compiled` so that it goes first.
  std::unique_ptr<gemmac::Executor> hidden_executor;
  size_t position = 0;  // tokens in the KV cache
  /// The ids in the KV cache, by position (reserved to max_context at creation,
  /// so appending never allocates): what penalties look back on and what
  /// syncSession reuses. Whatever advances `position` appends here too.
  std::vector<int32_t> tokens;
  std::atomic<bool> cancel_requested{false};  // gemmac_session_cancel; lock-free, so signal safe
  gemmac::Conversation conversation;           // gemmac_session_chat's transcript
};
// gemmac_session_cancel promises signal safety: only a lock-free atomic gives it.
static_assert(std::atomic<bool>::is_always_lock_free, "gemmac_session_cancel needs a lock-free flag");

namespace gemmac {

/// `options` (NULL: the defaults) checked and with every 0 resolved as
/// gemmac_session_create does; failures name `call`.
gemmac_status resolveSessionOptions(const gemmac_model* model, const gemmac_session_options* options, const char* call,
                                    gemmac_session_options* resolved);

/// Makes the session hold exactly ids[0, count): keeps the longest prefix it
/// already holds, going back to it only when the ring caches still hold its
/// window (at most prefill_chunk tokens back), and otherwise starts over; then
/// prefills the rest. With last_logits, writes the last id's logits (running
/// that id again if it was held). Checks everything before changing the session.
gemmac_status syncSession(gemmac_session* session, const int32_t* ids, size_t count, float* last_logits);

/// Fails unless ids[0, count) are inside the vocabulary and fit the context
/// after `position`, naming `call`; checked before anything runs, so a failed
/// call leaves the session as it was.
gemmac_status checkTokens(const gemmac_session* session, const int32_t* ids, size_t count, const char* call,
                          size_t position);

/// After a step ran ids[0, count) at the session's position: it holds them.
void advanceSession(gemmac_session* session, const int32_t* ids, size_t count);

/// The KV caches the session's steps run on (its compiled executor's or its own).
std::vector<KvCache>& sessionCaches(gemmac_session* session);

inline gemmac_kv_type kvType(const gemmac_session_options& options) {
  return options.kv_cache_f16 ? GEMMAC_KV_F16 : GEMMAC_KV_F32;
}

}  // namespace gemmac

#endif  // GEMMAC_RUNTIME_SRC_SESSION_H_
