// The portable executor: interprets a Program one step (up to prefill_chunk
// tokens) at a time with reference kernels and XNNPACK, over one session's
// activation buffers and KV caches.
#ifndef GEMMAC_RUNTIME_SRC_EXECUTOR_H_
#define GEMMAC_RUNTIME_SRC_EXECUTOR_H_

#include <pthreadpool.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "exec/kv_cache.h"
#include "exec/program.h"

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

 private:
  explicit Executor(const Program& program) : program_(program) {}
  /// step, or stepHidden when `hidden` is not NULL.
  gemmac_status run(const int32_t* ids, size_t count, int64_t first_position, size_t first_logit_row, float* logits,
                    float* hidden);
  float* buffer(uint32_t value) { return buffers_[program_.valueBuffers()[value]].data(); }
  size_t width(uint32_t value) const { return static_cast<size_t>(program_.plan().values()->Get(value)->width()); }
  gemmac_status runAttention(const schema::Op& op, size_t count, int64_t first_position);
  /// The step's RoPE cos/sin rows for (theta, head_dim), built once per step.
  const float* ropeRows(float theta, size_t head_dim) const;
  /// The compiler's fused ops (executor_fused.cpp); false if `prepared` is not one.
  bool runFused(const PreparedOp& prepared, size_t count, int64_t first_position, gemmac_status* status);

  const Program& program_;
  pthreadpool_t pool_ = nullptr;
  std::vector<std::vector<float>> buffers_;
  std::vector<KvCache> own_caches_;
  std::vector<KvCache>* caches_ = &own_caches_;  // own_caches_, or a compiled executor's
  size_t max_slots_ = 0;       // rows of the largest cache
  std::vector<float> scores_;  // attention scratch: a decode key range's partial results per thread
  std::vector<float> norm_scratch_;  // a FusedLinearOp's normalized input, prefill_chunk rows
  struct RopeTable {
    float theta;  // as the plan stores it
    size_t head_dim;
    std::vector<float> rows;  // prefill_chunk rows of head_dim: the step's positions
  };
  std::vector<RopeTable> rope_tables_;  // one per distinct (theta, head_dim) of the plan's rope ops
};

}  // namespace gemmac

#endif  // GEMMAC_RUNTIME_SRC_EXECUTOR_H_
