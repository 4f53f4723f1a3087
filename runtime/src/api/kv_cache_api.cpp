// gemmac_model_get_kv_caches: the KV-cache footprint of a session, from the
// plan alone, so tools can report memory without allocating it.
#include <algorithm>
#include <vector>

#include "exec/kv_cache.h"
#include "api/model.h"
#include "api/status.h"

extern "C" gemmac_status gemmac_model_get_kv_caches(const gemmac_model* model, int32_t max_context,
                                                    int32_t prefill_chunk, gemmac_kv_cache_info* caches,
                                                    size_t capacity, size_t* out_count) {
  if (!model || !out_count) return gemmac::makeStatus(GEMMAC_INVALID_ARGUMENT, "get_kv_caches: NULL model or out_count");
  const int32_t model_context = model->info.max_context;
  if (max_context < 1 || max_context > model_context || prefill_chunk < 1)
    return gemmac::makeStatus(GEMMAC_INVALID_ARGUMENT,
                              "get_kv_caches: max_context %d is outside [1, %d] or prefill_chunk %d is not positive",
                              max_context, model_context, prefill_chunk);
  const auto* specs = model->program->plan().kv_caches();
  const size_t count = specs ? specs->size() : 0;
  const size_t chunk = static_cast<size_t>(std::min(prefill_chunk, max_context));
  std::vector<gemmac_kv_cache_info> infos(count);
  for (uint32_t i = 0; i < count; ++i) {
    const gemmac::schema::KvCache& spec = *specs->Get(i);
    size_t slots = 0;
    GEMMAC_RETURN_IF_ERROR(gemmac::kvCacheSlots(spec, i, static_cast<size_t>(max_context), chunk, &slots));
    gemmac_kv_cache_info& info = infos[i];
    info.kind = spec.kind() == gemmac::schema::KvCacheKind::SlidingWindow ? GEMMAC_KV_CACHE_RING : GEMMAC_KV_CACHE_FULL;
    info.window = spec.window();
    info.slots = static_cast<int32_t>(slots);
    info.row_elements = spec.num_kv_heads() * spec.head_dim();
    info.element_bytes = static_cast<int32_t>(gemmac::kKvElementBytes);
    info.bytes = 2 * uint64_t{slots} * static_cast<uint64_t>(info.row_elements) * gemmac::kKvElementBytes;
  }
  *out_count = count;
  if (!caches) return nullptr;
  if (capacity < count)
    return gemmac::makeStatus(GEMMAC_OUT_OF_RANGE, "get_kv_caches: %zu caches do not fit a capacity of %zu", count,
                              capacity);
  std::copy(infos.begin(), infos.end(), caches);
  return nullptr;
}
