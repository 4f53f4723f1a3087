//===- Pipeline.cpp - gemmac compile: checkpoint -> IR -> passes -> artifacts ===//

#include "compiler/pipeline/Pipeline.h"

#include "compiler/codegen/TargetArtifacts.h"
#include "compiler/importers/HfImporter.h"
#include "compiler/importers/ModelConfig.h"
#include "compiler/importers/Safetensors.h"
#include "compiler/importers/SentencePieceProto.h"
#include "compiler/importers/TokenizerImport.h"
#include "dialects/gemma/IR/GemmaDialect.h"
#include "dialects/gemma/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/ADT/StringSet.h"
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

/// The model-level passes in pipeline order, each ending a stage that
/// `--emit` can dump. Every gemma pass can be left out (--disable-pass): the
/// tests compare the logits of each such pipeline with the full one.
struct PipelineStage {
  EmitStage stage;
  std::vector<std::unique_ptr<Pass>> passes;
};

std::vector<PipelineStage> buildStages(const CompileOptions &options) {
  std::vector<PipelineStage> stages(2);
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
  return stages;
}

/// Runs the stages up to `options.emit`, dumping the IR when that is a stage;
/// `dumped` says the dump was the requested output.
LogicalResult runPasses(MLIRContext &context, ModuleOp module,
                        const CompileOptions &options, bool &dumped) {
  std::vector<PipelineStage> stages = buildStages(options);
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
    if (options.emit == stage.stage) {
      dumped = true;
      return printModule(module, options.outputPath);
    }
  }
  return success();
}

} // namespace

LogicalResult compileCheckpoint(const CompileOptions &options) {
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
  if (failed(runPasses(context, **module, options, dumped)))
    return failure();
  if (dumped)
    return success();
  EmitCOptions emitc = emitCOptionsFor(**module, options.weights, options.prefillChunk);
  std::string command = "gemmac compile" +
                        (options.target.empty() ? "" : " --target " + options.target) +
                        " --prefill-chunk " + std::to_string(options.prefillChunk);
  if (options.emit == EmitStage::EmitC || options.emit == EmitStage::Cpp)
    return emitForwardPass(**module, emitc, options.emit == EmitStage::Cpp, command,
                           options.outputPath);
  ModelWriterOptions writerOptions;
  writerOptions.weights = options.weights;
  writerOptions.producer = "gemmac 0.1";
  if (!options.target.empty())
    return writeTargetArtifacts(**module, **weights, *tokenizer, writerOptions, emitc, *target,
                                command, options.outputPath);
  return writeModelFile(**module, **weights, *tokenizer, writerOptions, options.outputPath);
}

} // namespace gemmac
