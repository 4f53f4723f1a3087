// gemmac-run inspect MODEL.gmf [--ctx N] [--chunk C] [--kv T]: the KV-cache
// memory a session with these options would allocate, per cache and in total.
#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <string>
#include <vector>

#include "cli.h"

namespace gemmac_run {
namespace {

constexpr int32_t kDefaultChunk = 128;  // gemmac_session_create's default for a plan without rings

void printBytes(const char* label, uint64_t bytes) {
  std::printf("%s %" PRIu64 " bytes (%.1f MiB)\n", label, bytes, static_cast<double>(bytes) / (1 << 20));
}

}  // namespace

int runInspect(int argc, char** argv) {
  std::string path;
  gemmac_session_options options;
  gemmac_session_options_init(&options);
  options.prefill_chunk = kDefaultChunk;
  for (Args args(argc, argv, 2); !args.done();) {
    std::string arg = args.next();
    if (arg == "--chunk")
      options.prefill_chunk = static_cast<int32_t>(parseInt(arg, args.value(arg), 1, INT32_MAX));
    else
      parseSessionArgument(arg, args, &options, &path);
  }
  if (path.empty()) throw UsageError{"inspect: needs a model file"};

  gemmac_model* raw_model = nullptr;
  if (reportError(gemmac_model_load(path.c_str(), &raw_model), "load")) return 1;
  ModelPtr model(raw_model);
  gemmac_model_info info;
  if (reportError(gemmac_model_get_info(model.get(), &info), "info")) return 1;
  if (options.max_context == 0) options.max_context = info.max_context;
  size_t count = 0;
  if (reportError(gemmac_model_get_kv_caches(model.get(), &options, nullptr, 0, &count), "kv caches")) return 1;
  std::vector<gemmac_kv_cache_info> caches(count);
  if (reportError(gemmac_model_get_kv_caches(model.get(), &options, caches.data(), count, &count), "kv caches"))
    return 1;

  std::printf("context %d, prefill chunk %d\n", options.max_context,
              std::min(options.prefill_chunk, options.max_context));
  uint64_t bytes = 0, slots = 0;
  int32_t element_bytes = 0;
  for (size_t i = 0; i < count; ++i) {
    const gemmac_kv_cache_info& cache = caches[i];
    std::printf("kv cache %zu: %s window %d, %d slots x %d elements, %" PRIu64 " bytes\n", i,
                cache.kind == GEMMAC_KV_CACHE_RING ? "ring" : "full", cache.window, cache.slots, cache.row_elements,
                cache.bytes);
    bytes += cache.bytes;
    slots += static_cast<uint64_t>(cache.slots);
    element_bytes = cache.element_bytes;
  }
  std::printf("total: %zu caches, %" PRIu64 " slots\n", count, slots);
  printBytes(("kv bytes (stored as " + std::to_string(element_bytes * 8) + "-bit floats):").c_str(), bytes);
  std::printf("executor: %s\n", gemmac_model_get_executor(model.get()));
  return 0;
}

}  // namespace gemmac_run
