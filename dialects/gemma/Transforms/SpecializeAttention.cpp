//===- SpecializeAttention.cpp - ring or full KV cache per attention op ---===//
//
// The KV cache is the runtime's largest allocation after the weights. Deciding
// its storage per layer in the compiler makes the decision visible in the IR
// and in the model file instead of buried in the runtime: Gemma 3 270M has 15
// sliding-window layers of 512 and 3 global ones, so a 32K context needs
// 15 x 639 + 3 x 32768 rows instead of 18 x 32768.
//
//===----------------------------------------------------------------------===//
#include "dialects/gemma/Transforms/Passes.h"

#include "dialects/gemma/IR/GemmaDialect.h"
#include "dialects/gemma/IR/GemmaOps.h"

#include "mlir/IR/Builders.h"

namespace mlir::gemma {
#define GEN_PASS_DEF_GEMMASPECIALIZEATTENTION
#include "dialects/gemma/Transforms/Passes.h.inc"

namespace {

struct SpecializeAttentionPass
    : impl::GemmaSpecializeAttentionBase<SpecializeAttentionPass> {
  using GemmaSpecializeAttentionBase::GemmaSpecializeAttentionBase;

  void runOnOperation() override;

private:
  FailureOr<int64_t> resolveContext(ModuleOp module);
};

/// The context the full caches hold: the config's, or the smaller
/// `max-context`, which then becomes the compiled model's context so that the
/// runtime never opens a session the caches cannot hold.
FailureOr<int64_t> SpecializeAttentionPass::resolveContext(ModuleOp module) {
  auto config =
      module->getAttrOfType<DictionaryAttr>(GemmaDialect::kConfigAttrName);
  auto configContext =
      config ? config.getAs<IntegerAttr>("max_context") : IntegerAttr();
  if (!configContext)
    return module.emitError() << "gemma-specialize-attention needs '"
                              << GemmaDialect::kConfigAttrName
                              << "' with an integer max_context";
  int64_t context = configContext.getInt();
  if (prefillChunk <= 0 || maxContext < 0)
    return module.emitError()
           << "gemma-specialize-attention: prefill-chunk must be positive and "
              "max-context non-negative, got "
           << prefillChunk << " and " << maxContext;
  if (maxContext == 0 || maxContext >= context)
    return context;
  NamedAttrList entries(config);
  entries.set("max_context",
              IntegerAttr::get(configContext.getType(), maxContext));
  module->setAttr(GemmaDialect::kConfigAttrName,
                  entries.getDictionary(module.getContext()));
  return static_cast<int64_t>(maxContext);
}

void SpecializeAttentionPass::runOnOperation() {
  ModuleOp module = getOperation();
  FailureOr<int64_t> context = resolveContext(module);
  if (failed(context))
    return signalPassFailure();
  Builder builder(module.getContext());
  module.walk([&](AttentionOp op) {
    int64_t window = op.getWindowAttr().getInt();
    // A chunk of C tokens is written before its first query reads, and that
    // query needs the W - 1 keys before it: W + C - 1 rows.
    int64_t ringSlots = window + prefillChunk - 1;
    bool ring = window > 0 && ringSlots < *context;
    op.setKvKind(ring ? AttentionOp::kRingKind : AttentionOp::kFullKind);
    op.setKvSlotsAttr(builder.getI64IntegerAttr(ring ? ringSlots : *context));
  });
}

} // namespace
} // namespace mlir::gemma
