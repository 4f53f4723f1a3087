//===- FuseGateUp.cpp - gate/up projections + GELU-tanh gating ------------===//
//
// Gemma's MLP is gelu_tanh(x Wgᵀ) * (x Wuᵀ): one gemma.fused_linear computes
// both halves from one read of x, and gemma.gelu_tanh_mul gates them in one
// pass instead of materializing the GELU output.
//
//===----------------------------------------------------------------------===//
#include "dialects/gemma/Transforms/FusionUtils.h"
#include "dialects/gemma/Transforms/Passes.h"

#include "dialects/gemma/IR/GemmaDialect.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::gemma {
#define GEN_PASS_DEF_GEMMAFUSEGATEUP
#include "dialects/gemma/Transforms/Passes.h.inc"

namespace {

struct GateUpPattern : OpRewritePattern<MulOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(MulOp mul,
                                PatternRewriter &rewriter) const override {
    // mul is commutative: the GELU may be either operand.
    for (auto [gated, other] : {std::pair(mul.getLhs(), mul.getRhs()),
                                std::pair(mul.getRhs(), mul.getLhs())}) {
      auto gelu = gated.getDefiningOp<GeluTanhOp>();
      if (!gelu || !gelu->hasOneUse())
        continue;
      auto gate = gelu.getInput().getDefiningOp<LinearOp>();
      auto up = other.getDefiningOp<LinearOp>();
      if (!gate || !up || gate == up || gate.getInput() != up.getInput())
        continue;
      FusedLinearOp fused = createFusedLinear(
          rewriter, firstInBlock({gate, up}), gate.getInput(),
          {gate.getWeight(), up.getWeight()}, {gate.getType(), up.getType()});
      rewriter.replaceOp(gate, fused.getResult(0));
      rewriter.replaceOp(up, fused.getResult(1));
      rewriter.setInsertionPoint(mul);
      rewriter.replaceOpWithNewOp<GeluTanhMulOp>(
          mul, mul.getType(), fused.getResult(0), fused.getResult(1));
      rewriter.eraseOp(gelu);
      return success();
    }
    return rewriter.notifyMatchFailure(
        mul, "not gelu_tanh(linear(x)) * linear(x) with a single-use GELU");
  }
};

struct FuseGateUpPass : impl::GemmaFuseGateUpBase<FuseGateUpPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<GateUpPattern>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
} // namespace mlir::gemma
