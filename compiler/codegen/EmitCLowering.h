//===- EmitCLowering.h - gemma @forward -> EmitC forward pass ----*- C++ -*-===//
//
// Lowers the gemma IR after the pass pipeline to an EmitC module: the exported
// entry points of gemmac/compiled_abi.h (a prefill step and a one-token decode
// step), with shapes, the layer schedule, KV-cache sizes, workspace and weight
// offsets baked in as constants, and every op a call into the freestanding
// kernel library (only f32 / bf16 matrix products call back into the runtime).
//
//===----------------------------------------------------------------------===//
#ifndef GEMMAC_COMPILER_CODEGEN_EMITCLOWERING_H
#define GEMMAC_COMPILER_CODEGEN_EMITCLOWERING_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include <cstdint>
#include <string>

namespace gemmac {

struct ModelImage;

struct EmitCOptions {
  /// The largest step (tokens) the workspace is planned for: the prefill chunk.
  int64_t maxTokens = 128;
  /// How the model file stores the embedding table: f32, bf16, q8g32 or q4g32.
  std::string embedTable = "bf16";
  /// The model file the code goes with: weight offsets and plan digest.
  const ModelImage *image = nullptr;
  /// The target's quantized-product kernels (gemmac_linear_<type>_<variant>).
  std::string kernelVariant = "generic";
};

/// The EmitC module for `module`'s @forward, or failure with a diagnostic on
/// the first op that has no lowering (or an attention op without planned KV
/// slots: compiled code bakes them in).
mlir::FailureOr<mlir::OwningOpRef<mlir::ModuleOp>> lowerToEmitC(mlir::ModuleOp module,
                                                                const EmitCOptions &options);

} // namespace gemmac

#endif // GEMMAC_COMPILER_CODEGEN_EMITCLOWERING_H
