//===- Pipeline.cpp - gemmac compile: checkpoint -> IR -> passes -> artifacts ===//

#include "compiler/pipeline/Pipeline.h"

#include "compiler/codegen/TargetArtifacts.h"
#include "compiler/importers/HfImporter.h"
#include "compiler/importers/ModelConfig.h"
#include "compiler/importers/Safetensors.h"
#include "compiler/importers/SentencePieceProto.h"
#include "compiler/importers/TokenizerImport.h"
#include "compiler/quantize/QuantizePass.h"
#include "dialects/gemma/IR/GemmaDialect.h"
#include "dialects/gemma/IR/GemmaOps.h"
#include "dialects/gemma/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/ToolOutputFile.h"

using namespace mlir;

namespace gemmac {
namespace {

LogicalResult reportError(llvm::Error error) {
  llvm::errs() << "gemmac: error: " << llvm::toString(std::move(error)) << "\n";
  return failure();
}

/// The serialized SentencePiece model: an explicit --tokenizer file
/// (tokenizer.model as is, tokenizer.json converted) or the checkpoint's own.
llvm::Expected<std::string> loadTokenizer(const CompileOptions &options) {
  if (options.tokenizerPath.empty())
    return loadTokenizerModel(options.checkpointDir);
  return loadTokenizerFile(options.tokenizerPath);
}

/// Checks the tokenizer against the config and adds its end-of-turn piece to
/// the stop ids: chat generation ends there, and config.json does not say so.
llvm::Error reconcileTokenizer(llvm::StringRef tokenizer, ModelConfig &config) {
  auto pieces = readPieceTexts(tokenizer, "tokenizer");
  if (!pieces)
    return pieces.takeError();
  if (static_cast<int64_t>(pieces->size()) > config.vocabSize)
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        "the tokenizer has %zu pieces but config.json's vocab_size is %lld",
        pieces->size(), static_cast<long long>(config.vocabSize));
  auto endOfTurn = llvm::find(*pieces, "<end_of_turn>");
  int64_t id = endOfTurn - pieces->begin();
  if (endOfTurn != pieces->end() && !llvm::is_contained(config.eosIds, id))
    config.eosIds.push_back(id);
  return llvm::Error::success();
}

LogicalResult printModule(ModuleOp module, llvm::StringRef path) {
  std::string error;
  auto output = openOutputFile(path.empty() ? "-" : path, &error);
  if (!output) {
    llvm::errs() << "gemmac: error: " << error << "\n";
    return failure();
  }
  module->print(output->os());
  output->keep();
  return success();
}

/// One line per kind of weight (the tensor name without its layer prefix):
/// how the model file stores it and how many of its groups gemma-quantize
/// kept exactly, i.e. whether a QAT grid was found.
void printWeightSummary(ModuleOp module) {
  struct Kind {
    std::string storage;
    int64_t tensors = 0, groups = 0, exact = 0;
  };
  llvm::MapVector<StringRef, Kind> kinds;
  llvm::StringSet<> seen;
  module.walk([&](gemma::WeightOp weight) {
    if (!weight.getStorage() || !seen.insert(weight.getName()).second)
      return;
    StringRef kind = weight.getName();
    kind.consume_back(".weight");
    kind = kind.rsplit('.').second.empty() ? kind : kind.rsplit('.').second;
    Kind &entry = kinds[kind];
    StringRef storage = *weight.getStorage();
    if (entry.storage.empty())
      entry.storage = storage.str();
    else if (entry.storage != storage)
      entry.storage = "mixed";
    entry.tensors += 1;
    entry.groups += weight.getGroups().value_or(0);
    entry.exact += weight.getExactGroups().value_or(0);
  });
  for (auto &[name, kind] : kinds) {
    llvm::errs() << "gemmac: " << llvm::left_justify(name, 14) << " "
                 << llvm::left_justify(kind.storage, 6) << " x" << kind.tensors;
    if (kind.groups > 0)
      llvm::errs() << llvm::format("  %lld/%lld groups exact (%.2f%%)",
                                   static_cast<long long>(kind.exact),
                                   static_cast<long long>(kind.groups),
                                   100.0 * kind.exact / kind.groups);
    llvm::errs() << "\n";
  }
}

/// The model-level passes in pipeline order, each ending a stage that
/// `--emit` can dump. Every gemma pass can be left out (--disable-pass): the
/// tests compare the logits of each such pipeline with the full one.
struct PipelineStage {
  EmitStage stage;
  std::vector<std::unique_ptr<Pass>> passes;
};

std::vector<PipelineStage> buildStages(const CompileOptions &options,
                                       QuantizedWeights *quantized) {
  std::vector<PipelineStage> stages(3);
  stages[0].stage = EmitStage::Fused;
  stages[0].passes.push_back(createCanonicalizerPass());
  stages[0].passes.push_back(createCSEPass());
  // q/k norm + RoPE first: q/k/v fusion looks through either form; the norm
  // then folds into the fused projections, and add + norm takes the norms
  // that remain (the final one, or all of them without norm-linear fusion).
  stages[0].passes.push_back(gemma::createGemmaFuseNormRope());
  stages[0].passes.push_back(gemma::createGemmaFuseQkv());
  stages[0].passes.push_back(gemma::createGemmaFuseGateUp());
  stages[0].passes.push_back(gemma::createGemmaFuseNormLinear());
  stages[0].passes.push_back(gemma::createGemmaFuseAddNorm());
  stages[1].stage = EmitStage::Specialized;
  gemma::GemmaSpecializeAttentionOptions specialize;
  specialize.prefillChunk = options.prefillChunk;
  specialize.maxContext = options.maxContext;
  stages[1].passes.push_back(gemma::createGemmaSpecializeAttention(specialize));
  stages[2].stage = EmitStage::Quantized;
  GemmaQuantizeOptions quantize;
  quantize.weights = options.weights;
  quantize.head = options.head;
  quantize.quant = options.quant;
  stages[2].passes.push_back(createGemmaQuantize(quantize, quantized));
  return stages;
}

/// Runs the stages up to `options.emit`, dumping the IR when that is a stage;
/// `dumped` says the dump was the requested output.
LogicalResult runPasses(MLIRContext &context, ModuleOp module, const CompileOptions &options,
                        QuantizedWeights *quantized, bool &dumped) {
  std::vector<PipelineStage> stages = buildStages(options, quantized);
  llvm::StringSet<> unknown;
  for (const std::string &name : options.disabledPasses)
    unknown.insert(name);
  for (PipelineStage &stage : stages)
    for (const std::unique_ptr<Pass> &pass : stage.passes)
      unknown.erase(pass->getArgument());
  if (!unknown.empty()) {
    llvm::errs() << "gemmac: error: --disable-pass: unknown pass '"
                 << unknown.begin()->getKey() << "'\n";
    return failure();
  }
  for (PipelineStage &stage : stages) {
    PassManager pm(&context);
    for (std::unique_ptr<Pass> &pass : stage.passes)
      if (!llvm::is_contained(options.disabledPasses, pass->getArgument()))
        pm.addPass(std::move(pass));
    if (failed(pm.run(module)))
      return failure();
    if (stage.stage == EmitStage::Quantized)
      printWeightSummary(module);
    if (options.emit == stage.stage) {
      dumped = true;
      return printModule(module, options.outputPath);
    }
  }
  return success();
}

/// The largest --prefill-chunk: activations and the ring caches grow with it,
/// and the runtime's steps are far smaller (128 by default).
constexpr int64_t kMaxPrefillChunk = 65536;

/// Option bounds, checked before anything is sized from the options.
LogicalResult checkOptions(const CompileOptions &options) {
  if (options.prefillChunk < 1 || options.prefillChunk > kMaxPrefillChunk) {
    llvm::errs() << "gemmac: error: --prefill-chunk " << options.prefillChunk
                 << " is outside [1, " << kMaxPrefillChunk << "]\n";
    return failure();
  }
  if (options.maxContext < 0 || options.maxContext > ConfigLimits::kMaxContext) {
    llvm::errs() << "gemmac: error: --max-context " << options.maxContext
                 << " is outside [0, " << ConfigLimits::kMaxContext
                 << "] (0: the config's max_position_embeddings)\n";
    return failure();
  }
  return success();
}

} // namespace

LogicalResult compileCheckpoint(const CompileOptions &options) {
  if (failed(checkOptions(options)))
    return failure();
  if (options.emit == EmitStage::Model &&
      (options.outputPath.empty() || options.outputPath == "-")) {
    llvm::errs() << "gemmac: error: a model file needs an output path (-o MODEL.gmf)\n";
    return failure();
  }
  const gemmac_target *target = nullptr;
  if (!options.target.empty() && !(target = gemmac_find_target(options.target.c_str()))) {
    llvm::errs() << "gemmac: error: unknown target '" << options.target << "' (known:";
    for (const gemmac_target &known : gemmac_targets)
      llvm::errs() << " " << known.name;
    llvm::errs() << ")\n";
    return failure();
  }
  llvm::SmallString<256> configPath(options.checkpointDir), weightsPath(options.checkpointDir);
  llvm::sys::path::append(configPath, "config.json");
  llvm::sys::path::append(weightsPath, "model.safetensors");

  auto config = parseModelConfig(configPath);
  if (!config)
    return reportError(config.takeError());
  auto weights = SafetensorsFile::open(weightsPath);
  if (!weights)
    return reportError(weights.takeError());
  // The IR can be inspected without a tokenizer; a model file needs one.
  auto tokenizer = loadTokenizer(options);
  if (!tokenizer && options.emit == EmitStage::Model)
    return reportError(tokenizer.takeError());
  if (tokenizer) {
    if (llvm::Error error = reconcileTokenizer(*tokenizer, *config))
      return reportError(std::move(error));
  } else {
    llvm::consumeError(tokenizer.takeError());
  }

  MLIRContext context;
  context.loadDialect<gemma::GemmaDialect, func::FuncDialect>();
  auto module = importCheckpoint(context, *config, **weights);
  if (failed(module))
    return failure();

  if (options.emit == EmitStage::Gemma)
    return printModule(**module, options.outputPath);

  bool dumped = false;
  QuantizedWeights quantized;
  if (failed(runPasses(context, **module, options, &quantized, dumped)))
    return failure();
  if (dumped)
    return success();
  EmitCOptions emitc = emitCOptionsFor(**module, options.prefillChunk, target);
  std::string command = "gemmac compile" +
                        (options.target.empty() ? "" : " --target " + options.target) +
                        " --prefill-chunk " + std::to_string(options.prefillChunk);
  ModelWriterOptions writerOptions;
  writerOptions.producer = "gemmac 0.2";
  writerOptions.quantized = &quantized;
  if (options.emit == EmitStage::EmitC || options.emit == EmitStage::Cpp) {
    // The code is laid out against the model file it would go with.
    auto image = layoutModelFile(**module, **weights, tokenizer ? *tokenizer : "", writerOptions);
    if (failed(image))
      return failure();
    emitc.image = &*image;
    return emitForwardPass(**module, emitc, options.emit == EmitStage::Cpp, command,
                           options.outputPath);
  }
  if (!options.target.empty())
    return writeTargetArtifacts(**module, **weights, *tokenizer, writerOptions, emitc, *target,
                                command, options.outputPath);
  return writeModelFile(**module, **weights, *tokenizer, writerOptions, options.outputPath);
}

} // namespace gemmac
