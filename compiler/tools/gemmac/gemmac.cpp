//===- gemmac.cpp - The gemmac compiler driver ------------------------------===//
//
//   gemmac compile HF_DIR -o MODEL.gmf [--emit=gemma|fused|specialized|quantized|emitc|cpp|gmf]
//                  [--weights=int4|int8|bf16|f32] [--head=auto|int4|int8|bf16] [--quant=qat|naive]
//                  [--target NAME (-o is then a directory)]
//                  [--tokenizer FILE] [--disable-pass=PASS]... [--prefill-chunk N]
//                  [--max-context N]
//   gemmac synth OUT_DIR [--qat-grid] [--layers N] [--vocab V] [--seed S]
//
//===----------------------------------------------------------------------===//

#include "compiler/importers/ModelConfig.h"
#include "compiler/pipeline/Pipeline.h"
#include "compiler/synth/SynthCheckpoint.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/raw_ostream.h"

using namespace llvm;

namespace {

cl::SubCommand compileCommand("compile", "Compile a Hugging Face Gemma 3 checkpoint");
cl::opt<std::string> checkpointDir(cl::Positional, cl::desc("<checkpoint dir>"),
                                   cl::Required, cl::sub(compileCommand));
cl::opt<std::string> outputPath("o", cl::desc("Output file (the .gmf, or the IR dump)"),
                                cl::value_desc("path"), cl::sub(compileCommand));
cl::opt<gemmac::EmitStage> emitStage(
    "emit", cl::desc("What to produce"), cl::init(gemmac::EmitStage::Model),
    cl::values(clEnumValN(gemmac::EmitStage::Gemma, "gemma", "the imported gemma IR"),
               clEnumValN(gemmac::EmitStage::Fused, "fused", "the IR after the fusion passes"),
               clEnumValN(gemmac::EmitStage::Specialized, "specialized",
                          "the IR after sliding-window specialization"),
               clEnumValN(gemmac::EmitStage::Quantized, "quantized",
                          "the IR after gemma-quantize (the model file's IR)"),
               clEnumValN(gemmac::EmitStage::EmitC, "emitc", "the forward pass in the EmitC dialect"),
               clEnumValN(gemmac::EmitStage::Cpp, "cpp", "the forward pass as C++"),
               clEnumValN(gemmac::EmitStage::Model, "gmf", "the model file (default)")),
    cl::sub(compileCommand));
cl::list<std::string> disabledPasses(
    "disable-pass", cl::desc("Leave a pass out of the pipeline (repeatable), e.g. gemma-fuse-qkv"),
    cl::value_desc("pass"), cl::sub(compileCommand));
cl::opt<int64_t> prefillChunk(
    "prefill-chunk", cl::desc("Largest prefill step the ring KV caches are sized for (default 128)"),
    cl::init(128), cl::sub(compileCommand));
cl::opt<int64_t> maxContext(
    "max-context", cl::desc("Context of the full KV caches and the model (default: the config's)"),
    cl::init(0), cl::sub(compileCommand));
cl::opt<std::string> targetName(
    "target", cl::desc("Also emit and build the forward pass for this target (targets/Targets.h, "
                       "e.g. x86_64-linux); -o is then a directory"),
    cl::value_desc("name"), cl::sub(compileCommand));
cl::opt<std::string> tokenizerPath(
    "tokenizer", cl::desc("tokenizer.model or tokenizer.json (default: the checkpoint's)"),
    cl::value_desc("path"), cl::sub(compileCommand));
cl::opt<std::string> weightFormat(
    "weights", cl::desc("Storage of the projections: int4 (default), int8, bf16, f32"),
    cl::init("int4"), cl::value_desc("type"), cl::sub(compileCommand));
cl::opt<std::string> headFormat(
    "head", cl::desc("Storage of the embedding / tied LM head: auto (default: int4 when every "
                     "group is on an int4 grid, int8 otherwise), int4, int8, bf16"),
    cl::init("auto"), cl::value_desc("type"), cl::sub(compileCommand));
cl::opt<std::string> quantRule(
    "quant", cl::desc("Group rounding: qat (default: exact grids kept, least error elsewhere) "
                      "or naive (the Q4_0 rule, for comparison)"),
    cl::init("qat"), cl::value_desc("rule"), cl::sub(compileCommand));

cl::SubCommand synthCommand(
    "synth", "Write the deterministic synthetic Gemma 3 270M checkpoint of "
             "shared/reference/synth_gemma3.py, bit for bit");
cl::opt<std::string> synthDir(cl::Positional, cl::desc("<output dir>"), cl::Required,
                              cl::sub(synthCommand));
cl::opt<std::string> synthSeed("seed", cl::desc("Seed string"), cl::init("gemmac-synth-v1"),
                               cl::sub(synthCommand));
cl::opt<bool> synthQatGrid("qat-grid", cl::desc("Put every 2-D weight on a Q4_0 grid"),
                           cl::sub(synthCommand));
cl::opt<int64_t> synthLayers("layers", cl::desc("Number of layers (default 18)"),
                             cl::init(0), cl::sub(synthCommand));
cl::opt<int64_t> synthVocab("vocab", cl::desc("Vocabulary size (default 262144)"),
                            cl::init(0), cl::sub(synthCommand));

int runCompile() {
  gemmac::CompileOptions options;
  options.checkpointDir = checkpointDir;
  options.tokenizerPath = tokenizerPath;
  options.outputPath = outputPath;
  options.emit = emitStage;
  options.weights = weightFormat;
  options.head = headFormat;
  options.quant = quantRule;
  options.disabledPasses = disabledPasses;
  options.prefillChunk = prefillChunk;
  options.maxContext = maxContext;
  options.target = targetName;
  return mlir::succeeded(gemmac::compileCheckpoint(options)) ? 0 : 1;
}

int runSynth() {
  gemmac::SynthOptions options;
  options.seed = synthSeed;
  options.qatGrid = synthQatGrid;
  // The importer's bounds, so that every synthetic checkpoint compiles.
  using Limits = gemmac::ConfigLimits;
  if (synthLayers < 0 || synthLayers > Limits::kMaxLayers) {
    errs() << "gemmac synth: error: --layers " << synthLayers << " is outside [1, "
           << Limits::kMaxLayers << "]\n";
    return 1;
  }
  if (synthVocab < 0 || synthVocab > Limits::kMaxVocab) {
    errs() << "gemmac synth: error: --vocab " << synthVocab << " is outside [1, "
           << Limits::kMaxVocab << "]\n";
    return 1;
  }
  if (synthLayers > 0)
    options.layers = synthLayers;
  if (synthVocab > 0)
    options.vocab = synthVocab;
  if (Error error = gemmac::writeSynthCheckpoint(synthDir, options)) {
    errs() << "gemmac synth: error: " << toString(std::move(error)) << "\n";
    return 1;
  }
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  cl::ParseCommandLineOptions(argc, argv, "gemmac: ahead-of-time compiler for Gemma 3\n");
  if (compileCommand)
    return runCompile();
  if (synthCommand)
    return runSynth();
  errs() << "gemmac: error: expected a command (compile, synth); see gemmac --help\n";
  return 1;
}
