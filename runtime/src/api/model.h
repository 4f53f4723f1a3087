// The loaded model behind the C API's gemmac_model handle: the mapped, verified
// file, the prepared plan shared by all sessions, and the tokenizer and config
// facts the app layer (tokenize, generate) reads.
#ifndef GEMMAC_RUNTIME_SRC_MODEL_H_
#define GEMMAC_RUNTIME_SRC_MODEL_H_

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
};

#endif  // GEMMAC_RUNTIME_SRC_MODEL_H_
