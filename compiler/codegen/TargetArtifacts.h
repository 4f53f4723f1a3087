//===- TargetArtifacts.h - `gemmac compile --target T -o OUT/` --*- C++ -*-===//
//
// The artifacts of one target: OUT/model.gmf (naming the target, its library
// and the CPU features it needs), OUT/model_T.cc (the emitted forward pass) and
// OUT/libmodel_T.so, or libmodel_T.a for a static target (built from it). All
// appear or none does.
//
//===----------------------------------------------------------------------===//
#ifndef GEMMAC_COMPILER_CODEGEN_TARGETARTIFACTS_H
#define GEMMAC_COMPILER_CODEGEN_TARGETARTIFACTS_H

#include "compiler/codegen/EmitCLowering.h"
#include "compiler/flatbuffer/ModelWriter.h"
#include "targets/Targets.h"

namespace gemmac {

/// Codegen options matching how the model file stores the weights; the
/// caller adds the file's layout (EmitCOptions::image).
EmitCOptions emitCOptionsFor(mlir::ModuleOp module, int64_t prefillChunk,
                             const gemmac_target *target);

/// Dumps the EmitC module (`cpp` false) or its C++ to `outputPath` ("-": stdout).
mlir::LogicalResult emitForwardPass(mlir::ModuleOp module, const EmitCOptions &options, bool cpp,
                                    llvm::StringRef command, llvm::StringRef outputPath);

/// Writes the target's artifacts into the directory `outDir` (created if needed).
mlir::LogicalResult writeTargetArtifacts(mlir::ModuleOp module, const SafetensorsFile &weights,
                                         llvm::StringRef tokenizerModel,
                                         ModelWriterOptions writerOptions, EmitCOptions options,
                                         const gemmac_target &target, llvm::StringRef command,
                                         llvm::StringRef outDir);

} // namespace gemmac

#endif // GEMMAC_COMPILER_CODEGEN_TARGETARTIFACTS_H
