//===- FuseQkv.cpp - q, k, v projections -> one gemma.fused_linear --------===//
//
// The three projections of an attention layer read the same normalized
// input; one op reads it once and gives the runtime (and codegen) one place
// to run them as a single matmul over the concatenated weights.
//
//===----------------------------------------------------------------------===//
#include "dialects/gemma/Transforms/FusionUtils.h"
#include "dialects/gemma/Transforms/Passes.h"

#include "dialects/gemma/IR/GemmaDialect.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::gemma {
#define GEN_PASS_DEF_GEMMAFUSEQKV
#include "dialects/gemma/Transforms/Passes.h.inc"

namespace {

/// The gemma.linear that projects an attention operand, looking through the
/// per-head norm and RoPE in between (which keep the width: q stays
/// num_heads x head_dim, k and v num_kv_heads x head_dim).
LinearOp projectionOf(Value operand) {
  while (Operation *def = operand.getDefiningOp()) {
    if (auto linear = dyn_cast<LinearOp>(def))
      return linear;
    if (!isa<RmsNormOp, RopeOp, RmsNormRopeOp>(def))
      return {};
    operand = def->getOperand(0);
  }
  return {};
}

struct QkvPattern : OpRewritePattern<AttentionOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(AttentionOp attention,
                                PatternRewriter &rewriter) const override {
    LinearOp q = projectionOf(attention.getQ());
    LinearOp k = projectionOf(attention.getK());
    LinearOp v = projectionOf(attention.getV());
    if (!q || !k || !v)
      return rewriter.notifyMatchFailure(attention,
                                         "q, k or v is not a projection");
    if (q == k || k == v || q == v)
      return rewriter.notifyMatchFailure(attention,
                                         "q, k and v share a projection");
    if (q.getInput() != k.getInput() || q.getInput() != v.getInput())
      return rewriter.notifyMatchFailure(attention,
                                         "projections of different inputs");
    SmallVector<LinearOp> projections{q, k, v};
    SmallVector<Operation *> ops;
    SmallVector<Value> weights;
    SmallVector<Type> types;
    for (LinearOp linear : projections) {
      ops.push_back(linear);
      weights.push_back(linear.getWeight());
      types.push_back(linear.getType());
    }
    FusedLinearOp fused = createFusedLinear(rewriter, firstInBlock(ops),
                                            q.getInput(), weights, types);
    for (auto [linear, result] : llvm::zip(projections, fused.getResults()))
      rewriter.replaceOp(linear, result);
    return success();
  }
};

struct FuseQkvPass : impl::GemmaFuseQkvBase<FuseQkvPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<QkvPattern>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
} // namespace mlir::gemma
