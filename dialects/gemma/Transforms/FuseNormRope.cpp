//===- FuseNormRope.cpp - q/k rms_norm + rope -> gemma.rms_norm_rope -------===//
//
// Gemma 3 normalizes each query and key head and then rotates it; fused, a
// head is read once and both steps run while it is in cache.
//
//===----------------------------------------------------------------------===//
#include "dialects/gemma/Transforms/Passes.h"

#include "dialects/gemma/IR/GemmaDialect.h"
#include "dialects/gemma/IR/GemmaOps.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::gemma {
#define GEN_PASS_DEF_GEMMAFUSENORMROPE
#include "dialects/gemma/Transforms/Passes.h.inc"

namespace {

struct NormRopePattern : OpRewritePattern<RopeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(RopeOp rope,
                                PatternRewriter &rewriter) const override {
    auto norm = rope.getInput().getDefiningOp<RmsNormOp>();
    if (!norm)
      return rewriter.notifyMatchFailure(rope, "input is not an rms_norm");
    if (!norm->hasOneUse())
      return rewriter.notifyMatchFailure(rope, "the normalized value has "
                                               "other users");
    int64_t group =
        cast<RankedTensorType>(norm.getWeight().getType()).getDimSize(0);
    if (group != static_cast<int64_t>(rope.getHeadDim()))
      return rewriter.notifyMatchFailure(rope, "norm groups are not the heads");
    rewriter.replaceOpWithNewOp<RmsNormRopeOp>(
        rope, rope.getType(), norm.getInput(), norm.getWeight(),
        rope.getPositions(), norm.getEpsAttr(), norm.getUnitOffsetAttr(),
        rope.getHeadDimAttr(), rope.getThetaAttr());
    rewriter.eraseOp(norm);
    return success();
  }
};

struct FuseNormRopePass : impl::GemmaFuseNormRopeBase<FuseNormRopePass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<NormRopePattern>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
} // namespace mlir::gemma
