// gemmac_session_*: option defaults, argument checks (all before any state
// changes), and chunking of prompts into executor steps.
#include "api/session.h"

#include <algorithm>
#include <memory>
#include <mutex>
#include <thread>

#include "exec/kv_cache.h"
#include "api/status.h"

namespace {

constexpr int32_t kDefaultPrefillChunk = 128;

// One executor step; logits of rows [first_logit_row, count) when logits != NULL.
gemmac_status runStep(gemmac_session* session, const int32_t* ids, size_t count, size_t first_logit_row,
                      float* logits) {
  // Quantized weights are read only: sessions of such a model run concurrently.
  std::unique_lock<std::mutex> lock(session->model->run_mutex, std::defer_lock);
  if (session->model->program->exclusiveRuns()) lock.lock();
  const int64_t position = static_cast<int64_t>(session->position);
  GEMMAC_RETURN_IF_ERROR(session->compiled
                             ? session->compiled->step(ids, count, position, first_logit_row, logits)
                             : session->executor->step(ids, count, position, first_logit_row, logits));
  gemmac::advanceSession(session, ids, count);
  return nullptr;
}

}  // namespace

gemmac_status gemmac::checkTokens(const gemmac_session* session, const int32_t* ids, size_t count, const char* call,
                                  size_t position) {
  if (!ids && count > 0) return makeStatus(GEMMAC_INVALID_ARGUMENT, "%s: NULL ids", call);
  const int32_t vocab = session->model->vocab_size;
  for (size_t i = 0; i < count; ++i)
    if (ids[i] < 0 || ids[i] >= vocab)
      return makeStatus(GEMMAC_INVALID_ARGUMENT, "%s: token id %d at index %zu is outside the vocabulary [0, %d)",
                                call, ids[i], i, vocab);
  const size_t context = static_cast<size_t>(session->options.max_context);
  if (count > context - position)
    return makeStatus(GEMMAC_OUT_OF_RANGE, "%s: prompt of %zu tokens does not fit the context of %zu (position %zu)",
                              call, count, context, position);
  return nullptr;
}

extern "C" void gemmac_session_options_init(gemmac_session_options* options) {
  if (!options) return;
  options->max_context = 0;
  options->prefill_chunk = 0;
  options->num_threads = 0;
  options->kv_cache_f16 = 0;
}

gemmac_status gemmac::resolveSessionOptions(const gemmac_model* model, const gemmac_session_options* options,
                                            const char* call, gemmac_session_options* out) {
  gemmac_session_options resolved;
  gemmac_session_options_init(&resolved);
  if (options) resolved = *options;
  const int32_t model_context = model->info.max_context;
  if (resolved.max_context < 0 || resolved.max_context > model_context)
    return makeStatus(GEMMAC_INVALID_ARGUMENT, "%s: max_context %d is outside [0, %d]", call, resolved.max_context,
                      model_context);
  if (resolved.prefill_chunk < 0 || resolved.num_threads < 0)
    return makeStatus(GEMMAC_INVALID_ARGUMENT, "%s: negative prefill_chunk %d or num_threads %d", call,
                      resolved.prefill_chunk, resolved.num_threads);
  if (resolved.kv_cache_f16 != 0 && resolved.kv_cache_f16 != 1)
    return makeStatus(GEMMAC_INVALID_ARGUMENT, "%s: kv_cache_f16 %d is neither 0 (f32 K/V rows) nor 1 (f16 rows)",
                      call, resolved.kv_cache_f16);
  if (resolved.max_context == 0) resolved.max_context = model_context;
  if (resolved.prefill_chunk == 0) {
    // The chunk the compiler sized the ring caches for, when it did.
    size_t planned = plannedPrefillChunk(model->program->plan());
    resolved.prefill_chunk = planned ? static_cast<int32_t>(planned) : kDefaultPrefillChunk;
  }
  // A chunk longer than the context could never be filled.
  if (resolved.prefill_chunk > resolved.max_context) resolved.prefill_chunk = resolved.max_context;
  if (resolved.num_threads == 0) resolved.num_threads = static_cast<int32_t>(std::thread::hardware_concurrency());
  *out = resolved;
  return nullptr;
}

extern "C" gemmac_status gemmac_session_create(gemmac_model* model, const gemmac_session_options* options,
                                               gemmac_session** out_session) {
  if (!model || !out_session)
    return gemmac::makeStatus(GEMMAC_INVALID_ARGUMENT, "session_create: NULL model or out_session");
  gemmac_session_options resolved;
  GEMMAC_RETURN_IF_ERROR(gemmac::resolveSessionOptions(model, options, "session_create", &resolved));
  return gemmac::guard("session_create", [&]() -> gemmac_status {
    std::unique_ptr<gemmac_session> session(new gemmac_session);
    session->model = model;
    session->options = resolved;
    session->tokens.reserve(static_cast<size_t>(resolved.max_context));
    const size_t context = static_cast<size_t>(resolved.max_context);
    const size_t chunk = static_cast<size_t>(resolved.prefill_chunk);
    const size_t threads = static_cast<size_t>(resolved.num_threads);
    const gemmac_kv_type kv_type = gemmac::kvType(resolved);
    GEMMAC_RETURN_IF_ERROR(model->compiled ? gemmac::CompiledExecutor::create(*model->program, *model->compiled,
                                                                             context, chunk, threads, kv_type,
                                                                             &session->compiled)
                                           : gemmac::Executor::create(*model->program, context, chunk, threads,
                                                                      kv_type, &session->executor));
    // Only a session handed out holds the model: a failed one is freed
    // above while the caller's reference keeps the model alive.
    gemmac::retainModel(model);
    *out_session = session.release();
    return nullptr;
  });
}

extern "C" void gemmac_session_free(gemmac_session* session) {
  if (!session) return;
  // The executors read the model's plan and weights until they are destroyed.
  gemmac_model* model = session->model;
  delete session;
  gemmac::releaseModel(model);
}

extern "C" void gemmac_session_reset(gemmac_session* session) {
  if (!session) return;
  // Stale cache rows are never read: attention only sees positions < position.
  session->position = 0;
  session->tokens.clear();
  session->conversation.system_prompt.clear();
  session->conversation.drop_old_turns = false;
  session->conversation.turns.clear();
  session->cancel_requested.store(false);
}

extern "C" void gemmac_session_cancel(gemmac_session* session) {
  if (session) session->cancel_requested.store(true);
}

gemmac_status gemmac::syncSession(gemmac_session* session, const int32_t* ids, size_t count, float* last_logits) {
  if (last_logits && count == 0)
    return makeStatus(GEMMAC_INVALID_ARGUMENT, "sync: no tokens to give logits for");
  GEMMAC_RETURN_IF_ERROR(gemmac::checkTokens(session, ids, count, "sync", 0));
  // A history out of step with the position (never expected) is not trusted.
  const std::vector<int32_t>& held = session->tokens;
  size_t keep = 0;
  if (held.size() == session->position)
    while (keep < held.size() && keep < count && held[keep] == ids[keep]) ++keep;
  if (last_logits && keep == count) --keep;  // the last id runs again for its logits
  // Going back within prefill_chunk keeps each ring's window intact: a ring of
  // window + chunk - 1 slots still holds the window - 1 rows before any of the
  // last chunk positions (exec/kv_cache.h). Further back, start over.
  if (session->position - keep > static_cast<size_t>(session->options.prefill_chunk)) keep = 0;
  session->position = keep;
  session->tokens.resize(keep);
  return gemmac_session_prefill(session, ids + keep, count - keep, last_logits);
}

void gemmac::advanceSession(gemmac_session* session, const int32_t* ids, size_t count) {
  session->position += count;
  session->tokens.insert(session->tokens.end(), ids, ids + count);  // reserved: never allocates
}

std::vector<gemmac::KvCache>& gemmac::sessionCaches(gemmac_session* session) {
  return session->compiled ? session->compiled->caches() : session->executor->caches();
}

extern "C" size_t gemmac_session_get_position(const gemmac_session* session) {
  return session ? session->position : 0;
}

extern "C" gemmac_status gemmac_session_prefill(gemmac_session* session, const int32_t* ids, size_t count,
                                                float* last_logits) {
  if (!session) return gemmac::makeStatus(GEMMAC_INVALID_ARGUMENT, "prefill: NULL session");
  if (count == 0 && last_logits)
    return gemmac::makeStatus(GEMMAC_INVALID_ARGUMENT, "prefill: no tokens to give logits for");
  GEMMAC_RETURN_IF_ERROR(gemmac::checkTokens(session, ids, count, "prefill", session->position));
  return gemmac::guard("prefill", [&]() -> gemmac_status {
    const size_t chunk = static_cast<size_t>(session->options.prefill_chunk);
    for (size_t start = 0; start < count; start += chunk) {
      size_t n = std::min(chunk, count - start);
      bool last = start + n == count;
      // Only the final token's logits are wanted: earlier chunks skip the logits op.
      GEMMAC_RETURN_IF_ERROR(runStep(session, ids + start, n, n - 1, last ? last_logits : nullptr));
    }
    return nullptr;
  });
}

extern "C" gemmac_status gemmac_session_evaluate(gemmac_session* session, const int32_t* ids, size_t count,
                                                 float* logits) {
  if (!session || !logits) return gemmac::makeStatus(GEMMAC_INVALID_ARGUMENT, "evaluate: NULL session or logits");
  const size_t chunk = static_cast<size_t>(session->options.prefill_chunk);
  // The chunk is at most the context (session options), which the message
  // says when that is what limits it.
  const bool clamped = chunk == static_cast<size_t>(session->options.max_context);
  if (count == 0 || count > chunk)
    return gemmac::makeStatus(GEMMAC_INVALID_ARGUMENT, "evaluate: %zu tokens; one step takes 1 to %zu (prefill_chunk%s)",
                              count, chunk, clamped ? ", at most the context" : "");
  GEMMAC_RETURN_IF_ERROR(gemmac::checkTokens(session, ids, count, "evaluate", session->position));
  return gemmac::guard("evaluate", [&] { return runStep(session, ids, count, 0, logits); });
}

extern "C" gemmac_status gemmac_session_decode(gemmac_session* session, int32_t id, float* logits) {
  if (!session) return gemmac::makeStatus(GEMMAC_INVALID_ARGUMENT, "decode: NULL session");
  GEMMAC_RETURN_IF_ERROR(gemmac::checkTokens(session, &id, 1, "decode", session->position));
  return gemmac::guard("decode", [&] { return runStep(session, &id, 1, 0, logits); });
}
