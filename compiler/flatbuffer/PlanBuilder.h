//===- PlanBuilder.h - @forward -> execution plan tables ---------*- C++ -*-===//
#ifndef GEMMAC_COMPILER_FLATBUFFER_PLANBUILDER_H
#define GEMMAC_COMPILER_FLATBUFFER_PLANBUILDER_H

#include "model_generated.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/StringMap.h"

#include <string>
#include <vector>

namespace gemmac {

/// A checkpoint tensor the plan refers to, in tensor-table order.
struct PlannedTensor {
  std::string name;
  mlir::RankedTensorType type;
  std::string storage; // gemma-quantize's choice; empty: the checkpoint's type
};

struct PlanTables {
  flatbuffers::Offset<schema::Plan> plan;
  std::vector<PlannedTensor> tensors;
};

/// Translates the straight-line body of `forward` into plan ops over numbered
/// values, one KV-cache binding per distinct attention `kv_cache` index.
/// Emits a diagnostic and fails on ops the runtime cannot execute.
mlir::FailureOr<PlanTables> buildPlan(mlir::func::FuncOp forward,
                                      flatbuffers::FlatBufferBuilder &builder);

} // namespace gemmac

#endif // GEMMAC_COMPILER_FLATBUFFER_PLANBUILDER_H
