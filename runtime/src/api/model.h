// The loaded model behind the C API's gemmac_model handle: the mapped, verified
// file, the prepared plan shared by all sessions, and the tokenizer and config
// facts the app layer (tokenize, generate) reads.
#ifndef GEMMAC_RUNTIME_SRC_MODEL_H_
#define GEMMAC_RUNTIME_SRC_MODEL_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "gemmac/gemmac.h"
#include "exec/compiled_executor.h"
#include "loader/model_file.h"
#include "exec/program.h"
#include "llm/tokenizer.h"

struct gemmac_model_s {
  /// NULL when the file embeds no tokenizer (id-level use only, e.g. tests).
  std::unique_ptr<gemmac::Tokenizer> tokenizer;
  std::vector<int32_t> stop_ids;
  int32_t vocab_size = 0;
  int32_t bos_id = 0;

  gemmac_model_info info{};
  gemmac::ModelFile file;
  std::unique_ptr<gemmac::Program> program;
  /// The target's compiled forward pass when shipped beside the file; NULL: portable.
  std::unique_ptr<gemmac::CompiledLibrary> compiled;
  /// XNNPACK operators hold their buffers between setup and run, so steps of
  /// different sessions of a model with f32/bf16 products take turns
  /// (Program::exclusiveRuns).
  std::mutex run_mutex;
  /// The user's handle, each session and each grammar hold one reference, so
  /// gemmac_model_free may come before theirs; the last release frees the
  /// model. Mutable: a grammar takes its reference through a const model.
  mutable std::atomic<size_t> references{1};
};

namespace gemmac {

/// The rest of gemmac_model_load once model->file is open and verified: the CPU
/// check, config facts, the embedded tokenizer (its pieces inside the
/// vocabulary), the prepared program and the compiled forward pass, `linked`
/// or beside the file. The fuzz target enters here with a file in memory.
gemmac_status prepareModel(const gemmac_compiled_model* linked, gemmac_model* model);

/// Takes a reference for an object that uses `model` after the call making it.
void retainModel(const gemmac_model* model) noexcept;
/// Drops a reference; the last one frees the model.
void releaseModel(const gemmac_model* model) noexcept;

}  // namespace gemmac

#endif  // GEMMAC_RUNTIME_SRC_MODEL_H_
