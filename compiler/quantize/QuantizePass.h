//===- QuantizePass.h - gemma-quantize ----------------------------*- C++ -*-===//
#ifndef GEMMAC_COMPILER_QUANTIZE_QUANTIZEPASS_H
#define GEMMAC_COMPILER_QUANTIZE_QUANTIZEPASS_H

#include "compiler/quantize/GroupQuantizer.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"
#include "llvm/ADT/StringMap.h"

#include <memory>

namespace gemmac {

/// The quantized bytes of each weight, by tensor name: filled by
/// gemma-quantize, read by the model writer.
using QuantizedWeights = llvm::StringMap<QuantizedWeight>;

#define GEN_PASS_DECL
#include "compiler/quantize/Passes.h.inc"

/// gemma-quantize keeping the quantized bytes in `out` (which must outlive
/// the pass); the registered pass (gemmac-opt) keeps them only while it runs.
std::unique_ptr<mlir::Pass> createGemmaQuantize(const GemmaQuantizeOptions &options,
                                                QuantizedWeights *out);

#define GEN_PASS_REGISTRATION
#include "compiler/quantize/Passes.h.inc"

} // namespace gemmac

#endif // GEMMAC_COMPILER_QUANTIZE_QUANTIZEPASS_H
