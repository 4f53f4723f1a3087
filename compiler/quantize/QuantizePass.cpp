//===- QuantizePass.cpp - gemma-quantize ----------------------------------===//

#include "compiler/quantize/QuantizePass.h"

#include "compiler/importers/Safetensors.h"
#include "runtime/kernels/kernels.h"
#include "dialects/gemma/IR/GemmaDialect.h"
#include "dialects/gemma/IR/GemmaOps.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/StringSwitch.h"

using namespace mlir;

namespace gemmac {

#define GEN_PASS_DEF_GEMMAQUANTIZE
#include "compiler/quantize/Passes.h.inc"

namespace {

/// The embedding table is also the tied LM head: it is read whole every token.
bool isHead(gemma::WeightOp weight) {
  return llvm::any_of(weight->getUsers(),
                      [](Operation *user) { return isa<gemma::EmbedOp, gemma::LogitsOp>(user); });
}

std::optional<WeightFormat> formatOption(StringRef value, bool allowAuto) {
  return llvm::StringSwitch<std::optional<WeightFormat>>(value)
      .Case("int4", WeightFormat::Q4G32)
      .Case("int8", WeightFormat::Q8G32)
      .Case("bf16", WeightFormat::BF16)
      .Case("f32", allowAuto ? std::nullopt : std::optional(WeightFormat::F32))
      .Default(std::nullopt);
}

class GemmaQuantizePass : public impl::GemmaQuantizeBase<GemmaQuantizePass> {
public:
  using GemmaQuantizeBase::GemmaQuantizeBase;
  GemmaQuantizePass(const GemmaQuantizeOptions &options, QuantizedWeights *out)
      : GemmaQuantizeBase(options), out(out) {}

  void runOnOperation() override;

private:
  LogicalResult quantize(gemma::WeightOp weight, const SafetensorsTensor &tensor,
                         std::optional<WeightFormat> format, RoundingRule rule,
                         QuantizedWeights &store);

  QuantizedWeights *out = nullptr;
};

LogicalResult GemmaQuantizePass::quantize(gemma::WeightOp weight, const SafetensorsTensor &tensor,
                                          std::optional<WeightFormat> format, RoundingRule rule,
                                          QuantizedWeights &store) {
  auto type = cast<RankedTensorType>(weight.getType());
  if (llvm::ArrayRef<int64_t>(tensor.shape) != type.getShape())
    return weight.emitOpError("has another shape in the checkpoint than in the IR");
  const int64_t rows = type.getDimSize(0), cols = type.getDimSize(1);
  const bool wantsQuantized = !format || *format == WeightFormat::Q4G32 ||
                              *format == WeightFormat::Q8G32;
  if (wantsQuantized && cols % GEMMAC_QUANT_GROUP != 0)
    return weight.emitOpError() << "cannot be stored in groups of " << GEMMAC_QUANT_GROUP
                                << ": its " << cols << " inputs are not a multiple of it";
  Builder b(weight.getContext());
  if (!wantsQuantized) {
    weight.setStorageAttr(b.getStringAttr(weightFormatName(*format)));
    return success();
  }
  std::vector<float> values(tensor.bytes.size() / elementSize(tensor.type));
  const size_t element = elementSize(tensor.type);
  for (size_t i = 0; i < values.size(); ++i)
    values[i] = SafetensorsFile::toFloat(tensor.type, tensor.bytes.data() + i * element);
  // auto (the head): int4 only when nothing is lost, int8 otherwise.
  if (!format)
    format = rule == RoundingRule::GridAware && isOnInt4Grid(values, rows, cols)
                 ? WeightFormat::Q4G32
                 : WeightFormat::Q8G32;
  QuantizedWeight quantized = quantizeWeight(values, rows, cols, *format, rule);
  weight.setStorageAttr(b.getStringAttr(weightFormatName(*format)));
  weight.setGroupsAttr(b.getI64IntegerAttr(quantized.groups));
  weight.setExactGroupsAttr(b.getI64IntegerAttr(quantized.exactGroups));
  store[weight.getName()] = std::move(quantized);
  return success();
}

void GemmaQuantizePass::runOnOperation() {
  ModuleOp module = getOperation();
  std::optional<WeightFormat> body = formatOption(weights, /*allowAuto=*/false);
  std::optional<WeightFormat> headFormat = formatOption(head, /*allowAuto=*/true);
  std::optional<RoundingRule> rule = llvm::StringSwitch<std::optional<RoundingRule>>(quant)
                                         .Case("qat", RoundingRule::GridAware)
                                         .Case("naive", RoundingRule::Naive)
                                         .Default(std::nullopt);
  if (!body || (!headFormat && head != "auto") || !rule ||
      (headFormat && *headFormat == WeightFormat::F32)) {
    module.emitError() << "gemma-quantize: bad options weights=" << weights << " head=" << head
                       << " quant=" << quant
                       << " (weights: int4|int8|bf16|f32, head: auto|int4|int8|bf16, "
                          "quant: qat|naive)";
    return signalPassFailure();
  }
  auto path = module->getAttrOfType<StringAttr>(gemma::GemmaDialect::kWeightsAttrName);
  if (!path) {
    module.emitError() << "gemma-quantize needs the module's "
                       << gemma::GemmaDialect::kWeightsAttrName << " (the safetensors file)";
    return signalPassFailure();
  }
  auto file = SafetensorsFile::open(path.getValue());
  if (!file) {
    module.emitError() << "gemma-quantize: " << llvm::toString(file.takeError());
    return signalPassFailure();
  }
  // Every op naming the same tensor gets the same storage.
  llvm::MapVector<StringRef, SmallVector<gemma::WeightOp>> byName;
  module.walk([&](gemma::WeightOp weight) {
    if (cast<RankedTensorType>(weight.getType()).getRank() == 2)
      byName[weight.getName()].push_back(weight);
  });
  QuantizedWeights local;
  QuantizedWeights &store = out ? *out : local;
  for (auto &[name, ops] : byName) {
    const SafetensorsTensor *tensor = (*file)->find(name);
    if (!tensor) {
      ops.front().emitOpError() << "names a tensor that is not in " << path.getValue();
      return signalPassFailure();
    }
    bool head = llvm::any_of(ops, isHead);
    if (failed(quantize(ops.front(), *tensor, head ? headFormat : body, *rule, store)))
      return signalPassFailure();
    for (gemma::WeightOp other : llvm::drop_begin(ops)) {
      other.setStorageAttr(ops.front().getStorageAttr());
      other.setGroupsAttr(ops.front().getGroupsAttr());
      other.setExactGroupsAttr(ops.front().getExactGroupsAttr());
    }
  }
}

} // namespace

std::unique_ptr<Pass> createGemmaQuantize(const GemmaQuantizeOptions &options,
                                          QuantizedWeights *out) {
  return std::make_unique<GemmaQuantizePass>(options, out);
}

} // namespace gemmac
