//===- HfImporter.cpp - Hugging Face Gemma 3 checkpoint -> gemma IR ------===//
//
// The op sequence mirrors transformers' Gemma3DecoderLayer line by line, so a
// reader can check one against the other; fusion happens later, in passes.
//
//===----------------------------------------------------------------------===//
#include "compiler/importers/HfImporter.h"

#include "compiler/importers/TensorTable.h"
#include "dialects/gemma/IR/GemmaOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringSet.h"

#include <cmath>
#include <string>
#include <utility>

using namespace mlir;

namespace gemmac {
namespace {

std::string shapeString(llvm::ArrayRef<int64_t> shape) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << '[';
  llvm::interleaveComma(shape, os);
  os << ']';
  return text;
}

Type elementTypeOf(MLIRContext &ctx, ElementType type) {
  switch (type) {
  case ElementType::F32:
    return Float32Type::get(&ctx);
  case ElementType::F16:
    return Float16Type::get(&ctx);
  case ElementType::BF16:
    return BFloat16Type::get(&ctx);
  }
  llvm_unreachable("unknown safetensors element type");
}

/// The model facts later stages and the runtime read from the module instead
/// of re-parsing config.json.
DictionaryAttr configAttr(Builder &b, const ModelConfig &config) {
  auto i64 = [&](int64_t value) { return b.getI64IntegerAttr(value); };
  NamedAttrList facts;
  facts.append("model_type", b.getStringAttr(config.modelType));
  facts.append("vocab_size", i64(config.vocabSize));
  facts.append("hidden_size", i64(config.hiddenSize));
  facts.append("intermediate_size", i64(config.intermediateSize));
  facts.append("num_layers", i64(config.numLayers));
  facts.append("num_heads", i64(config.numHeads));
  facts.append("num_kv_heads", i64(config.numKvHeads));
  facts.append("head_dim", i64(config.headDim));
  facts.append("max_context", i64(config.maxPositions));
  facts.append("sliding_window", i64(config.slidingWindow));
  facts.append("bos_id", i64(config.bosId));
  facts.append("pad_id", i64(config.padId));
  facts.append("stop_ids", b.getI64ArrayAttr(config.eosIds));
  return facts.getDictionary(b.getContext());
}

/// Emits the body of @forward. Weights are materialized next to their first
/// use so that the printed IR reads layer by layer.
class ForwardBuilder {
public:
  ForwardBuilder(OpBuilder &b, const ModelConfig &config,
                 const SafetensorsFile &weights)
      : b(b), config(config), weights(weights) {
    for (const TensorSpec &spec : checkpointTensors(config))
      specs[{spec.layer, spec.role}] = spec.name;
  }

  Value build(Value ids, Value positions);

private:
  RankedTensorType activation(int64_t width) {
    return RankedTensorType::get({ShapedType::kDynamic, width}, b.getF32Type());
  }

  /// The named checkpoint tensor of (layer, role); its presence and shape were
  /// checked against the same table before building.
  Value weight(Location loc, int64_t layer, TensorRole role) {
    const SafetensorsTensor *tensor = weights.find(specs.lookup({layer, role}));
    assert(tensor && "tensors are checked before building");
    auto type = RankedTensorType::get(
        tensor->shape, elementTypeOf(*b.getContext(), tensor->type));
    return gemma::WeightOp::create(b, loc, type, tensor->name, /*storage=*/nullptr,
                                   /*groups=*/nullptr, /*exact_groups=*/nullptr);
  }

  Value rmsNorm(Location loc, Value x, int64_t layer, TensorRole role) {
    return gemma::RmsNormOp::create(
        b, loc, x.getType(), x, weight(loc, layer, role),
        b.getF32FloatAttr(config.rmsNormEps), b.getBoolAttr(true));
  }

  Value linear(Location loc, Value x, int64_t layer, TensorRole role,
               int64_t outFeatures) {
    return gemma::LinearOp::create(b, loc, activation(outFeatures), x,
                                   weight(loc, layer, role));
  }

  Value decoderLayer(int64_t layer, Value x, Value positions);

  OpBuilder &b;
  const ModelConfig &config;
  const SafetensorsFile &weights;
  llvm::DenseMap<std::pair<int64_t, TensorRole>, std::string> specs;
};

Value ForwardBuilder::decoderLayer(int64_t layer, Value x, Value positions) {
  std::string prefix = "model.layers." + std::to_string(layer);
  Location attnLoc = NameLoc::get(b.getStringAttr(prefix + ".self_attn"));
  Location mlpLoc = NameLoc::get(b.getStringAttr(prefix + ".mlp"));
  bool sliding = config.layerTypes[layer] == LayerKind::SlidingAttention;
  int64_t qWidth = config.numHeads * config.headDim;
  int64_t kvWidth = config.numKvHeads * config.headDim;

  // Self-attention block (sandwich norms: before and after).
  Value residual = x;
  Value h = rmsNorm(attnLoc, x, layer, TensorRole::InputNorm);
  Value q = linear(attnLoc, h, layer, TensorRole::QProj, qWidth);
  Value k = linear(attnLoc, h, layer, TensorRole::KProj, kvWidth);
  Value v = linear(attnLoc, h, layer, TensorRole::VProj, kvWidth);
  q = rmsNorm(attnLoc, q, layer, TensorRole::QNorm);
  k = rmsNorm(attnLoc, k, layer, TensorRole::KNorm);
  // Sliding-window layers use the local RoPE base (rope_local_base_freq).
  FloatAttr theta =
      b.getF64FloatAttr(sliding ? config.ropeLocalTheta : config.ropeTheta);
  IntegerAttr headDim = b.getI64IntegerAttr(config.headDim);
  q = gemma::RopeOp::create(b, attnLoc, q.getType(), q, positions, headDim,
                            theta);
  k = gemma::RopeOp::create(b, attnLoc, k.getType(), k, positions, headDim,
                            theta);
  FloatAttr softcap;
  if (config.attnLogitSoftcap)
    softcap = b.getF32FloatAttr(*config.attnLogitSoftcap);
  Value a = gemma::AttentionOp::create(
      b, attnLoc, activation(qWidth), q, k, v, positions,
      b.getI64IntegerAttr(config.numHeads),
      b.getI64IntegerAttr(config.numKvHeads), headDim,
      b.getF32FloatAttr(std::pow(config.queryPreAttnScalar, -0.5)),
      b.getI64IntegerAttr(sliding ? config.slidingWindow : 0),
      b.getI64IntegerAttr(layer), softcap,
      // The KV storage is gemma-specialize-attention's decision.
      /*kv_kind=*/StringAttr(), /*kv_slots=*/IntegerAttr());
  a = linear(attnLoc, a, layer, TensorRole::OProj, config.hiddenSize);
  a = rmsNorm(attnLoc, a, layer, TensorRole::PostAttentionNorm);
  x = gemma::AddOp::create(b, attnLoc, residual, a);

  // Gated MLP: down(gelu_tanh(gate(h)) * up(h)), also sandwiched.
  residual = x;
  h = rmsNorm(mlpLoc, x, layer, TensorRole::PreFeedforwardNorm);
  Value gate =
      linear(mlpLoc, h, layer, TensorRole::GateProj, config.intermediateSize);
  gate = gemma::GeluTanhOp::create(b, mlpLoc, gate);
  Value up =
      linear(mlpLoc, h, layer, TensorRole::UpProj, config.intermediateSize);
  Value m = gemma::MulOp::create(b, mlpLoc, gate, up);
  m = linear(mlpLoc, m, layer, TensorRole::DownProj, config.hiddenSize);
  m = rmsNorm(mlpLoc, m, layer, TensorRole::PostFeedforwardNorm);
  return gemma::AddOp::create(b, mlpLoc, residual, m);
}

Value ForwardBuilder::build(Value ids, Value positions) {
  Location loc = NameLoc::get(b.getStringAttr("model"));
  Value table = weight(loc, -1, TensorRole::Embedding);
  Value x = gemma::EmbedOp::create(
      b, loc, activation(config.hiddenSize), ids, table,
      b.getF32FloatAttr(std::sqrt(static_cast<double>(config.hiddenSize))));
  for (int64_t layer = 0; layer < config.numLayers; ++layer)
    x = decoderLayer(layer, x, positions);
  x = rmsNorm(loc, x, -1, TensorRole::FinalNorm);
  FloatAttr softcap;
  if (config.finalLogitSoftcap)
    softcap = b.getF32FloatAttr(*config.finalLogitSoftcap);
  // Tied embeddings: the LM head is the embedding table.
  return gemma::LogitsOp::create(b, loc, activation(config.vocabSize), x, table,
                                 softcap);
}

} // namespace

LogicalResult checkCheckpointTensors(MLIRContext &ctx,
                                     const ModelConfig &config,
                                     const SafetensorsFile &weights) {
  Location loc = UnknownLoc::get(&ctx);
  bool ok = true;
  llvm::StringSet<> expected;
  for (const TensorSpec &spec : checkpointTensors(config)) {
    expected.insert(spec.name);
    const SafetensorsTensor *tensor = weights.find(spec.name);
    if (!tensor) {
      emitError(loc) << weights.path() << ": missing tensor '" << spec.name
                     << "' (expected shape " << shapeString(spec.shape) << ")";
      ok = false;
    } else if (tensor->shape != spec.shape) {
      emitError(loc) << weights.path() << ": tensor '" << spec.name
                     << "' has shape " << shapeString(tensor->shape)
                     << ", expected " << shapeString(spec.shape)
                     << " from the config";
      ok = false;
    }
  }
  for (const SafetensorsTensor &tensor : weights.tensors()) {
    if (expected.contains(tensor.name))
      continue;
    emitError(loc) << weights.path() << ": unexpected tensor '" << tensor.name
                   << "' (not part of a Gemma 3 text checkpoint with this "
                      "config)";
    ok = false;
  }
  return success(ok);
}

FailureOr<OwningOpRef<ModuleOp>>
importCheckpoint(MLIRContext &ctx, const ModelConfig &config,
                 const SafetensorsFile &weights) {
  Location unknown = UnknownLoc::get(&ctx);
  // The tensor table has no lm_head: gemma.logits reads the embedding table.
  if (!config.tieWordEmbeddings)
    return emitError(unknown)
           << "untied word embeddings (a separate lm_head) are not supported";
  if (static_cast<int64_t>(config.layerTypes.size()) != config.numLayers)
    return emitError(unknown)
           << "config has " << config.layerTypes.size() << " layer types for "
           << config.numLayers << " layers";
  if (failed(checkCheckpointTensors(ctx, config, weights)))
    return failure();

  ctx.loadDialect<gemma::GemmaDialect, func::FuncDialect>();
  OpBuilder b(&ctx);
  Location loc = FileLineColLoc::get(&ctx, weights.path(), 0, 0);
  OwningOpRef<ModuleOp> module = ModuleOp::create(loc);
  module->getOperation()->setAttr(gemma::GemmaDialect::kConfigAttrName,
                                  configAttr(b, config));
  module->getOperation()->setAttr(gemma::GemmaDialect::kWeightsAttrName,
                                  b.getStringAttr(weights.path()));

  auto tokens = RankedTensorType::get({ShapedType::kDynamic}, b.getI32Type());
  auto logits = RankedTensorType::get({ShapedType::kDynamic, config.vocabSize},
                                      b.getF32Type());
  b.setInsertionPointToEnd(module->getBody());
  auto forward = func::FuncOp::create(
      b, loc, "forward", b.getFunctionType({tokens, tokens}, {logits}));
  Block *entry = forward.addEntryBlock();
  b.setInsertionPointToEnd(entry);
  ForwardBuilder body(b, config, weights);
  Value result = body.build(entry->getArgument(0), entry->getArgument(1));
  func::ReturnOp::create(b, loc, result);

  // The verifier reports what is wrong; a failure here is an importer bug.
  if (failed(verify(*module)))
    return emitError(unknown)
           << "internal error: the imported module does not verify";
  return module;
}

} // namespace gemmac
