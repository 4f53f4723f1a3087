//===- FuseAddNorm.cpp - residual add + rms_norm -> gemma.add_rms_norm ----===//
//
// The residual sum is read by the next norm right after it is written; one
// op computes both while the row is in cache and still yields the sum for
// the next residual connection.
//
//===----------------------------------------------------------------------===//
#include "dialects/gemma/Transforms/FusionUtils.h"
#include "dialects/gemma/Transforms/Passes.h"

#include "dialects/gemma/IR/GemmaDialect.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::gemma {
#define GEN_PASS_DEF_GEMMAFUSEADDNORM
#include "dialects/gemma/Transforms/Passes.h.inc"

namespace {

struct AddNormPattern : OpRewritePattern<AddOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(AddOp add,
                                PatternRewriter &rewriter) const override {
    SmallVector<RmsNormOp> norms;
    for (Operation *user : add->getUsers())
      if (auto norm = dyn_cast<RmsNormOp>(user);
          norm && !llvm::is_contained(norms, norm))
        norms.push_back(norm);
    // With two norms of the sum there is no single one to fuse.
    if (norms.size() != 1)
      return rewriter.notifyMatchFailure(add, "not exactly one rms_norm user");
    RmsNormOp norm = norms.front();
    // The fused op replaces the add, whose other users may precede the norm.
    hoistWeights(rewriter, norm.getWeight(), add);
    rewriter.setInsertionPoint(add);
    auto fused = AddRmsNormOp::create(
        rewriter, norm.getLoc(), add.getType(), add.getType(), add.getLhs(),
        add.getRhs(), norm.getWeight(), norm.getEpsAttr(),
        norm.getUnitOffsetAttr());
    rewriter.replaceOp(norm, fused.getNormed());
    rewriter.replaceOp(add, fused.getSum());
    return success();
  }
};

struct FuseAddNormPass : impl::GemmaFuseAddNormBase<FuseAddNormPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<AddNormPattern>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
} // namespace mlir::gemma
