// The portable executor: interprets a Program one step (up to prefill_chunk
// tokens) at a time with reference kernels and XNNPACK, over one session's
// activation buffers and KV caches, or over the rows of several sessions at
// once (a batch step: one pass over the weights, each session's KV caches).
#ifndef GEMMAC_RUNTIME_SRC_EXECUTOR_H_
#define GEMMAC_RUNTIME_SRC_EXECUTOR_H_

#include <pthreadpool.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "exec/kv_cache.h"
#include "exec/program.h"
#include "kernels.h"

namespace gemmac {

/// out[t] = table[ids[t]] * scale for a table of any stored type (ids checked by the session).
void embed(const TensorView& table, float scale, const int32_t* ids, size_t count, float* out);

class Executor {
 public:
  /// num_threads 0: one per core; K/V rows of `kv_type`. Fails with
  /// GEMMAC_RESOURCE_EXHAUSTED when the buffers or caches cannot be allocated.
  /// With `shared_caches` (those of a compiled executor of the same plan and
  /// session options, which must outlive this one) it runs on them instead of
  /// its own: compiled code does not expose hidden states, this does (stepHidden).
  static gemmac_status create(const Program& program, size_t max_context, size_t prefill_chunk,
                              size_t num_threads, gemmac_kv_type kv_type, std::unique_ptr<Executor>* out,
                              std::vector<KvCache>* shared_caches = nullptr);
  /// An executor with no KV caches of its own, for batch steps of up to
  /// max_rows rows.
  static gemmac_status createForBatch(const Program& program, size_t max_rows, size_t num_threads,
                                      std::unique_ptr<Executor>* out);
  ~Executor();
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  /// Runs `count` (<= prefill_chunk) valid tokens at positions first_position...;
  /// the logits of rows [first_logit_row, count) go to `logits` (row-major,
  /// vocab floats each); with logits == NULL the logits op is skipped.
  gemmac_status step(const int32_t* ids, size_t count, int64_t first_position, size_t first_logit_row,
                     float* logits);
  /// As step without the logits op: rows [first_row, count) of its input, the
  /// final normed hidden states (hidden_size floats each), go to `hidden`.
  gemmac_status stepHidden(const int32_t* ids, size_t count, int64_t first_position, size_t first_row,
                           float* hidden);

  /// One sequence's rows in a batch step.
  struct Sequence {
    std::vector<KvCache>* caches;  // a session's (same plan; any K/V type and size that fits)
    size_t count;                  // its tokens in this step, consecutive in the step's ids
    int64_t first_position;
  };
  /// Runs the rows of several sequences as one step (their ids concatenated,
  /// at most prefill_chunk in all); the logits of the step's rows `logit_rows`
  /// (ascending) go to `logits`, a row each.
  gemmac_status stepBatch(const int32_t* ids, const Sequence* sequences, size_t sequence_count,
                          const size_t* logit_rows, size_t logit_row_count, float* logits);

  /// What the quantized products (LM head included) do with their
  /// activations from the next step on; f32 (exact) unless set.
  void setActivations(Activations activations) { activations_ = activations; }

  /// The threads steps run on (NULL: the calling thread alone).
  pthreadpool_t pool() const { return pool_; }

  /// The KV caches single-sequence steps run on (its own or the shared ones).
  std::vector<KvCache>& caches() { return *caches_; }

 private:
  explicit Executor(const Program& program) : program_(program) {}
  /// Activations, RoPE tables, pool and scratch for steps of up to max_rows rows.
  static gemmac_status createBuffers(const Program& program, size_t max_rows, size_t num_threads,
                                     std::unique_ptr<Executor>* out);
  /// A single-sequence step: logits or hidden states of rows [first_row, count).
  gemmac_status runOne(const int32_t* ids, size_t count, int64_t first_position, size_t first_row, float* logits,
                       float* hidden);
  /// Every step: the final normed hidden states of `output_rows` go to
  /// `hidden` (when not NULL) and their logits to `logits` (when not NULL).
  gemmac_status run(const int32_t* ids, const Sequence* sequences, size_t sequence_count, const size_t* output_rows,
                    size_t output_row_count, float* logits, float* hidden);
  float* buffer(uint32_t value) { return buffers_[program_.valueBuffers()[value]].data(); }
  size_t width(uint32_t value) const { return static_cast<size_t>(program_.plan().values()->Get(value)->width()); }
  /// Attention of the step's sequences (their rows consecutive, in order).
  gemmac_status runAttention(const schema::Op& op, const Sequence* sequences, size_t sequence_count);
  /// The step's final normed rows `rows` as one contiguous block (`final`
  /// itself when they are consecutive, else gathered into gather_).
  const float* outputRows(const float* final, size_t width, const size_t* rows, size_t count);
  /// The step's RoPE cos/sin rows for (theta, head_dim), built once per step.
  const float* ropeRows(float theta, size_t head_dim) const;
  /// The compiler's fused ops (executor_fused.cpp); false if `prepared` is not one.
  bool runFused(const PreparedOp& prepared, size_t count, gemmac_status* status);

  const Program& program_;
  pthreadpool_t pool_ = nullptr;
  std::vector<std::vector<float>> buffers_;
  std::vector<KvCache> own_caches_;
  std::vector<KvCache>* caches_ = &own_caches_;  // own_caches_, or a compiled executor's
  size_t max_slots_ = 0;       // rows of the largest cache
  std::vector<float> scores_;  // attention scratch: a decode key range's partial results per thread, per sequence
  size_t sequence_scores_ = 0;  // scores_ floats a sequence
  std::vector<gemmac_attention_task> attention_tasks_;  // an attention op's task per sequence of a step
  std::vector<size_t> attention_units_;                 // their tiles' cumulative counts
  std::vector<float> norm_scratch_;  // a FusedLinearOp's normalized input, prefill_chunk rows
  std::vector<float> gather_;        // the logits op's input rows of a batch step, prefill_chunk rows
  std::vector<size_t> row_range_;    // 0, 1, ..., prefill_chunk - 1: a single step's output rows
  struct RopeTable {
    float theta;  // as the plan stores it
    size_t head_dim;
    std::vector<float> rows;  // prefill_chunk rows of head_dim: the step's positions
  };
  std::vector<RopeTable> rope_tables_;  // one per distinct (theta, head_dim) of the plan's rope ops
  Activations activations_ = Activations::kF32;
};

}  // namespace gemmac

#endif  // GEMMAC_RUNTIME_SRC_EXECUTOR_H_
