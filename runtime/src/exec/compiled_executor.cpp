#include "exec/compiled_executor.h"

#include <dlfcn.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstring>
#include <exception>

#include "api/status.h"
#include "loader/sha256.h"

namespace gemmac {
namespace {

bool endsWith(const std::string& s, const char* suffix) {
  const size_t n = std::strlen(suffix);
  return s.size() >= n && s.compare(s.size() - n, n, suffix) == 0;
}

}  // namespace

gemmac_status CompiledLibrary::open(const ModelFile& file, const Program& program, const gemmac_compiled_model* linked,
                                    std::unique_ptr<CompiledLibrary>* out) {
  out->reset();
  const flatbuffers::String* name = file.root->compiled_library();
  const std::string bare = name ? name->str() : std::string();
  std::unique_ptr<CompiledLibrary> library(new CompiledLibrary);
  if (linked) {
    library->path_ = (bare.empty() ? std::string("a forward pass") : bare) + " linked into the program";
    library->model_ = linked;
  } else {
    if (bare.empty()) return nullptr;
    // Code is loaded from beside the model only: never a path the file chooses.
    if (bare.find('/') != std::string::npos || bare == "." || bare == ".." || bare.find('\0') != std::string::npos)
      return makeStatus(GEMMAC_DATA_LOSS, "%s: the compiled library '%s' is not a bare file name", file.path.c_str(),
                        bare.c_str());
    // An archive is for apps to link (gemmac_model_load_linked): never loaded.
    if (endsWith(bare, ".a")) return nullptr;
    // Always with a directory part: dlopen searches the library path (LD_LIBRARY_PATH, the system's
    // directories) for a name without a slash, not the model's directory.
    const size_t slash = file.path.rfind('/');
    library->path_ = (slash == std::string::npos ? std::string("./") : file.path.substr(0, slash + 1)) + bare;
    struct stat info;
    if (stat(library->path_.c_str(), &info) != 0) return nullptr;  // not shipped: run portably
    library->handle_ = dlopen(library->path_.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!library->handle_)
      return makeStatus(GEMMAC_DATA_LOSS, "%s: cannot load the compiled forward pass: %s", library->path_.c_str(),
                        dlerror());
    auto get = reinterpret_cast<const gemmac_compiled_model* (*)()>(dlsym(library->handle_, GEMMAC_COMPILED_MODEL_SYMBOL));
    library->model_ = get ? get() : nullptr;
    if (!library->model_)
      return makeStatus(GEMMAC_DATA_LOSS, "%s: not a gemmac compiled forward pass (no %s)", library->path_.c_str(),
                        GEMMAC_COMPILED_MODEL_SYMBOL);
  }
  const gemmac_compiled_model& model = *library->model_;
  const char* path = library->path_.c_str();
  // abi_version is the one field every version has in the same place.
  if (model.abi_version != GEMMAC_COMPILED_ABI_VERSION)
    return makeStatus(GEMMAC_DATA_LOSS, "%s: compiled for ABI version %u; this runtime runs version %u", path,
                      model.abi_version, GEMMAC_COMPILED_ABI_VERSION);
  // The code bakes in the plan it was compiled from: it runs only on that
  // plan, whatever the file states (its bounds were verified, not its origin).
  uint8_t digest[GEMMAC_SHA256_BYTES];
  gemmac_sha256_digest(file.file->data(), file.root->segment_base(), digest);
  if (std::memcmp(digest, model.plan_digest, sizeof(digest)) != 0)
    return makeStatus(GEMMAC_DATA_LOSS,
                      "%s: %s is not the model file this forward pass was compiled with (the SHA-256 of its "
                      "plan part differs): ship the library and the model file of one `gemmac compile`",
                      path, file.path.c_str());
  if (model.op_count != program.ops().size())
    return makeStatus(GEMMAC_DATA_LOSS, "%s: compiled from a plan of %u ops; the model file has %zu", path,
                      model.op_count, program.ops().size());
  if (!model.forward || !model.decode)
    return makeStatus(GEMMAC_DATA_LOSS, "%s: the compiled forward pass has no entry points", path);
  *out = std::move(library);
  return nullptr;
}

CompiledLibrary::~CompiledLibrary() {
  if (handle_) dlclose(handle_);
}

gemmac_status CompiledExecutor::create(const Program& program, const CompiledLibrary& library, size_t max_context,
                                       size_t prefill_chunk, size_t num_threads, gemmac_kv_type kv_type,
                                       std::unique_ptr<CompiledExecutor>* out) {
  std::unique_ptr<CompiledExecutor> executor(new CompiledExecutor(program, library));
  try {
    executor->workspace_.resize(library.model().workspace_floats);
    size_t max_slots = 0;
    GEMMAC_RETURN_IF_ERROR(
        createKvCaches(program.plan(), max_context, prefill_chunk, kv_type, &executor->caches_, &max_slots));
    // After the caches' own check, whose message says how to recompile.
    if (prefill_chunk > library.model().max_tokens)
      return makeStatus(GEMMAC_INVALID_ARGUMENT,
                        "%s: compiled for steps of up to %zu tokens, not a prefill_chunk of %zu",
                        library.path().c_str(), library.model().max_tokens, prefill_chunk);
    for (KvCache& cache : executor->caches_) {
      executor->keys_.push_back(cache.keys());
      executor->values_.push_back(cache.values());
    }
    executor->ctx_.scores_stride = max_slots;
  } catch (const std::exception&) {
    return makeStatus(GEMMAC_RESOURCE_EXHAUSTED,
                      "out of memory allocating activations and KV caches for a context of %zu", max_context);
  }
  // What the generated code reads by plan op: the norm gains, widened at load.
  for (const PreparedOp& prepared : program.ops())
    executor->op_data_.push_back(prepared.norm_weight.empty() ? nullptr : prepared.norm_weight.data());
  executor->pool_ = pthreadpool_create(num_threads);
  if (!executor->pool_) return makeStatus(GEMMAC_RESOURCE_EXHAUSTED, "cannot create a pool of %zu threads", num_threads);
  gemmac_compiled_ctx& ctx = executor->ctx_;
  ctx.threads = pthreadpool_get_threads_count(executor->pool_);
  try {
    executor->scores_.resize(ctx.threads * ctx.scores_stride);
  } catch (const std::exception&) {
    return makeStatus(GEMMAC_RESOURCE_EXHAUSTED, "out of memory allocating attention scratch");
  }
  ctx.workspace = executor->workspace_.data();
  ctx.weights = program.segmentBase();
  ctx.scores = executor->scores_.data();
  ctx.op_data = executor->op_data_.data();
  ctx.kv_keys = executor->keys_.data();
  ctx.kv_values = executor->values_.data();
  ctx.kv_type = static_cast<uint32_t>(kv_type);
  ctx.linear = &CompiledExecutor::linear;
  ctx.parallelize = &CompiledExecutor::parallelize;
  ctx.runtime = executor.get();
  *out = std::move(executor);
  return nullptr;
}

CompiledExecutor::~CompiledExecutor() {
  if (pool_) pthreadpool_destroy(pool_);
  gemmac_status_free(linear_status_);
}

void CompiledExecutor::linear(void* runtime, uint32_t op, uint32_t output, const float* x, size_t rows, float* out) {
  auto* executor = static_cast<CompiledExecutor*>(runtime);
  if (executor->linear_status_) return;  // the step already failed
  const PreparedOp& prepared = executor->program_.ops()[op];
  const Linear& product = prepared.linear ? *prepared.linear : *prepared.linears[output];
  executor->linear_status_ = product.run(x, rows, out, executor->pool_);
}

void CompiledExecutor::parallelize(void* runtime, gemmac_compiled_task_fn task, void* context, size_t range,
                                   size_t tile) {
  pthreadpool_parallelize_1d_tile_1d(static_cast<CompiledExecutor*>(runtime)->pool_, task, context, range, tile, 0);
}

gemmac_status CompiledExecutor::step(const int32_t* ids, size_t count, int64_t first_position,
                                     size_t first_logit_row, float* logits) {
  if (count == 1 && first_logit_row == 0)
    library_.model().decode(&ctx_, ids, first_position, logits);
  else
    library_.model().forward(&ctx_, ids, count, first_position, first_logit_row, logits);
  gemmac_status status = linear_status_;
  linear_status_ = nullptr;
  return status;
}

}  // namespace gemmac
