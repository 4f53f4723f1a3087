//===- FuseNormLinear.cpp - rms_norm -> the norm of a gemma.fused_linear --===//
//
// Every layer norm of Gemma 3 except the post-norms and the final one feeds
// only projections; folded into them the normalized activation is never
// stored, and the projections of one norm become one op.
//
//===----------------------------------------------------------------------===//
#include "dialects/gemma/Transforms/FusionUtils.h"
#include "dialects/gemma/Transforms/Passes.h"

#include "dialects/gemma/IR/GemmaDialect.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::gemma {
#define GEN_PASS_DEF_GEMMAFUSENORMLINEAR
#include "dialects/gemma/Transforms/Passes.h.inc"

namespace {

struct NormLinearPattern : OpRewritePattern<RmsNormOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(RmsNormOp norm,
                                PatternRewriter &rewriter) const override {
    SmallVector<Operation *> users(norm->getUsers());
    if (users.empty())
      return rewriter.notifyMatchFailure(norm, "no users");
    // Block order keeps the fused results in program order.
    llvm::sort(users, [](Operation *a, Operation *b) {
      return a->isBeforeInBlock(b);
    });
    users.erase(llvm::unique(users), users.end());
    SmallVector<Value> weights;
    SmallVector<Type> types;
    for (Operation *user : users) {
      if (auto linear = dyn_cast<LinearOp>(user);
          linear && linear.getInput() == norm.getResult()) {
        weights.push_back(linear.getWeight());
        types.push_back(linear.getType());
        continue;
      }
      auto fused = dyn_cast<FusedLinearOp>(user);
      if (!fused || fused.getNormWeight() ||
          fused.getInput() != norm.getResult())
        return rewriter.notifyMatchFailure(
            norm, "the normalized value has a user other than a projection");
      llvm::append_range(weights, fused.getWeights());
      llvm::append_range(types, fused.getResultTypes());
    }
    FusedLinearOp fused = createFusedLinear(rewriter, norm, norm.getInput(),
                                            weights, types, norm);
    ValueRange results = fused.getResults();
    for (Operation *user : users) {
      // replaceOp erases the user: its result count is read before.
      unsigned count = user->getNumResults();
      rewriter.replaceOp(user, results.take_front(count));
      results = results.drop_front(count);
    }
    rewriter.eraseOp(norm);
    return success();
  }
};

struct FuseNormLinearPass
    : impl::GemmaFuseNormLinearBase<FuseNormLinearPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<NormLinearPattern>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
} // namespace mlir::gemma
