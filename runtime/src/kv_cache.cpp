#include "kv_cache.h"

#include <algorithm>
#include <cstring>

namespace gemmac {

KvCache::KvCache(const schema::KvCache& spec, size_t max_context, size_t prefill_chunk)
    : slots_(spec.kind() == schema::KvCacheKind::SlidingWindow
                 ? std::min(static_cast<size_t>(spec.window()) + prefill_chunk - 1, max_context)
                 : max_context),
      row_width_(static_cast<size_t>(spec.num_kv_heads()) * static_cast<size_t>(spec.head_dim())),
      keys_(slots_ * row_width_),
      values_(slots_ * row_width_) {}

void KvCache::write(const float* k, const float* v, size_t tokens, int64_t first_position) {
  for (size_t t = 0; t < tokens; ++t) {
    size_t slot = static_cast<size_t>(first_position + static_cast<int64_t>(t)) % slots_;
    std::memcpy(&keys_[slot * row_width_], k + t * row_width_, row_width_ * sizeof(float));
    std::memcpy(&values_[slot * row_width_], v + t * row_width_, row_width_ * sizeof(float));
  }
}

}  // namespace gemmac
