//===- FusionUtils.cpp - helpers shared by the gemma-fuse-* passes --------===//
#include "dialects/gemma/Transforms/FusionUtils.h"

namespace mlir::gemma {

Operation *firstInBlock(ArrayRef<Operation *> ops) {
  Operation *first = ops.front();
  for (Operation *op : ops.drop_front())
    if (op->isBeforeInBlock(first))
      first = op;
  return first;
}

void hoistWeights(RewriterBase &rewriter, ValueRange weights,
                  Operation *point) {
  for (Value weight : weights) {
    auto def = weight.getDefiningOp<WeightOp>();
    if (def && def->getBlock() == point->getBlock() &&
        point->isBeforeInBlock(def))
      rewriter.moveOpBefore(def, point);
  }
}

FusedLinearOp createFusedLinear(RewriterBase &rewriter, Operation *first,
                                Value input, ValueRange weights,
                                TypeRange resultTypes, RmsNormOp norm) {
  hoistWeights(rewriter, weights, first);
  if (norm)
    hoistWeights(rewriter, norm.getWeight(), first);
  rewriter.setInsertionPoint(first);
  if (!norm)
    return FusedLinearOp::create(rewriter, first->getLoc(), resultTypes, input,
                                 /*norm_weight=*/Value(), weights,
                                 /*norm_eps=*/FloatAttr(),
                                 rewriter.getBoolAttr(true));
  return FusedLinearOp::create(rewriter, norm.getLoc(), resultTypes, input,
                               norm.getWeight(), weights, norm.getEpsAttr(),
                               norm.getUnitOffsetAttr());
}

} // namespace mlir::gemma
