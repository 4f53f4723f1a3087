//===- GemmaOps.cpp - gemma dialect operation verifiers -----------------===//
//
// ODS checks operand kinds (f32 activations, i32 ids, float weights); the
// verifiers here check the shape relations between them and name the numbers,
// because a mismatch usually means a wrong config value or tensor.
//
//===----------------------------------------------------------------------===//
#include "dialects/gemma/IR/GemmaOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace mlir::gemma;

namespace {

int64_t tokenDim(Value value) {
  return cast<RankedTensorType>(value.getType()).getDimSize(0);
}

/// The static feature width (dim 1) of an activation. Widths must be static:
/// every kernel and fusion decision depends on them.
FailureOr<int64_t> activationWidth(Operation *op, Value value, StringRef what) {
  auto type = cast<RankedTensorType>(value.getType());
  if (type.isDynamicDim(1))
    return op->emitOpError() << "expects " << what
                             << " to have a static feature width, got " << type;
  return type.getDimSize(1);
}

/// Operands produced by gemma.weight are static by construction; fused or
/// repacked weights must stay static too, with the rank the op reads.
FailureOr<RankedTensorType> weightType(Operation *op, Value value,
                                       StringRef what, int64_t rank) {
  auto type = cast<RankedTensorType>(value.getType());
  if (type.getRank() != rank || !type.hasStaticShape())
    return op->emitOpError() << "expects " << what << " to be a static rank-"
                             << rank << " tensor, got " << type;
  return type;
}

/// The token dimension is dynamic in general; when several are static they
/// must agree (one row per token everywhere).
LogicalResult verifySameTokenCount(Operation *op, ArrayRef<Value> values) {
  int64_t expected = ShapedType::kDynamic;
  for (Value value : values) {
    int64_t tokens = tokenDim(value);
    if (ShapedType::isDynamic(tokens))
      continue;
    if (ShapedType::isDynamic(expected)) {
      expected = tokens;
      continue;
    }
    if (tokens != expected)
      return op->emitOpError()
             << "expects the same token count in all operands and results, got "
             << expected << " and " << tokens;
  }
  return success();
}

LogicalResult verifyPositive(Operation *op, StringRef name, double value) {
  if (!(value > 0))
    return op->emitOpError() << "expects " << name << " > 0, got " << value;
  return success();
}

} // namespace

LogicalResult WeightOp::verify() {
  if (getName().empty())
    return emitOpError("expects a non-empty tensor name");
  auto type = cast<RankedTensorType>(getResult().getType());
  if (!type.hasStaticShape())
    return emitOpError() << "expects a statically shaped tensor, got " << type;
  if (type.getRank() != 1 && type.getRank() != 2)
    return emitOpError() << "expects a rank-1 or rank-2 tensor, got " << type;
  if (!type.getElementType().isBF16() && !type.getElementType().isF16() &&
      !type.getElementType().isF32())
    return emitOpError() << "expects a bf16, f16 or f32 element type, got "
                         << type.getElementType();
  std::optional<StringRef> storage = getStorage();
  if (!storage)
    return success();
  bool quantized = *storage == "q4g32" || *storage == "q8g32";
  if (!quantized && *storage != "f32" && *storage != "bf16")
    return emitOpError() << "has an unknown storage '" << *storage
                         << "' (expected f32, bf16, q8g32 or q4g32)";
  if (!quantized)
    return success();
  if (type.getRank() != 2 || type.getDimSize(1) % 32 != 0)
    return emitOpError() << "storage '" << *storage
                         << "' needs a rank-2 tensor whose inputs are a multiple of 32, got "
                         << type;
  std::optional<uint64_t> groups = getGroups(), exact = getExactGroups();
  if (!groups || !exact || *groups != static_cast<uint64_t>(type.getNumElements() / 32) ||
      *exact > *groups)
    return emitOpError() << "storage '" << *storage
                         << "' needs groups = elements / 32 and exact_groups <= groups";
  return success();
}

LogicalResult EmbedOp::verify() {
  FailureOr<RankedTensorType> table =
      weightType(*this, getTable(), "the table", 2);
  FailureOr<int64_t> width = activationWidth(*this, getResult(), "the result");
  if (failed(table) || failed(width))
    return failure();
  if (*width != table->getDimSize(1))
    return emitOpError() << "expects the result width " << *width
                         << " to equal the table's embedding width "
                         << table->getDimSize(1);
  return verifySameTokenCount(*this, {getIds(), getResult()});
}

LogicalResult LogitsOp::verify() {
  FailureOr<RankedTensorType> table =
      weightType(*this, getTable(), "the table", 2);
  FailureOr<int64_t> width = activationWidth(*this, getInput(), "the input");
  FailureOr<int64_t> vocab = activationWidth(*this, getResult(), "the result");
  if (failed(table) || failed(width) || failed(vocab))
    return failure();
  if (*width != table->getDimSize(1))
    return emitOpError() << "expects the input width " << *width
                         << " to equal the table's embedding width "
                         << table->getDimSize(1);
  if (*vocab != table->getDimSize(0))
    return emitOpError() << "expects the result width " << *vocab
                         << " to equal the table's vocabulary size "
                         << table->getDimSize(0);
  if (std::optional<APFloat> softcap = getSoftcap())
    if (failed(verifyPositive(*this, "softcap", softcap->convertToDouble())))
      return failure();
  return verifySameTokenCount(*this, {getInput(), getResult()});
}

namespace {

/// rms_norm's checks, shared by the ops that fuse a norm: the weight is one
/// group of features and divides the width.
LogicalResult verifyNorm(Operation *op, Value input, Value normWeight,
                         double eps, StringRef what = "the weight") {
  FailureOr<RankedTensorType> weight = weightType(op, normWeight, what, 1);
  FailureOr<int64_t> width = activationWidth(op, input, "the input");
  if (failed(weight) || failed(width))
    return failure();
  int64_t group = weight->getDimSize(0);
  if (group == 0 || *width % group != 0)
    return op->emitOpError()
           << "expects the input width " << *width
           << " to be a multiple of " << what << " length " << group;
  if (eps < 0)
    return op->emitOpError() << "expects eps >= 0, got " << eps;
  return success();
}

/// linear's checks, shared by gemma.fused_linear: a [out, in] weight maps
/// the input width to the result width.
LogicalResult verifyLinear(Operation *op, Value input, Value linearWeight,
                           Value result) {
  FailureOr<RankedTensorType> weight =
      weightType(op, linearWeight, "the weight", 2);
  FailureOr<int64_t> in = activationWidth(op, input, "the input");
  FailureOr<int64_t> out = activationWidth(op, result, "the result");
  if (failed(weight) || failed(in) || failed(out))
    return failure();
  if (*in != weight->getDimSize(1))
    return op->emitOpError()
           << "expects the input width " << *in
           << " to equal the weight's in-features (dim 1) "
           << weight->getDimSize(1);
  if (*out != weight->getDimSize(0))
    return op->emitOpError()
           << "expects the result width " << *out
           << " to equal the weight's out-features (dim 0) "
           << weight->getDimSize(0);
  return success();
}

/// rope's checks, shared by gemma.rms_norm_rope.
LogicalResult verifyRope(Operation *op, Value input, int64_t headDim,
                         double theta) {
  FailureOr<int64_t> width = activationWidth(op, input, "the input");
  if (failed(width))
    return failure();
  if (headDim <= 0 || headDim % 2 != 0)
    return op->emitOpError()
           << "expects a positive, even head_dim, got " << headDim;
  if (*width % headDim != 0)
    return op->emitOpError() << "expects the input width " << *width
                             << " to be a multiple of head_dim " << headDim;
  return verifyPositive(op, "theta", theta);
}

} // namespace

LogicalResult RmsNormOp::verify() {
  return verifyNorm(*this, getInput(), getWeight(),
                    getEps().convertToDouble());
}

LogicalResult LinearOp::verify() {
  if (failed(verifyLinear(*this, getInput(), getWeight(), getResult())))
    return failure();
  return verifySameTokenCount(*this, {getInput(), getResult()});
}

LogicalResult RopeOp::verify() {
  if (failed(verifyRope(*this, getInput(), getHeadDimAttr().getInt(),
                        getTheta().convertToDouble())))
    return failure();
  return verifySameTokenCount(*this, {getInput(), getPositions()});
}

LogicalResult FusedLinearOp::verify() {
  if (getWeights().empty())
    return emitOpError("expects at least one weight");
  if (getWeights().size() != getResults().size())
    return emitOpError() << "expects one result per weight, got "
                         << getResults().size() << " results for "
                         << getWeights().size() << " weights";
  if (Value norm = getNormWeight()) {
    std::optional<APFloat> eps = getNormEps();
    if (!eps)
      return emitOpError("expects norm_eps with a norm weight");
    if (failed(verifyNorm(*this, getInput(), norm, eps->convertToDouble(),
                          "the norm weight")))
      return failure();
  } else if (getNormEps()) {
    return emitOpError("expects norm_eps only with a norm weight");
  }
  for (auto [weight, result] : llvm::zip(getWeights(), getResults()))
    if (failed(verifyLinear(*this, getInput(), weight, result)))
      return failure();
  SmallVector<Value> rows{getInput()};
  llvm::append_range(rows, getResults());
  return verifySameTokenCount(*this, rows);
}

LogicalResult AddRmsNormOp::verify() {
  return verifyNorm(*this, getSum(), getWeight(), getEps().convertToDouble());
}

LogicalResult RmsNormRopeOp::verify() {
  int64_t headDim = getHeadDimAttr().getInt();
  if (failed(verifyNorm(*this, getInput(), getWeight(),
                        getEps().convertToDouble())) ||
      failed(verifyRope(*this, getInput(), headDim,
                        getTheta().convertToDouble())))
    return failure();
  // The norm groups must be the heads the rotation works on.
  int64_t group = cast<RankedTensorType>(getWeight().getType()).getDimSize(0);
  if (group != headDim)
    return emitOpError() << "expects the norm weight length " << group
                         << " to equal head_dim " << headDim;
  return verifySameTokenCount(*this, {getInput(), getPositions()});
}

/// The storage chosen by gemma-specialize-attention must fit the window: a
/// ring holds at least the window, and only windowed layers may use one.
LogicalResult AttentionOp::verifyKvStorage() {
  std::optional<StringRef> kind = getKvKind();
  std::optional<int64_t> slots;
  if (IntegerAttr attr = getKvSlotsAttr())
    slots = attr.getInt();
  if (kind.has_value() != slots.has_value())
    return emitOpError("expects kv_kind and kv_slots together");
  if (!kind)
    return success();
  int64_t window = getWindowAttr().getInt();
  if (*kind != kRingKind && *kind != kFullKind)
    return emitOpError() << "expects kv_kind \"" << kRingKind << "\" or \""
                         << kFullKind << "\", got \"" << *kind << "\"";
  if (*slots <= 0)
    return emitOpError() << "expects kv_slots > 0, got " << *slots;
  if (*kind == kRingKind && (window == 0 || *slots < window))
    return emitOpError() << "expects a ring kv cache to hold a window > 0 "
                            "(window "
                         << window << ", kv_slots " << *slots << ")";
  return success();
}

LogicalResult AttentionOp::verify() {
  int64_t heads = getNumHeadsAttr().getInt();
  int64_t kvHeads = getNumKvHeadsAttr().getInt();
  int64_t headDim = getHeadDimAttr().getInt();
  if (heads <= 0 || kvHeads <= 0 || headDim <= 0)
    return emitOpError() << "expects positive num_heads, num_kv_heads and "
                            "head_dim, got "
                         << heads << ", " << kvHeads << " and " << headDim;
  if (heads % kvHeads != 0)
    return emitOpError() << "expects num_heads " << heads
                         << " to be a multiple of num_kv_heads " << kvHeads;
  struct Expected {
    Value value;
    StringRef what;
    int64_t width;
  };
  for (const Expected &e :
       {Expected{getQ(), "q", heads * headDim},
        Expected{getK(), "k", kvHeads * headDim},
        Expected{getV(), "v", kvHeads * headDim},
        Expected{getResult(), "the result", heads * headDim}}) {
    FailureOr<int64_t> width = activationWidth(*this, e.value, e.what);
    if (failed(width))
      return failure();
    if (*width != e.width)
      return emitOpError() << "expects " << e.what << " to have width "
                           << e.width << " (heads x head_dim), got " << *width;
  }
  // I64Attr accessors return uint64_t; read the signed values.
  int64_t window = getWindowAttr().getInt(),
          kvCache = getKvCacheAttr().getInt();
  if (window < 0)
    return emitOpError() << "expects window >= 0 (0 = global), got " << window;
  if (kvCache < 0)
    return emitOpError() << "expects kv_cache >= 0, got " << kvCache;
  if (std::optional<APFloat> softcap = getSoftcap())
    if (failed(verifyPositive(*this, "softcap", softcap->convertToDouble())))
      return failure();
  if (failed(verifyKvStorage()))
    return failure();
  return verifySameTokenCount(
      *this, {getQ(), getK(), getV(), getPositions(), getResult()});
}

#define GET_OP_CLASSES
#include "dialects/gemma/IR/GemmaOps.cpp.inc"
