// gemmac_batch_*: several sessions' tokens in one portable-executor step, so
// that one pass over the weights serves them all (continuous batching).
// Sessions running the compiled forward pass join too: the portable executor
// runs on their KV caches, which have the same layout.
#include <algorithm>
#include <memory>
#include <mutex>
#include <vector>

#include "api/model.h"
#include "api/session.h"
#include "api/status.h"
#include "exec/executor.h"

struct gemmac_batch_s {
  gemmac_model* model = nullptr;  // a reference, dropped by gemmac_batch_free
  size_t max_tokens = 0;
  std::unique_ptr<gemmac::Executor> executor;
  // Per step, reserved for max_tokens entries (each has at least one token):
  std::vector<int32_t> ids;
  std::vector<gemmac::Executor::Sequence> sequences;
  std::vector<size_t> logit_rows;
  std::vector<float> logits;  // logit_rows x vocab; grows to the most rows a step has asked for
};

extern "C" gemmac_status gemmac_batch_create(gemmac_model* model, size_t max_tokens, size_t num_threads,
                                             gemmac_batch** out_batch) {
  if (!model || !out_batch) return gemmac::makeStatus(GEMMAC_INVALID_ARGUMENT, "batch_create: NULL model or out_batch");
  if (max_tokens == 0 || max_tokens > (1u << 16))
    return gemmac::makeStatus(GEMMAC_INVALID_ARGUMENT, "batch_create: max_tokens %zu is outside [1, 65536]",
                              max_tokens);
  if (num_threads > 1024)
    return gemmac::makeStatus(GEMMAC_INVALID_ARGUMENT, "batch_create: num_threads %zu is over 1024", num_threads);
  return gemmac::guard("batch_create", [&]() -> gemmac_status {
    std::unique_ptr<gemmac_batch> batch(new gemmac_batch);
    batch->model = model;
    batch->max_tokens = max_tokens;
    GEMMAC_RETURN_IF_ERROR(
        gemmac::Executor::createForBatch(*model->program, max_tokens, num_threads, &batch->executor));
    batch->ids.reserve(max_tokens);
    batch->sequences.reserve(max_tokens);
    batch->logit_rows.reserve(max_tokens);
    gemmac::retainModel(model);
    *out_batch = batch.release();
    return nullptr;
  });
}

extern "C" void gemmac_batch_free(gemmac_batch* batch) {
  if (!batch) return;
  gemmac_model* model = batch->model;
  delete batch;  // the executor reads the model's plan until it is destroyed
  gemmac::releaseModel(model);
}

extern "C" gemmac_status gemmac_batch_set_int8_activations(gemmac_batch* batch, int enable) {
  if (!batch) return gemmac::makeStatus(GEMMAC_INVALID_ARGUMENT, "batch_set_int8_activations: NULL batch");
  return gemmac::guard("batch_set_int8_activations", [&]() -> gemmac_status {
    if (enable) GEMMAC_RETURN_IF_ERROR(batch->model->program->prepareInt8Activations());
    batch->executor->setActivations(enable ? gemmac::Activations::kInt8 : gemmac::Activations::kF32);
    return nullptr;
  });
}

extern "C" gemmac_status gemmac_batch_parallel_for(gemmac_batch* batch, void (*task)(void* context, size_t i),
                                                   void* context, size_t count) {
  if (!batch || !task)
    return gemmac::makeStatus(GEMMAC_INVALID_ARGUMENT, "batch_parallel_for: NULL %s", batch ? "task" : "batch");
  pthreadpool_parallelize_1d(batch->executor->pool(), task, context, count, 0);
  return nullptr;
}

namespace {

gemmac_status checkEntries(const gemmac_batch& batch, const gemmac_batch_entry* entries, size_t count) {
  if (!entries || count == 0) return gemmac::makeStatus(GEMMAC_INVALID_ARGUMENT, "batch_step: no entries");
  size_t tokens = 0;
  for (size_t i = 0; i < count; ++i) {
    const gemmac_batch_entry& entry = entries[i];
    if (!entry.session)
      return gemmac::makeStatus(GEMMAC_INVALID_ARGUMENT, "batch_step: entry %zu has a NULL session", i);
    if (entry.session->model != batch.model)
      return gemmac::makeStatus(GEMMAC_INVALID_ARGUMENT, "batch_step: entry %zu's session is of another model", i);
    const size_t chunk = static_cast<size_t>(entry.session->options.prefill_chunk);
    if (entry.count == 0 || entry.count > chunk)
      return gemmac::makeStatus(GEMMAC_INVALID_ARGUMENT,
                                "batch_step: entry %zu has %zu tokens; a step takes 1 to its session's prefill_chunk %zu",
                                i, entry.count, chunk);
    tokens += entry.count;
    if (tokens > batch.max_tokens)
      return gemmac::makeStatus(GEMMAC_INVALID_ARGUMENT,
                                "batch_step: the entries up to %zu hold %zu tokens, over the batch's max_tokens %zu", i,
                                tokens, batch.max_tokens);
    GEMMAC_RETURN_IF_ERROR(
        gemmac::checkTokens(entry.session, entry.ids, entry.count, "batch_step", entry.session->position));
    for (size_t j = 0; j < i; ++j)
      if (entries[j].session == entry.session)
        return gemmac::makeStatus(GEMMAC_INVALID_ARGUMENT, "batch_step: entries %zu and %zu have the same session", j,
                                  i);
  }
  return nullptr;
}

}  // namespace

extern "C" gemmac_status gemmac_batch_step(gemmac_batch* batch, const gemmac_batch_entry* entries, size_t count) {
  if (!batch) return gemmac::makeStatus(GEMMAC_INVALID_ARGUMENT, "batch_step: NULL batch");
  GEMMAC_RETURN_IF_ERROR(checkEntries(*batch, entries, count));
  return gemmac::guard("batch_step", [&]() -> gemmac_status {
    batch->ids.clear();
    batch->sequences.clear();
    batch->logit_rows.clear();
    for (size_t i = 0; i < count; ++i) {
      const gemmac_batch_entry& entry = entries[i];
      batch->ids.insert(batch->ids.end(), entry.ids, entry.ids + entry.count);
      batch->sequences.push_back({&gemmac::sessionCaches(entry.session), entry.count,
                                  static_cast<int64_t>(entry.session->position)});
      if (entry.logits) batch->logit_rows.push_back(batch->ids.size() - 1);
    }
    const size_t vocab = static_cast<size_t>(batch->model->vocab_size);
    // Entries whose logits are consecutive rows of one array get them written
    // there; others through the batch's own rows and a copy (1 MB a row).
    // (Compared as integers: a row past the caller's array is no pointer to form.)
    float* in_place = nullptr;
    for (size_t i = 0, row = 0; i < count; ++i) {
      if (!entries[i].logits) continue;
      if (row == 0) in_place = entries[i].logits;
      if (reinterpret_cast<uintptr_t>(entries[i].logits) !=
          reinterpret_cast<uintptr_t>(in_place) + row++ * vocab * sizeof(float)) {
        in_place = nullptr;
        break;
      }
    }
    float* logits = in_place;
    if (!logits) {
      if (batch->logits.size() < batch->logit_rows.size() * vocab) batch->logits.resize(batch->logit_rows.size() * vocab);
      logits = batch->logits.data();
    }
    {
      // As runStep (session.cpp): XNNPACK products keep state per run.
      std::unique_lock<std::mutex> lock(batch->model->run_mutex, std::defer_lock);
      if (batch->model->program->exclusiveRuns()) lock.lock();
      GEMMAC_RETURN_IF_ERROR(batch->executor->stepBatch(batch->ids.data(), batch->sequences.data(), count,
                                                        batch->logit_rows.data(), batch->logit_rows.size(), logits));
    }
    for (size_t i = 0, row = 0; i < count; ++i) {
      const gemmac_batch_entry& entry = entries[i];
      if (entry.logits && !in_place) std::copy_n(batch->logits.data() + row++ * vocab, vocab, entry.logits);
      gemmac::advanceSession(entry.session, entry.ids, entry.count);
    }
    return nullptr;
  });
}
