//===- EmitCLowering.cpp - gemma @forward -> EmitC forward pass ------------===//

#include "compiler/codegen/EmitCLowering.h"

#include "compiler/codegen/BufferPlan.h"
#include "dialects/gemma/IR/GemmaOps.h"
#include "compiler/flatbuffer/ModelWriter.h"
#include "runtime/include/gemmac/compiled_abi.h"

#include "mlir/Dialect/EmitC/IR/EmitC.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/FormatVariadic.h"

using namespace mlir;

namespace gemmac {
namespace {

/// Operands and constant arguments of one emitc.call_opaque, in call order.
class CallArgs {
public:
  explicit CallArgs(Builder &builder) : builder(builder) {}
  CallArgs &value(Value v) {
    args.push_back(builder.getIndexAttr(operands.size()));
    operands.push_back(v);
    return *this;
  }
  /// A literal (size_t, int64_t and uint32_t parameters alike).
  CallArgs &integer(int64_t v) {
    args.push_back(emitc::OpaqueAttr::get(builder.getContext(), std::to_string(v)));
    return *this;
  }
  /// A name (a kernel passed as a function pointer).
  CallArgs &opaque(StringRef name) {
    args.push_back(emitc::OpaqueAttr::get(builder.getContext(), name));
    return *this;
  }
  CallArgs &f32(double v) {
    args.push_back(builder.getF32FloatAttr(static_cast<float>(v)));
    return *this;
  }
  CallArgs &f64(double v) {
    args.push_back(builder.getF64FloatAttr(v));
    return *this;
  }
  SmallVector<Value> operands;
  SmallVector<Attribute> args;

private:
  Builder &builder;
};

int64_t widthOf(Value value) { return cast<RankedTensorType>(value.getType()).getDimSize(1); }

/// Emits the body of gemmac_compiled_forward, one gemma op at a time.
class ForwardLowering {
public:
  ForwardLowering(OpBuilder &builder, const BufferPlan &plan, const EmitCOptions &options)
      : b(builder), plan(plan), options(options) {}

  /// The body of `entry`; a decode entry has one token and no logit row offset.
  LogicalResult lower(func::FuncOp forward, emitc::FuncOp entry, bool decode);
  uint32_t opCount() const { return nextOp; }
  /// Workspace floats beyond the plan's: the RoPE tables' rows.
  int64_t ropeFloats() const;

private:
  LogicalResult lowerOp(Operation *op, uint32_t index);
  /// The weight's offset in the segment area and, if quantized, its kernel.
  FailureOr<uint64_t> weightOffset(Operation *user, Value weight);
  std::optional<std::string> quantizedKernel(Value weight) const;
  /// Direct kernel calls for quantized weights of one input, else callbacks.
  LogicalResult linear(Operation *op, uint32_t index, Value x, ValueRange weights,
                       ValueRange results);
  Value sizeConstant(int64_t value);
  void call(StringRef callee, const CallArgs &args);
  Value callValue(Type result, StringRef callee, const CallArgs &args);
  Value buffer(Value activation) { return buffers.lookup(activation); }
  Value bufferAt(int64_t offset);
  Value normWeight(uint32_t op);
  Value elements(int64_t width);
  void rmsNorm(Value x, Value w, int64_t width, int64_t group, APFloat eps, bool unitOffset,
               Value out);
  void rope(Value x, int64_t width, int64_t headDim, double theta, Value out);
  /// One cos/sin table per (theta, head_dim) of the rope ops, after the
  /// plan's workspace; its rows for the step's positions are built on entry.
  void buildRopeTables(func::FuncOp forward);

  struct RopeTable {
    float theta; // as the portable plan stores it
    int64_t headDim;
    int64_t offset; // in the workspace
    Value rows;     // in the entry being lowered
  };
  SmallVector<RopeTable> ropeTables;

  OpBuilder &b;
  const BufferPlan &plan;
  const EmitCOptions &options;
  Value ctx, ids, tokens, firstPosition, firstLogitRow, logits;
  llvm::DenseMap<Value, Value> buffers;  // activation -> its float* in the workspace
  llvm::DenseMap<int64_t, Value> counts; // width -> tokens * width
  Location loc = b.getUnknownLoc();
  uint32_t nextOp = 0;
  int layer = 0;
};

Type floatPtr(MLIRContext *context) { return emitc::PointerType::get(Float32Type::get(context)); }

FailureOr<uint64_t> ForwardLowering::weightOffset(Operation *user, Value weight) {
  auto weightOp = weight.getDefiningOp<gemma::WeightOp>();
  if (!weightOp)
    return user->emitOpError("weight operand must come from gemma.weight");
  if (!options.image)
    return user->emitOpError("compiled code needs the model file's layout");
  auto it = options.image->offsets.find(weightOp.getName());
  if (it == options.image->offsets.end())
    return user->emitOpError("weight '") << weightOp.getName() << "' is not in the model file";
  return it->second;
}

std::optional<std::string> ForwardLowering::quantizedKernel(Value weight) const {
  auto weightOp = weight.getDefiningOp<gemma::WeightOp>();
  std::optional<StringRef> storage = weightOp ? weightOp.getStorage() : std::nullopt;
  if (!storage || (*storage != "q4g32" && *storage != "q8g32"))
    return std::nullopt;
  return ("gemmac_linear_" + *storage + "_" + options.kernelVariant).str();
}

Value ForwardLowering::sizeConstant(int64_t value) {
  return emitc::ConstantOp::create(b, loc, emitc::SizeTType::get(b.getContext()),
                                   emitc::OpaqueAttr::get(b.getContext(), std::to_string(value)));
}

LogicalResult ForwardLowering::linear(Operation *op, uint32_t index, Value x, ValueRange weights,
                                      ValueRange results) {
  std::optional<std::string> kernel = quantizedKernel(weights.front());
  bool direct = kernel && weights.size() <= 3 && llvm::all_of(weights, [&](Value weight) {
                  return quantizedKernel(weight) == kernel;
                });
  if (!direct) {
    for (auto [i, result] : llvm::enumerate(results)) {
      CallArgs args(b);
      args.value(ctx).integer(index).integer(i).value(x).value(tokens).value(buffer(result));
      call("gemmac_compiled_linear", args);
    }
    return success();
  }
  CallArgs args(b);
  args.value(ctx)
      .opaque(*kernel)
      .integer(cast<RankedTensorType>(weights.front().getType()).getDimSize(1))
      .value(x)
      .value(tokens);
  for (auto [weight, result] : llvm::zip(weights, results)) {
    FailureOr<uint64_t> offset = weightOffset(op, weight);
    if (failed(offset))
      return failure();
    args.integer(static_cast<int64_t>(*offset))
        .integer(cast<RankedTensorType>(weight.getType()).getDimSize(0))
        .value(buffer(result));
  }
  call("gemmac_compiled_linear_q" + std::to_string(weights.size()), args);
  return success();
}

void ForwardLowering::call(StringRef callee, const CallArgs &args) {
  emitc::CallOpaqueOp::create(b, loc, TypeRange{}, callee, args.operands,
                              b.getArrayAttr(args.args));
}

Value ForwardLowering::callValue(Type result, StringRef callee, const CallArgs &args) {
  return emitc::CallOpaqueOp::create(b, loc, result, callee, args.operands,
                                     b.getArrayAttr(args.args))
      .getResult(0);
}

Value ForwardLowering::bufferAt(int64_t offset) {
  CallArgs args(b);
  args.value(ctx).integer(offset);
  return callValue(floatPtr(b.getContext()), "gemmac_compiled_buffer", args);
}

Value ForwardLowering::normWeight(uint32_t op) {
  CallArgs args(b);
  args.value(ctx).integer(op);
  Type type = emitc::PointerType::get(emitc::OpaqueType::get(b.getContext(), "const float"));
  return callValue(type, "gemmac_compiled_norm_weight", args);
}

/// tokens * width: the element count of an activation in this step.
Value ForwardLowering::elements(int64_t width) {
  Value &count = counts[width];
  if (!count) {
    Type sizeType = emitc::SizeTType::get(b.getContext());
    Value constant = emitc::ConstantOp::create(
        b, loc, sizeType, emitc::OpaqueAttr::get(b.getContext(), std::to_string(width)));
    count = emitc::MulOp::create(b, loc, sizeType, tokens, constant);
  }
  return count;
}

void ForwardLowering::rmsNorm(Value x, Value w, int64_t width, int64_t group, APFloat eps,
                              bool unitOffset, Value out) {
  CallArgs args(b);
  args.value(x)
      .value(w)
      .value(tokens)
      .integer(width)
      .integer(group)
      .f32(eps.convertToFloat())
      .f32(unitOffset ? 1.0 : 0.0)
      .value(out);
  call("gemmac_rms_norm_generic", args);
}

void ForwardLowering::rope(Value x, int64_t width, int64_t headDim, double theta, Value out) {
  Value rows;
  for (const RopeTable &table : ropeTables)
    if (table.theta == static_cast<float>(theta) && table.headDim == headDim)
      rows = table.rows;
  CallArgs args(b);
  args.value(x).value(tokens).integer(width).integer(headDim).value(rows).value(out);
  call("gemmac_rope_table_generic", args);
}

int64_t ForwardLowering::ropeFloats() const {
  int64_t floats = 0;
  for (const RopeTable &table : ropeTables)
    floats += static_cast<int64_t>(options.maxTokens) * table.headDim;
  return floats;
}

void ForwardLowering::buildRopeTables(func::FuncOp forward) {
  ropeTables.clear();
  int64_t offset = plan.workspaceFloats;
  forward.walk([&](Operation *op) {
    double theta;
    int64_t headDim;
    if (auto rope = dyn_cast<gemma::RopeOp>(op)) {
      theta = rope.getTheta().convertToDouble();
      headDim = rope.getHeadDim();
    } else if (auto normRope = dyn_cast<gemma::RmsNormRopeOp>(op)) {
      theta = normRope.getTheta().convertToDouble();
      headDim = normRope.getHeadDim();
    } else {
      return;
    }
    // The portable plan stores theta as f32; the same rounding keeps the angles equal.
    const float stored = static_cast<float>(theta);
    for (const RopeTable &table : ropeTables)
      if (table.theta == stored && table.headDim == headDim)
        return;
    ropeTables.push_back({stored, headDim, offset, Value()});
    offset += static_cast<int64_t>(options.maxTokens) * headDim;
  });
  for (RopeTable &table : ropeTables) {
    table.rows = bufferAt(table.offset);
    CallArgs args(b);
    args.f64(table.theta).integer(table.headDim).value(firstPosition).value(tokens).value(table.rows);
    call("gemmac_rope_build_table_generic", args);
  }
}

LogicalResult ForwardLowering::lowerOp(Operation *op, uint32_t index) {
  return llvm::TypeSwitch<Operation *, LogicalResult>(op)
      .Case([&](gemma::EmbedOp embed) -> LogicalResult {
        FailureOr<uint64_t> offset = weightOffset(embed, embed.getTable());
        if (failed(offset))
          return failure();
        CallArgs args(b);
        args.value(ctx)
            .integer(static_cast<int64_t>(*offset))
            .integer(cast<RankedTensorType>(embed.getTable().getType()).getDimSize(0))
            .integer(widthOf(embed.getResult()))
            .value(ids)
            .value(tokens)
            .f32(embed.getScale().convertToFloat())
            .value(buffer(embed.getResult()));
        call("gemmac_compiled_embed_" + options.embedTable, args);
        return success();
      })
      .Case([&](gemma::RmsNormOp norm) {
        int64_t group = cast<RankedTensorType>(norm.getWeight().getType()).getNumElements();
        rmsNorm(buffer(norm.getInput()), normWeight(index), widthOf(norm.getResult()), group,
                norm.getEps(), norm.getUnitOffset(), buffer(norm.getResult()));
        return success();
      })
      .Case([&](gemma::LinearOp linearOp) {
        return linear(linearOp, index, buffer(linearOp.getInput()), linearOp.getWeight(),
                      linearOp->getResults());
      })
      .Case([&](gemma::FusedLinearOp fused) -> LogicalResult {
        Value x = buffer(fused.getInput());
        if (fused.getNormWeight()) {
          Value normed = bufferAt(plan.scratch.lookup(op));
          int64_t group = cast<RankedTensorType>(fused.getNormWeight().getType()).getNumElements();
          rmsNorm(x, normWeight(index), widthOf(fused.getInput()), group, *fused.getNormEps(),
                  fused.getNormUnitOffset(), normed);
          x = normed;
        }
        return linear(fused, index, x, fused.getWeights(), fused.getResults());
      })
      .Case([&](gemma::RopeOp rope) {
        this->rope(buffer(rope.getInput()), widthOf(rope.getResult()), rope.getHeadDim(),
                   rope.getTheta().convertToDouble(), buffer(rope.getResult()));
        return success();
      })
      .Case([&](gemma::RmsNormRopeOp normRope) {
        Value out = buffer(normRope.getResult());
        int64_t width = widthOf(normRope.getResult());
        rmsNorm(buffer(normRope.getInput()), normWeight(index), width, normRope.getHeadDim(),
                normRope.getEps(), normRope.getUnitOffset(), out);
        rope(out, width, normRope.getHeadDim(), normRope.getTheta().convertToDouble(), out);
        return success();
      })
      .Case([&](gemma::AttentionOp attention) -> LogicalResult {
        std::optional<int64_t> slots = attention.getKvSlots();
        if (!slots)
          return attention.emitOpError(
              "has no planned KV slots; compiled code needs gemma-specialize-attention");
        int64_t window = attention.getWindow();
        bool ring = attention.getKvKind() == gemma::AttentionOp::kRingKind;
        emitc::VerbatimOp::create(
            b, loc,
            b.getStringAttr(llvm::formatv(
                "// layer {0}: {1} attention, window {2}, {3} KV cache of {4} slots", layer++,
                window ? "sliding-window" : "global", window, ring ? "ring" : "full", *slots)));
        // The target's attention passes, chosen ahead of time like its
        // products: one for f32 and one for f16 KV rows, since the row type
        // is a session option the runtime picks by.
        std::string kernel = "gemmac_attention_partial_" + options.kernelVariant;
        std::string kernelF16 = "gemmac_attention_partial_f16_" + options.kernelVariant;
        CallArgs args(b);
        args.value(ctx)
            .opaque(kernel)
            .opaque(kernelF16)
            .integer(attention.getKvCache())
            .integer(attention.getNumHeads())
            .integer(attention.getNumKvHeads())
            .integer(attention.getHeadDim())
            .f32(attention.getScale().convertToFloat())
            .f32(attention.getSoftcap() ? attention.getSoftcap()->convertToFloat() : 0.0)
            .integer(window)
            .integer(*slots)
            .value(buffer(attention.getQ()))
            .value(buffer(attention.getK()))
            .value(buffer(attention.getV()))
            .value(tokens)
            .value(firstPosition)
            .value(buffer(attention.getResult()));
        call("gemmac_compiled_attention", args);
        return success();
      })
      .Case([&](gemma::GeluTanhOp gelu) {
        CallArgs args(b);
        args.value(buffer(gelu.getInput()))
            .value(elements(widthOf(gelu.getResult())))
            .value(buffer(gelu.getResult()));
        call("gemmac_gelu_tanh_generic", args);
        return success();
      })
      .Case<gemma::MulOp, gemma::AddOp>([&](auto binary) {
        CallArgs args(b);
        args.value(buffer(binary.getLhs()))
            .value(buffer(binary.getRhs()))
            .value(elements(widthOf(binary.getResult())))
            .value(buffer(binary.getResult()));
        call(isa<gemma::MulOp>(op) ? "gemmac_mul_generic" : "gemmac_add_generic", args);
        return success();
      })
      .Case([&](gemma::GeluTanhMulOp gated) {
        Value out = buffer(gated.getResult());
        Value count = elements(widthOf(gated.getResult()));
        CallArgs gelu(b), mul(b);
        gelu.value(buffer(gated.getGate())).value(count).value(out);
        call("gemmac_gelu_tanh_generic", gelu);
        mul.value(out).value(buffer(gated.getUp())).value(count).value(out);
        call("gemmac_mul_generic", mul);
        return success();
      })
      .Case([&](gemma::AddRmsNormOp addNorm) {
        Value sum = buffer(addNorm.getSum());
        int64_t width = widthOf(addNorm.getSum());
        CallArgs add(b);
        add.value(buffer(addNorm.getLhs()))
            .value(buffer(addNorm.getRhs()))
            .value(elements(width))
            .value(sum);
        call("gemmac_add_generic", add);
        int64_t group = cast<RankedTensorType>(addNorm.getWeight().getType()).getNumElements();
        rmsNorm(sum, normWeight(index), width, group, addNorm.getEps(), addNorm.getUnitOffset(),
                buffer(addNorm.getNormed()));
        return success();
      })
      .Case([&](gemma::LogitsOp logitsOp) -> LogicalResult {
        CallArgs args(b);
        args.value(ctx);
        std::optional<std::string> kernel = quantizedKernel(logitsOp.getTable());
        if (kernel) {
          FailureOr<uint64_t> offset = weightOffset(logitsOp, logitsOp.getTable());
          if (failed(offset))
            return failure();
          args.opaque(*kernel).integer(static_cast<int64_t>(*offset));
        } else {
          args.integer(index);
        }
        args.value(buffer(logitsOp.getInput()))
            .integer(widthOf(logitsOp.getInput()))
            .integer(widthOf(logitsOp.getResult()))
            .value(tokens)
            .value(firstLogitRow)
            .value(logits)
            .f32(logitsOp.getSoftcap() ? logitsOp.getSoftcap()->convertToFloat() : 0.0);
        call(kernel ? "gemmac_compiled_logits_q" : "gemmac_compiled_logits", args);
        return success();
      })
      .Default([&](Operation *other) { return other->emitOpError("has no EmitC lowering"); });
}

LogicalResult ForwardLowering::lower(func::FuncOp forward, emitc::FuncOp entry, bool decode) {
  Block &entryBlock = entry.getBody().front();
  b.setInsertionPointToStart(&entryBlock);
  buffers.clear();
  counts.clear();
  nextOp = 0;
  layer = 0;
  ctx = entryBlock.getArgument(0);
  ids = entryBlock.getArgument(1);
  if (decode) {
    // One token: every product is a matrix-vector product.
    tokens = sizeConstant(1);
    firstPosition = entryBlock.getArgument(2);
    firstLogitRow = sizeConstant(0);
    logits = entryBlock.getArgument(3);
  } else {
    tokens = entryBlock.getArgument(2);
    firstPosition = entryBlock.getArgument(3);
    firstLogitRow = entryBlock.getArgument(4);
    logits = entryBlock.getArgument(5);
  }
  buildRopeTables(forward);
  Block &body = forward.getBody().front();
  for (Operation &op : body.without_terminator()) {
    if (isa<gemma::WeightOp>(op))
      continue;
    // Plan op numbering: every op but gemma.weight, in order (PlanBuilder's).
    uint32_t index = nextOp++;
    for (Value result : op.getResults()) {
      auto offset = plan.offsets.find(result);
      if (offset != plan.offsets.end())
        buffers[result] = bufferAt(offset->second);
    }
    if (failed(lowerOp(&op, index)))
      return failure();
  }
  emitc::ReturnOp::create(b, loc, Value());
  return success();
}

} // namespace

FailureOr<OwningOpRef<ModuleOp>> lowerToEmitC(ModuleOp module, const EmitCOptions &options) {
  auto forward = module.lookupSymbol<func::FuncOp>("forward");
  if (!forward || forward.getBody().getBlocks().size() != 1)
    return module.emitError("expected a single-block @forward function");
  if (!options.image)
    return module.emitError("compiled code needs the model file's layout (weight offsets, digest)");
  MLIRContext *context = module.getContext();
  context->loadDialect<emitc::EmitCDialect>();
  OpBuilder b(context);
  Location loc = forward.getLoc();
  OwningOpRef<ModuleOp> result = ModuleOp::create(loc);
  b.setInsertionPointToEnd(result->getBody());
  emitc::IncludeOp::create(b, loc, "compiled_abi.h", /*is_standard_include=*/false);

  BufferPlan plan = planBuffers(forward, options.maxTokens);
  Type sizeType = emitc::SizeTType::get(context);
  Type constCtx =
      emitc::PointerType::get(emitc::OpaqueType::get(context, "const gemmac_compiled_ctx"));
  Type constIds = emitc::PointerType::get(emitc::OpaqueType::get(context, "const int32_t"));
  auto entryType = b.getFunctionType(
      {constCtx, constIds, sizeType, b.getI64Type(), sizeType, floatPtr(context)}, {});
  auto entry = emitc::FuncOp::create(b, loc, "gemmac_compiled_forward", entryType);
  entry.setSpecifiersAttr(b.getStrArrayAttr({"static"}));
  entry.addEntryBlock();
  b.setInsertionPointToEnd(result->getBody());
  auto decodeType = b.getFunctionType({constCtx, constIds, b.getI64Type(), floatPtr(context)}, {});
  auto decode = emitc::FuncOp::create(b, loc, "gemmac_compiled_decode", decodeType);
  decode.setSpecifiersAttr(b.getStrArrayAttr({"static"}));
  decode.addEntryBlock();
  ForwardLowering lowering(b, plan, options);
  if (failed(lowering.lower(forward, entry, /*decode=*/false)) ||
      failed(lowering.lower(forward, decode, /*decode=*/true)))
    return failure();

  // The one exported symbol: the description the runtime checks before it
  // calls the entry points (gemmac/compiled_abi.h).
  b.setInsertionPointToEnd(result->getBody());
  std::string digest;
  for (uint8_t byte : options.image->planDigest)
    digest += llvm::formatv("{0}0x{1:x-2}", digest.empty() ? "" : ", ", unsigned(byte)).str();
  emitc::VerbatimOp::create(
      b, loc,
      llvm::formatv("extern \"C\" GEMMAC_COMPILED_EXPORT const gemmac_compiled_model* "
                    "gemmac_compiled_model_get(void) {{\n"
                    "  static const gemmac_compiled_model model = {{{0}u, {1}u, {{{2}},\n"
                    "                                              {3}u, {4}u, gemmac_compiled_forward, "
                    "gemmac_compiled_decode};\n"
                    "  return &model;\n}",
                    GEMMAC_COMPILED_ABI_VERSION, lowering.opCount(), digest,
                    plan.workspaceFloats + lowering.ropeFloats(), options.maxTokens)
          .str());
  if (failed(verify(*result)))
    return failure();
  return result;
}

} // namespace gemmac
