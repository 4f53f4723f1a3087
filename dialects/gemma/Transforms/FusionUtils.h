//===- FusionUtils.h - helpers shared by the gemma-fuse-* passes -*- C++ -*-===//
#ifndef GEMMAC_DIALECTS_GEMMA_TRANSFORMS_FUSIONUTILS_H
#define GEMMAC_DIALECTS_GEMMA_TRANSFORMS_FUSIONUTILS_H

#include "dialects/gemma/IR/GemmaOps.h"

#include "mlir/IR/PatternMatch.h"

namespace mlir::gemma {

/// The op of `ops` (all in one block) that comes first.
Operation *firstInBlock(ArrayRef<Operation *> ops);

/// Moves the ops defining `weights` before `point` when they come after it,
/// so that a fused op can take the place of the first op it replaces.
/// gemma.weight has no operands: any position in the block is valid.
void hoistWeights(RewriterBase &rewriter, ValueRange weights, Operation *point);

/// Creates a gemma.fused_linear in place of `first`, the earliest op it
/// replaces, with the norm of `norm` when given.
FusedLinearOp createFusedLinear(RewriterBase &rewriter, Operation *first,
                                Value input, ValueRange weights,
                                TypeRange resultTypes, RmsNormOp norm = {});

} // namespace mlir::gemma

#endif // GEMMAC_DIALECTS_GEMMA_TRANSFORMS_FUSIONUTILS_H
