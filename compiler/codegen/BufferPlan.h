//===- BufferPlan.h - static activation buffers for a compiled forward pass -===//
//
// Every activation of @forward gets a fixed offset into one workspace of f32
// the runtime allocates; buffers return to the pool after their last reader,
// so the workspace follows the widest live set, not the layer count.
//
//===----------------------------------------------------------------------===//
#ifndef GEMMAC_COMPILER_CODEGEN_BUFFERPLAN_H
#define GEMMAC_COMPILER_CODEGEN_BUFFERPLAN_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/DenseMap.h"

#include <cstdint>

namespace gemmac {

struct BufferPlan {
  /// Offset in floats of each activation (the returned logits have none).
  llvm::DenseMap<mlir::Value, int64_t> offsets;
  /// Offset of the per-op scratch an op needs while it runs (a fused norm).
  llvm::DenseMap<mlir::Operation *, int64_t> scratch;
  int64_t workspaceFloats = 0;
};

/// Plans the buffers of `forward` for steps of up to `maxTokens` tokens. An
/// op's results never share memory with its operands (attention needs that).
BufferPlan planBuffers(mlir::func::FuncOp forward, int64_t maxTokens);

} // namespace gemmac

#endif // GEMMAC_COMPILER_CODEGEN_BUFFERPLAN_H
