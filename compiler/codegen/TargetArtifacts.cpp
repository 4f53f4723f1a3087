//===- TargetArtifacts.cpp - `gemmac compile --target T -o OUT/` ----------===//

#include "compiler/codegen/TargetArtifacts.h"

#include "compiler/codegen/CppEmission.h"
#include "dialects/gemma/IR/GemmaOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/ToolOutputFile.h"

using namespace mlir;

namespace gemmac {

EmitCOptions emitCOptionsFor(ModuleOp module, int64_t prefillChunk, const gemmac_target *target) {
  EmitCOptions options;
  options.maxTokens = prefillChunk;
  if (target)
    options.kernelVariant = target->kernel_variant;
  module.walk([&](gemma::EmbedOp embed) {
    auto table = embed.getTable().getDefiningOp<gemma::WeightOp>();
    Type element = cast<RankedTensorType>(embed.getTable().getType()).getElementType();
    // As the model writer stores it: gemma-quantize's choice, else the
    // checkpoint's type (f16 widened to f32).
    if (table && table.getStorage())
      options.embedTable = table.getStorage()->str();
    else
      options.embedTable = element.isBF16() ? "bf16" : "f32";
  });
  return options;
}

LogicalResult emitForwardPass(ModuleOp module, const EmitCOptions &options, bool cpp,
                              llvm::StringRef command, llvm::StringRef outputPath) {
  auto emitc = lowerToEmitC(module, options);
  if (failed(emitc))
    return failure();
  std::string error;
  auto output = openOutputFile(outputPath.empty() ? "-" : outputPath, &error);
  if (!output) {
    llvm::errs() << "gemmac: error: " << error << "\n";
    return failure();
  }
  if (cpp) {
    if (failed(emitCpp(**emitc, command, output->os())))
      return failure();
  } else {
    (*emitc)->print(output->os());
  }
  output->keep();
  return success();
}

LogicalResult writeTargetArtifacts(ModuleOp module, const SafetensorsFile &weights,
                                   llvm::StringRef tokenizerModel, ModelWriterOptions writerOptions,
                                   EmitCOptions options, const gemmac_target &target,
                                   llvm::StringRef command, llvm::StringRef outDir) {
  // A directory made here goes again on failure (removal fails if not empty).
  bool madeDir = !llvm::sys::fs::exists(outDir);
  if (std::error_code ec = llvm::sys::fs::create_directories(outDir)) {
    llvm::errs() << "gemmac: error: cannot create " << outDir << ": " << ec.message() << "\n";
    return failure();
  }
  auto inOut = [&](const llvm::Twine &name) {
    llvm::SmallString<256> path(outDir);
    llvm::sys::path::append(path, name);
    return std::string(path);
  };
  std::string model = inOut("model.gmf");
  std::string source = inOut(llvm::Twine("model_") + target.name + ".cc");
  std::string libraryName = (llvm::Twine("libmodel_") + target.name +
                             (target.library == GEMMAC_TARGET_STATIC ? ".a" : ".so"))
                                .str();
  std::string library = inOut(libraryName);
  // The model file comes first: the code bakes in its weight offsets and the
  // digest of its plan part. Source and library are built under temporary
  // names and renamed once everything succeeded.
  std::string sourceTmp = source + ".tmp", libraryTmp = library + ".tmp";
  auto cleanup = [&] {
    llvm::sys::fs::remove(model);
    llvm::sys::fs::remove(sourceTmp);
    llvm::sys::fs::remove(libraryTmp);
    if (madeDir)
      llvm::sys::fs::remove(outDir);
    return failure();
  };
  writerOptions.requiredCpuFeatures = target.cpu_features;
  writerOptions.compiledLibrary = libraryName;
  writerOptions.target = target.name;
  ModelImage image;
  if (failed(writeModelFile(module, weights, tokenizerModel, writerOptions, model, &image)))
    return cleanup();
  options.image = &image;
  if (failed(emitForwardPass(module, options, /*cpp=*/true, command, sourceTmp)) ||
      failed(buildTargetLibrary(target, sourceTmp, libraryTmp)))
    return cleanup();
  if (llvm::sys::fs::rename(sourceTmp, source) || llvm::sys::fs::rename(libraryTmp, library)) {
    llvm::errs() << "gemmac: error: cannot rename the artifacts into " << outDir << "\n";
    return cleanup();
  }
  return success();
}

} // namespace gemmac
