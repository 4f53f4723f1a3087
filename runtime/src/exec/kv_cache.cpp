#include "exec/kv_cache.h"

#include <algorithm>

#include "api/status.h"

namespace gemmac {
namespace {

bool isRing(const schema::KvCache& spec) { return spec.kind() == schema::KvCacheKind::SlidingWindow; }

/// The rows a session needs: a ring never needs more than the context.
size_t requiredSlots(const schema::KvCache& spec, size_t max_context, size_t prefill_chunk) {
  if (!isRing(spec)) return max_context;
  return std::min(static_cast<size_t>(spec.window()) + prefill_chunk - 1, max_context);
}

/// The plan's rows when the compiler chose them (no more than the context can
/// use), else the required ones.
size_t allocatedSlots(const schema::KvCache& spec, size_t max_context, size_t prefill_chunk) {
  if (spec.slots() <= 0) return requiredSlots(spec, max_context, prefill_chunk);
  return std::min(static_cast<size_t>(spec.slots()), max_context);
}

}  // namespace

gemmac_status kvCacheSlots(const schema::KvCache& spec, uint32_t index, size_t max_context, size_t prefill_chunk,
                           size_t* out_slots) {
  const size_t required = requiredSlots(spec, max_context, prefill_chunk);
  const size_t allocated = allocatedSlots(spec, max_context, prefill_chunk);
  if (allocated < required) {
    if (isRing(spec))
      return makeStatus(GEMMAC_INVALID_ARGUMENT,
                        "kv cache %u is a ring of %d slots, compiled for a window of %d; a prefill_chunk of %zu needs "
                        "%zu (window + prefill_chunk - 1): use a prefill_chunk of at most %zu or recompile",
                        index, spec.slots(), spec.window(), prefill_chunk, required,
                        static_cast<size_t>(spec.slots()) - static_cast<size_t>(spec.window()) + 1);
    return makeStatus(GEMMAC_INVALID_ARGUMENT,
                      "kv cache %u holds %d positions; a context of %zu does not fit (recompile with a larger "
                      "max-context)",
                      index, spec.slots(), max_context);
  }
  *out_slots = allocated;
  return nullptr;
}

size_t plannedPrefillChunk(const schema::Plan& plan) {
  size_t chunk = 0;
  if (const auto* specs = plan.kv_caches())
    for (const schema::KvCache* spec : *specs)
      if (isRing(*spec) && spec->slots() > 0) {
        // A ring of window + chunk - 1 slots serves steps of up to chunk tokens.
        size_t serves = static_cast<size_t>(spec->slots()) - static_cast<size_t>(spec->window()) + 1;
        chunk = chunk == 0 ? serves : std::min(chunk, serves);
      }
  return chunk;
}

KvCache::KvCache(const schema::KvCache& spec, size_t slots, gemmac_kv_type type)
    : slots_(slots),
      row_width_(static_cast<size_t>(spec.num_kv_heads()) * static_cast<size_t>(spec.head_dim())),
      type_(type),
      keys_(slots_ * row_width_ * gemmac_kv_element_bytes(type)),
      values_(slots_ * row_width_ * gemmac_kv_element_bytes(type)) {}

gemmac_status createKvCaches(const schema::Plan& plan, size_t max_context, size_t prefill_chunk, gemmac_kv_type type,
                             std::vector<KvCache>* caches, size_t* max_slots) {
  *max_slots = 0;
  if (const auto* specs = plan.kv_caches())
    for (uint32_t i = 0; i < specs->size(); ++i) {
      size_t slots = 0;
      GEMMAC_RETURN_IF_ERROR(kvCacheSlots(*specs->Get(i), i, max_context, prefill_chunk, &slots));
      caches->emplace_back(*specs->Get(i), slots, type);
      *max_slots = std::max(*max_slots, slots);
    }
  return nullptr;
}

void KvCache::write(const float* k, const float* v, size_t tokens, int64_t first_position) {
  gemmac_kv_store_generic(type_, k, v, tokens, row_width_, first_position, slots_, keys_.data(), values_.data());
}

}  // namespace gemmac
