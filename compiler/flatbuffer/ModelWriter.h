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
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"

#include <array>

namespace gemmac {

class SafetensorsFile;
struct QuantizedWeight;

struct ModelWriterOptions {
  llvm::StringRef producer;
  /// targets/CpuFeatures.h bits the compiled forward pass needs (0: none).
  uint32_t requiredCpuFeatures = 0;
  /// The compiled forward pass's file name beside the model (empty: none).
  llvm::StringRef compiledLibrary;
  /// The --target name it was compiled for (empty: none).
  llvm::StringRef target;
  /// The bytes of the weights gemma-quantize stored as q4g32 / q8g32, by name.
  const llvm::StringMap<QuantizedWeight> *quantized = nullptr;
};

/// What a compiled forward pass bakes in about the model file it goes with.
struct ModelImage {
  /// The SHA-256 of the file's FlatBuffer part, bytes [0, Model.segment_base):
  /// everything but the weights, whose bounds that part fixes. The runtime
  /// recomputes it before it binds a compiled forward pass to a file.
  std::array<uint8_t, 32> planDigest{};
  /// Each tensor's offset from Model.segment_base, by tensor name.
  llvm::StringMap<uint64_t> offsets;
};

/// Lays the model file out without writing it: the facts of `ModelImage`.
mlir::FailureOr<ModelImage> layoutModelFile(mlir::ModuleOp module, const SafetensorsFile &weights,
                                            llvm::StringRef tokenizerModel,
                                            const ModelWriterOptions &options);

/// Writes `module` as a model file at `outputPath`. The file appears only when
/// complete (written to a temporary beside it, then renamed). Errors are
/// reported as diagnostics on the offending op.
/// `image`, when given, receives the layout of the file written.
mlir::LogicalResult writeModelFile(mlir::ModuleOp module, const SafetensorsFile &weights,
                                   llvm::StringRef tokenizerModel,
                                   const ModelWriterOptions &options,
                                   llvm::StringRef outputPath, ModelImage *image = nullptr);

} // namespace gemmac

#endif // GEMMAC_COMPILER_FLATBUFFER_MODELWRITER_H
