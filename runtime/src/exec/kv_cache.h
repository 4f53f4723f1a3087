// Keys and values of past tokens for one attention op. Global caches hold one
// row per context position; sliding-window caches are ring buffers of
// window + prefill_chunk - 1 rows, so their memory does not grow with the
// context: a chunk of up to prefill_chunk tokens writes its rows first and its
// first query still finds the window - 1 keys before it. Rows are f32 by
// default (the exact mode: the accuracy target is 1e-4 against float64; bf16
// rows would cost ~1e-2) or IEEE f16 by session option (half the memory,
// rounded once when stored; its measured error is in the README).
//
// The compiler (gemma-specialize-attention) records each cache's rows in the
// plan; older plans leave them 0 and the runtime computes them.
#ifndef GEMMAC_RUNTIME_SRC_KV_CACHE_H_
#define GEMMAC_RUNTIME_SRC_KV_CACHE_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "gemmac/gemmac.h"
#include "kernels.h"
#include "model_generated.h"

namespace gemmac {

/// The rows cache `index` allocates for a session of max_context tokens run in
/// steps of up to prefill_chunk; fails (GEMMAC_INVALID_ARGUMENT) when the
/// plan's rows cannot hold such a session.
gemmac_status kvCacheSlots(const schema::KvCache& spec, uint32_t index, size_t max_context,
                           size_t prefill_chunk, size_t* out_slots);

/// The largest prefill_chunk the plan's ring caches were sized for, or 0 when
/// the plan leaves it to the session (no ring, or rings without planned slots).
size_t plannedPrefillChunk(const schema::Plan& plan);

class KvCache;

/// Allocates every cache of `plan` for a session, with elements of `type`
/// (checked with kvCacheSlots: the compiler sized them, a session must fit),
/// and reports the largest.
gemmac_status createKvCaches(const schema::Plan& plan, size_t max_context, size_t prefill_chunk, gemmac_kv_type type,
                             std::vector<KvCache>* caches, size_t* max_slots);

class KvCache {
 public:
  /// A cache of `slots` rows (see kvCacheSlots) of `type` elements.
  KvCache(const schema::KvCache& spec, size_t slots, gemmac_kv_type type);

  size_t slots() const { return slots_; }
  gemmac_kv_type type() const { return type_; }
  const void* keys() const { return keys_.data(); }
  const void* values() const { return values_.data(); }
  /// For compiled code, which stores the rows itself.
  void* keys() { return keys_.data(); }
  void* values() { return values_.data(); }

  /// Stores the f32 rows [tokens, num_kv_heads * head_dim] of positions
  /// first_position... (rounded to f16 in an f16 cache).
  void write(const float* k, const float* v, size_t tokens, int64_t first_position);

 private:
  size_t slots_;
  size_t row_width_;
  gemmac_kv_type type_;
  std::vector<uint8_t> keys_;  // slots_ * row_width_ elements of type_
  std::vector<uint8_t> values_;
};

}  // namespace gemmac

#endif  // GEMMAC_RUNTIME_SRC_KV_CACHE_H_
