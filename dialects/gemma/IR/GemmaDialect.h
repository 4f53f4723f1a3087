//===- GemmaDialect.h - gemma dialect declaration -----------------*- C++
//-*-===//
#ifndef GEMMAC_DIALECTS_GEMMA_IR_GEMMADIALECT_H
#define GEMMAC_DIALECTS_GEMMA_IR_GEMMADIALECT_H

#include "mlir/IR/Dialect.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "dialects/gemma/IR/GemmaOpsDialect.h.inc"

namespace mlir::gemma {

/// The KV caches gemma.attention reads and appends to. A distinct resource
/// keeps attention ordered with respect to other cache users without making
/// it conflict with unrelated memory effects.
struct KvCacheResource : SideEffects::Resource::Base<KvCacheResource> {
  llvm::StringRef getName() final { return "gemma.kv_cache"; }
};

} // namespace mlir::gemma

#endif // GEMMAC_DIALECTS_GEMMA_IR_GEMMADIALECT_H
