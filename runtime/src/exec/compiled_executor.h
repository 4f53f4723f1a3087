// The compiled forward pass: a target library (libmodel_<target>.so, emitted
// by `gemmac compile --target`) named by the model file and found beside it,
// or linked into the program (libmodel_<target>.a), run over one session's workspace and KV caches. It reads quantized weights
// in place from the mapped file and calls back only for f32 / bf16 products.
#ifndef GEMMAC_RUNTIME_SRC_COMPILED_EXECUTOR_H_
#define GEMMAC_RUNTIME_SRC_COMPILED_EXECUTOR_H_

#include <pthreadpool.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "gemmac/compiled_abi.h"
#include "exec/kv_cache.h"
#include "exec/program.h"

namespace gemmac {

/// The loaded library of one model, shared by its sessions.
class CompiledLibrary {
 public:
  /// The compiled forward pass of the model in `file`: `linked` when the
  /// program links it (a static libmodel_T.a), else the shared library the
  /// file names, loaded from beside it. *out stays NULL when there is none to
  /// load (no library named, not shipped beside the model, or an archive that
  /// only apps link): the portable executor runs. A forward pass that is
  /// present but unusable (wrong ABI version, or compiled from another file:
  /// the SHA-256 of the file's bytes [0, segment_base) is not its plan_digest)
  /// fails with GEMMAC_DATA_LOSS, and so does a library name that is not a bare
  /// file name.
  static gemmac_status open(const ModelFile& file, const Program& program, const gemmac_compiled_model* linked,
                            std::unique_ptr<CompiledLibrary>* out);
  ~CompiledLibrary();
  CompiledLibrary(const CompiledLibrary&) = delete;
  CompiledLibrary& operator=(const CompiledLibrary&) = delete;

  const gemmac_compiled_model& model() const { return *model_; }
  /// Where it came from, for messages and gemmac_model_get_executor.
  const std::string& path() const { return path_; }

 private:
  CompiledLibrary() = default;
  void* handle_ = nullptr;  // dlopen's, when loaded from a file
  std::string path_;
  const gemmac_compiled_model* model_ = nullptr;
};

class CompiledExecutor {
 public:
  static gemmac_status create(const Program& program, const CompiledLibrary& library, size_t max_context,
                              size_t prefill_chunk, size_t num_threads, gemmac_kv_type kv_type,
                              std::unique_ptr<CompiledExecutor>* out);
  ~CompiledExecutor();
  CompiledExecutor(const CompiledExecutor&) = delete;
  CompiledExecutor& operator=(const CompiledExecutor&) = delete;

  /// As Executor::step.
  gemmac_status step(const int32_t* ids, size_t count, int64_t first_position, size_t first_logit_row,
                     float* logits);
  /// Its KV caches, for a portable executor that runs steps on them (the
  /// compiled code does not expose hidden states; Executor::create).
  std::vector<KvCache>& caches() { return caches_; }

 private:
  CompiledExecutor(const Program& program, const CompiledLibrary& library) : program_(program), library_(library) {}
  static void linear(void* runtime, uint32_t op, uint32_t output, const float* x, size_t rows, float* out);
  static void parallelize(void* runtime, gemmac_compiled_task_fn task, void* context, size_t range, size_t tile);

  const Program& program_;
  const CompiledLibrary& library_;
  pthreadpool_t pool_ = nullptr;
  std::vector<float> workspace_;
  std::vector<float> scores_;
  std::vector<KvCache> caches_;
  std::vector<void*> keys_, values_;
  std::vector<const void*> op_data_;
  gemmac_compiled_ctx ctx_{};
  gemmac_status linear_status_ = nullptr;  // the first failed matrix product of a step
};

}  // namespace gemmac

#endif  // GEMMAC_RUNTIME_SRC_COMPILED_EXECUTOR_H_
