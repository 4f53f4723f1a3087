// gemmac_model_get_kv_caches: the KV-cache footprint of a session, from the
// plan and the session options alone, so tools can report memory without
// allocating it.
#include <algorithm>
#include <vector>

#include "exec/kv_cache.h"
#include "api/model.h"
#include "api/session.h"
#include "api/status.h"

extern "C" gemmac_status gemmac_model_get_kv_caches(const gemmac_model* model, const gemmac_session_options* options,
                                                    gemmac_kv_cache_info* caches, size_t capacity, size_t* out_count) {
  if (!model || !out_count) return gemmac::makeStatus(GEMMAC_INVALID_ARGUMENT, "get_kv_caches: NULL model or out_count");
  gemmac_session_options resolved;
  GEMMAC_RETURN_IF_ERROR(gemmac::resolveSessionOptions(model, options, "get_kv_caches", &resolved));
  return gemmac::guard("get_kv_caches", [&]() -> gemmac_status {
    const size_t element_bytes = gemmac_kv_element_bytes(gemmac::kvType(resolved));
    const auto* specs = model->program->plan().kv_caches();
    const size_t count = specs ? specs->size() : 0;
    std::vector<gemmac_kv_cache_info> infos(count);
    for (uint32_t i = 0; i < count; ++i) {
      const gemmac::schema::KvCache& spec = *specs->Get(i);
      size_t slots = 0;
      GEMMAC_RETURN_IF_ERROR(gemmac::kvCacheSlots(spec, i, static_cast<size_t>(resolved.max_context),
                                                  static_cast<size_t>(resolved.prefill_chunk), &slots));
      gemmac_kv_cache_info& info = infos[i];
      info.kind =
          spec.kind() == gemmac::schema::KvCacheKind::SlidingWindow ? GEMMAC_KV_CACHE_RING : GEMMAC_KV_CACHE_FULL;
      info.window = spec.window();
      info.slots = static_cast<int32_t>(slots);
      info.row_elements = spec.num_kv_heads() * spec.head_dim();
      info.element_bytes = static_cast<int32_t>(element_bytes);
      info.bytes = 2 * uint64_t{slots} * static_cast<uint64_t>(info.row_elements) * element_bytes;
    }
    *out_count = count;
    if (!caches) return nullptr;
    if (capacity < count)
      return gemmac::makeStatus(GEMMAC_OUT_OF_RANGE, "get_kv_caches: %zu caches do not fit a capacity of %zu", count,
                                capacity);
    std::copy(infos.begin(), infos.end(), caches);
    return nullptr;
  });
}
