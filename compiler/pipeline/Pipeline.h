//===- Pipeline.h - gemmac compile: checkpoint -> IR -> passes -> artifacts -===//
#ifndef GEMMAC_COMPILER_PIPELINE_PIPELINE_H
#define GEMMAC_COMPILER_PIPELINE_PIPELINE_H

#include "compiler/flatbuffer/ModelWriter.h"

#include "mlir/Support/LLVM.h"
#include "llvm/Support/raw_ostream.h"

#include <string>
#include <vector>

namespace gemmac {

/// How far `gemmac compile` goes; every IR stage can be dumped (`--emit=`).
enum class EmitStage {
  Gemma,       // the imported gemma IR, before any pass
  Fused,       // after the fusion passes
  Specialized, // after gemma-specialize-attention
  Quantized,   // after gemma-quantize: the IR the model file is written from
  EmitC,       // the forward pass lowered to the EmitC dialect
  Cpp,         // the forward pass as C++ (translated from EmitC)
  Model,       // the .gmf model file (with --target: the directory of the target's artifacts)
};

struct CompileOptions {
  std::string checkpointDir;
  std::string tokenizerPath; // empty: tokenizer.model or tokenizer.json of the checkpoint
  std::string outputPath;    // the .gmf, or the IR dump ("-" or empty: stdout)
  EmitStage emit = EmitStage::Model;
  std::string weights = "int4"; // gemma-quantize options (see its description)
  std::string head = "auto";
  std::string quant = "qat";
  /// Pass arguments (e.g. "gemma-fuse-qkv") left out of the pipeline.
  std::vector<std::string> disabledPasses;
  int64_t prefillChunk = 128; // the largest prefill step the ring caches are sized for
  int64_t maxContext = 0;     // 0: the config's max_context
  std::string target;         // targets/Targets.h name; empty: the portable model file only
};

/// Runs the compiler. Errors are printed to llvm::errs() naming the problem;
/// no output file is left behind on failure.
mlir::LogicalResult compileCheckpoint(const CompileOptions &options);

} // namespace gemmac

#endif // GEMMAC_COMPILER_PIPELINE_PIPELINE_H
