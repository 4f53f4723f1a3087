//===- Passes.h - gemma dialect passes --------------------------*- C++ -*-===//
#ifndef GEMMAC_DIALECTS_GEMMA_TRANSFORMS_PASSES_H
#define GEMMAC_DIALECTS_GEMMA_TRANSFORMS_PASSES_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir::gemma {

#define GEN_PASS_DECL
#include "dialects/gemma/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "dialects/gemma/Transforms/Passes.h.inc"

} // namespace mlir::gemma

#endif // GEMMAC_DIALECTS_GEMMA_TRANSFORMS_PASSES_H
