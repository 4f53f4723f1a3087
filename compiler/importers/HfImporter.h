//===- HfImporter.h - Hugging Face Gemma 3 checkpoint -> gemma IR -*- C++
//-*-===//
//
// Transcribes Hugging Face's Gemma3ForCausalLM forward pass into one
// `func.func @forward(%ids: tensor<?xi32>, %positions: tensor<?xi32>)` of
// gemma ops. Weights are referenced by name (gemma.weight), never inlined.
//
//===----------------------------------------------------------------------===//
#ifndef GEMMAC_COMPILER_IMPORTERS_HFIMPORTER_H
#define GEMMAC_COMPILER_IMPORTERS_HFIMPORTER_H

#include "compiler/importers/ModelConfig.h"
#include "compiler/importers/Safetensors.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/Support/LLVM.h"

namespace gemmac {

/// Checks `weights` against checkpointTensors(config) and emits one error
/// diagnostic on `ctx` per problem (missing tensor, unexpected extra tensor,
/// wrong shape with expected vs got), naming the file and the tensor; all
/// problems are reported, not just the first. Unsupported dtypes are already
/// rejected by SafetensorsFile::open.
mlir::LogicalResult checkCheckpointTensors(mlir::MLIRContext &ctx,
                                           const ModelConfig &config,
                                           const SafetensorsFile &weights);

/// Builds the module: `gemma.config` (model facts), `gemma.weights` (the
/// safetensors path) and `@forward`. Every number comes from `config`. Errors
/// are emitted as diagnostics on `ctx` (catch them with a
/// ScopedDiagnosticHandler); fails when the tensors don't match the config.
mlir::FailureOr<mlir::OwningOpRef<mlir::ModuleOp>>
importCheckpoint(mlir::MLIRContext &ctx, const ModelConfig &config,
                 const SafetensorsFile &weights);

} // namespace gemmac

#endif // GEMMAC_COMPILER_IMPORTERS_HFIMPORTER_H
