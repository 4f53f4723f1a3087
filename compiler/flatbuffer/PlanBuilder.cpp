//===- PlanBuilder.cpp - @forward -> execution plan tables ----------------===//

#include "compiler/flatbuffer/PlanBuilder.h"

#include "dialects/gemma/IR/GemmaOps.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/TypeSwitch.h"

#include <limits>
#include <map>

using namespace mlir;
namespace fb = gemmac::schema;

namespace gemmac {
namespace {

/// Walks @forward once, numbering activations and weights as it goes.
class PlanTranslator {
public:
  PlanTranslator(flatbuffers::FlatBufferBuilder &builder) : builder(builder) {}

  FailureOr<PlanTables> translate(func::FuncOp forward);

private:
  LogicalResult translateOp(Operation *op);
  FailureOr<uint32_t> valueId(Operation *user, Value value);
  FailureOr<uint32_t> tensorIndex(Operation *user, Value weight);
  uint32_t defineValue(Value value);
  void addOp(Operation *op, fb::OpKind kind, flatbuffers::Offset<void> table,
             llvm::ArrayRef<uint32_t> inputs);
  FailureOr<int32_t> kvCacheIndex(gemma::AttentionOp op);

  flatbuffers::FlatBufferBuilder &builder;
  llvm::DenseMap<Value, uint32_t> valueIds;
  std::vector<flatbuffers::Offset<fb::Value>> values;
  std::vector<flatbuffers::Offset<fb::Op>> ops;
  llvm::StringMap<uint32_t> tensorIds;
  std::vector<PlannedTensor> tensors;
  struct CacheBinding {
    int32_t index; // in Plan.kv_caches
    fb::KvCacheKind kind;
    int32_t window, numKvHeads, headDim;
    int32_t slots; // 0: not specialized, the runtime decides
  };
  // The attention ops' kv_cache attribute -> the cache they bind.
  std::map<int64_t, CacheBinding> caches;
};

int32_t widthOf(Value value) {
  return static_cast<int32_t>(cast<RankedTensorType>(value.getType()).getDimSize(1));
}

uint32_t PlanTranslator::defineValue(Value value) {
  uint32_t id = values.size();
  values.push_back(fb::CreateValue(builder, widthOf(value)));
  valueIds[value] = id;
  return id;
}

FailureOr<uint32_t> PlanTranslator::valueId(Operation *user, Value value) {
  auto it = valueIds.find(value);
  if (it == valueIds.end())
    return user->emitOpError("operand is not an activation the plan computes");
  return it->second;
}

FailureOr<uint32_t> PlanTranslator::tensorIndex(Operation *user, Value weight) {
  auto weightOp = weight.getDefiningOp<gemma::WeightOp>();
  if (!weightOp)
    return user->emitOpError("weight operand must come from gemma.weight");
  auto [it, inserted] = tensorIds.try_emplace(weightOp.getName(), tensors.size());
  if (inserted)
    tensors.push_back({weightOp.getName().str(), cast<RankedTensorType>(weightOp.getType()),
                       weightOp.getStorage().value_or("").str()});
  return it->second;
}

void PlanTranslator::addOp(Operation *op, fb::OpKind kind,
                           flatbuffers::Offset<void> table,
                           llvm::ArrayRef<uint32_t> inputs) {
  std::vector<uint32_t> outputs;
  for (Value result : op->getResults())
    outputs.push_back(defineValue(result));
  ops.push_back(fb::CreateOp(builder, kind, table, builder.CreateVector(inputs.vec()),
                             builder.CreateVector(outputs)));
}

/// The cache kind: gemma-specialize-attention's choice when it ran (a short
/// context makes even windowed layers full), else ring for windowed layers.
fb::KvCacheKind cacheKind(gemma::AttentionOp op) {
  if (std::optional<StringRef> kind = op.getKvKind())
    return *kind == gemma::AttentionOp::kRingKind ? fb::KvCacheKind::SlidingWindow
                                                  : fb::KvCacheKind::Global;
  return op.getWindow() == 0 ? fb::KvCacheKind::Global : fb::KvCacheKind::SlidingWindow;
}

FailureOr<int32_t> PlanTranslator::kvCacheIndex(gemma::AttentionOp op) {
  IntegerAttr slots = op.getKvSlotsAttr();
  if (slots && slots.getInt() > std::numeric_limits<int32_t>::max())
    return op.emitOpError("kv_slots ") << slots.getInt() << " does not fit the model file";
  CacheBinding spec{static_cast<int32_t>(caches.size()), cacheKind(op),
                    static_cast<int32_t>(op.getWindow()),
                    static_cast<int32_t>(op.getNumKvHeads()),
                    static_cast<int32_t>(op.getHeadDim()),
                    slots ? static_cast<int32_t>(slots.getInt()) : 0};
  auto [it, inserted] = caches.try_emplace(op.getKvCache(), spec);
  const CacheBinding &bound = it->second;
  if (!inserted && (bound.kind != spec.kind || bound.window != spec.window ||
                    bound.numKvHeads != spec.numKvHeads || bound.headDim != spec.headDim ||
                    bound.slots != spec.slots))
    return op.emitOpError("kv_cache ") << op.getKvCache()
           << " is bound by attention ops of different shapes";
  return bound.index;
}

/// The plan stores op parameters (head_dim, num_heads, window, ...) and
/// activation widths as int32: an op whose integer attribute or result width
/// lies outside [0, 2^31) is an error, never silently truncated.
LogicalResult checkInt32Fields(Operation *op) {
  constexpr int64_t kMax = std::numeric_limits<int32_t>::max();
  for (NamedAttribute attr : op->getAttrs()) {
    auto value = dyn_cast<IntegerAttr>(attr.getValue());
    if (value && value.getType().isInteger(64) &&
        (value.getInt() < 0 || value.getInt() > kMax))
      return op->emitOpError() << attr.getName().getValue() << " " << value.getInt()
                               << " does not fit the model file's int32 field [0, " << kMax
                               << "]";
  }
  for (Value result : op->getResults()) {
    auto type = dyn_cast<RankedTensorType>(result.getType());
    if (type && type.getRank() == 2 && !type.isDynamicDim(1) &&
        type.getDimSize(1) > kMax)
      return op->emitOpError() << "result width " << type.getDimSize(1)
                               << " does not fit the model file's int32 field [0, " << kMax
                               << "]";
  }
  return success();
}

LogicalResult PlanTranslator::translateOp(Operation *op) {
  // gemma.weight's attributes (group counts) are not stored in the plan.
  if (!isa<gemma::WeightOp>(op) && failed(checkInt32Fields(op)))
    return failure();
  auto activation = [&](Value v) { return valueId(op, v); };
  auto weight = [&](Value v) { return tensorIndex(op, v); };
  return llvm::TypeSwitch<Operation *, LogicalResult>(op)
      .Case([&](gemma::WeightOp) { return success(); })
      .Case([&](gemma::EmbedOp embed) -> LogicalResult {
        auto table = weight(embed.getTable());
        if (failed(table)) return failure();
        auto params = fb::CreateEmbedOp(builder, *table, embed.getScale().convertToFloat());
        addOp(op, fb::OpKind::EmbedOp, params.Union(), {});
        return success();
      })
      .Case([&](gemma::RmsNormOp norm) -> LogicalResult {
        auto input = activation(norm.getInput());
        auto w = weight(norm.getWeight());
        if (failed(input) || failed(w)) return failure();
        auto params = fb::CreateRmsNormOp(builder, *w, norm.getEps().convertToFloat(),
                                          norm.getUnitOffset());
        addOp(op, fb::OpKind::RmsNormOp, params.Union(), {*input});
        return success();
      })
      .Case([&](gemma::LinearOp linear) -> LogicalResult {
        auto input = activation(linear.getInput());
        auto w = weight(linear.getWeight());
        if (failed(input) || failed(w)) return failure();
        addOp(op, fb::OpKind::LinearOp, fb::CreateLinearOp(builder, *w).Union(), {*input});
        return success();
      })
      .Case([&](gemma::RopeOp rope) -> LogicalResult {
        auto input = activation(rope.getInput());
        if (failed(input)) return failure();
        auto params = fb::CreateRopeOp(builder, static_cast<int32_t>(rope.getHeadDim()),
                                       static_cast<float>(rope.getTheta().convertToDouble()));
        addOp(op, fb::OpKind::RopeOp, params.Union(), {*input});
        return success();
      })
      .Case([&](gemma::AttentionOp attention) -> LogicalResult {
        auto q = activation(attention.getQ());
        auto k = activation(attention.getK());
        auto v = activation(attention.getV());
        auto cache = kvCacheIndex(attention);
        if (failed(q) || failed(k) || failed(v) || failed(cache)) return failure();
        float softcap = attention.getSoftcap() ? attention.getSoftcap()->convertToFloat() : 0.f;
        auto params = fb::CreateAttentionOp(
            builder, static_cast<int32_t>(attention.getNumHeads()),
            static_cast<int32_t>(attention.getNumKvHeads()),
            static_cast<int32_t>(attention.getHeadDim()),
            attention.getScale().convertToFloat(),
            static_cast<int32_t>(attention.getWindow()), *cache, softcap);
        addOp(op, fb::OpKind::AttentionOp, params.Union(), {*q, *k, *v});
        return success();
      })
      .Case([&](gemma::GeluTanhOp gelu) -> LogicalResult {
        auto input = activation(gelu.getInput());
        if (failed(input)) return failure();
        addOp(op, fb::OpKind::GeluTanhOp, fb::CreateGeluTanhOp(builder).Union(), {*input});
        return success();
      })
      .Case<gemma::MulOp, gemma::AddOp>([&](auto binary) -> LogicalResult {
        auto lhs = activation(binary.getLhs());
        auto rhs = activation(binary.getRhs());
        if (failed(lhs) || failed(rhs)) return failure();
        if constexpr (std::is_same_v<decltype(binary), gemma::MulOp>)
          addOp(op, fb::OpKind::MulOp, fb::CreateMulOp(builder).Union(), {*lhs, *rhs});
        else
          addOp(op, fb::OpKind::AddOp, fb::CreateAddOp(builder).Union(), {*lhs, *rhs});
        return success();
      })
      .Case([&](gemma::FusedLinearOp fused) -> LogicalResult {
        auto input = activation(fused.getInput());
        if (failed(input)) return failure();
        std::vector<uint32_t> weights;
        for (Value w : fused.getWeights()) {
          auto index = weight(w);
          if (failed(index)) return failure();
          weights.push_back(*index);
        }
        uint32_t norm = 0;
        float eps = 0.f;
        if (Value normWeight = fused.getNormWeight()) {
          auto index = weight(normWeight);
          if (failed(index)) return failure();
          norm = *index;
          eps = fused.getNormEps()->convertToFloat();
        }
        auto params = fb::CreateFusedLinearOp(builder, builder.CreateVector(weights),
                                              fused.getNormWeight() != nullptr, norm, eps,
                                              fused.getNormUnitOffset());
        addOp(op, fb::OpKind::FusedLinearOp, params.Union(), {*input});
        return success();
      })
      .Case([&](gemma::GeluTanhMulOp gated) -> LogicalResult {
        auto gate = activation(gated.getGate());
        auto up = activation(gated.getUp());
        if (failed(gate) || failed(up)) return failure();
        addOp(op, fb::OpKind::GeluTanhMulOp, fb::CreateGeluTanhMulOp(builder).Union(),
              {*gate, *up});
        return success();
      })
      .Case([&](gemma::AddRmsNormOp addNorm) -> LogicalResult {
        auto lhs = activation(addNorm.getLhs());
        auto rhs = activation(addNorm.getRhs());
        auto w = weight(addNorm.getWeight());
        if (failed(lhs) || failed(rhs) || failed(w)) return failure();
        auto params = fb::CreateAddRmsNormOp(builder, *w, addNorm.getEps().convertToFloat(),
                                             addNorm.getUnitOffset());
        addOp(op, fb::OpKind::AddRmsNormOp, params.Union(), {*lhs, *rhs});
        return success();
      })
      .Case([&](gemma::RmsNormRopeOp normRope) -> LogicalResult {
        auto input = activation(normRope.getInput());
        auto w = weight(normRope.getWeight());
        if (failed(input) || failed(w)) return failure();
        auto params = fb::CreateRmsNormRopeOp(
            builder, *w, normRope.getEps().convertToFloat(), normRope.getUnitOffset(),
            static_cast<int32_t>(normRope.getHeadDim()),
            static_cast<float>(normRope.getTheta().convertToDouble()));
        addOp(op, fb::OpKind::RmsNormRopeOp, params.Union(), {*input});
        return success();
      })
      .Case([&](gemma::LogitsOp logits) -> LogicalResult {
        auto input = activation(logits.getInput());
        auto table = weight(logits.getTable());
        if (failed(input) || failed(table)) return failure();
        float softcap = logits.getSoftcap() ? logits.getSoftcap()->convertToFloat() : 0.f;
        addOp(op, fb::OpKind::LogitsOp,
              fb::CreateLogitsOp(builder, *table, softcap).Union(), {*input});
        return success();
      })
      .Default([&](Operation *other) {
        return other->emitOpError("has no lowering to the runtime's execution plan");
      });
}

FailureOr<PlanTables> PlanTranslator::translate(func::FuncOp forward) {
  if (forward.getBody().getBlocks().size() != 1)
    return forward.emitOpError("must be a single straight-line block");
  Block &body = forward.getBody().front();
  for (Operation &op : body.without_terminator())
    if (failed(translateOp(&op)))
      return failure();

  auto ret = cast<func::ReturnOp>(body.getTerminator());
  if (ret.getNumOperands() != 1)
    return ret.emitOpError("@forward must return exactly the logits");
  auto output = valueId(ret, ret.getOperand(0));
  if (failed(output))
    return failure();

  std::vector<flatbuffers::Offset<fb::KvCache>> cacheTables(caches.size());
  for (auto &[attr, cache] : caches)
    cacheTables[cache.index] = fb::CreateKvCache(builder, cache.kind, cache.window,
                                                 cache.numKvHeads, cache.headDim, cache.slots);

  PlanTables result;
  result.plan = fb::CreatePlan(builder, builder.CreateVector(values),
                               builder.CreateVector(ops), *output,
                               builder.CreateVector(cacheTables));
  result.tensors = std::move(tensors);
  return result;
}

} // namespace

FailureOr<PlanTables> buildPlan(func::FuncOp forward,
                                flatbuffers::FlatBufferBuilder &builder) {
  return PlanTranslator(builder).translate(forward);
}

} // namespace gemmac
