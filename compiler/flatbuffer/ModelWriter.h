//===- ModelWriter.h - gemma IR -> .gmf FlatBuffer model file ----*- C++ -*-===//
//
// A translation from the gemma dialect (after the pass pipeline) to the
// runtime's model file: the IR's @forward function becomes the execution plan,
// its gemma.weight ops the tensor table, whose bytes are read from the
// checkpoint mapping and laid out in 64-byte aligned segments.
//
//===----------------------------------------------------------------------===//
#ifndef GEMMAC_COMPILER_FLATBUFFER_MODELWRITER_H
#define GEMMAC_COMPILER_FLATBUFFER_MODELWRITER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LLVM.h"
#include "llvm/ADT/StringRef.h"

namespace gemmac {

class SafetensorsFile;

enum class WeightStorage {
  Checkpoint, // bf16 and f32 tensors as stored; f16 widened to f32
  F32,        // every tensor widened to f32
};

struct ModelWriterOptions {
  WeightStorage weights = WeightStorage::Checkpoint;
  llvm::StringRef producer;
  /// targets/CpuFeatures.h bits the compiled forward pass needs (0: none).
  uint32_t requiredCpuFeatures = 0;
  /// The compiled forward pass's file name beside the model (empty: none).
  llvm::StringRef compiledLibrary;
};

/// Writes `module` as a model file at `outputPath`. The file appears only when
/// complete (written to a temporary beside it, then renamed). Errors are
/// reported as diagnostics on the offending op.
mlir::LogicalResult writeModelFile(mlir::ModuleOp module, const SafetensorsFile &weights,
                                   llvm::StringRef tokenizerModel,
                                   const ModelWriterOptions &options,
                                   llvm::StringRef outputPath);

} // namespace gemmac

#endif // GEMMAC_COMPILER_FLATBUFFER_MODELWRITER_H
