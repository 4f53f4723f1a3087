//===- ModelConfig.h - Gemma 3 model facts from config.json -----*- C++ -*-===//
//
// Every model fact the compiler uses comes from the checkpoint's config.json;
// nothing about the 270M shape is hard-coded elsewhere.
//
//===----------------------------------------------------------------------===//
#ifndef GEMMAC_COMPILER_IMPORTERS_MODELCONFIG_H
#define GEMMAC_COMPILER_IMPORTERS_MODELCONFIG_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace gemmac {

enum class LayerKind { SlidingAttention, FullAttention };

struct ModelConfig {
  std::string modelType;           // "gemma3_text" (or "gemma3" with a text_config)
  int64_t vocabSize = 0;
  int64_t hiddenSize = 0;
  int64_t intermediateSize = 0;
  int64_t numLayers = 0;
  int64_t numHeads = 0;
  int64_t numKvHeads = 0;
  int64_t headDim = 0;
  int64_t maxPositions = 0;        // max_position_embeddings
  int64_t slidingWindow = 0;
  double ropeTheta = 0;            // global layers
  double ropeLocalTheta = 0;       // sliding-window layers
  double queryPreAttnScalar = 0;   // attention scale = queryPreAttnScalar^-0.5
  double rmsNormEps = 0;
  bool tieWordEmbeddings = true;
  std::string hiddenActivation;    // "gelu_pytorch_tanh"
  std::optional<double> finalLogitSoftcap;
  std::optional<double> attnLogitSoftcap;
  int64_t bosId = 2;
  int64_t padId = 0;
  std::vector<int64_t> eosIds;     // eos_token_id, an int or a list
  std::vector<LayerKind> layerTypes; // one per layer, from layer_types (or the pattern)
};

/// Parses and validates config.json. Errors name the file and the offending key:
/// unknown model_type/architecture, missing keys, inconsistent shapes
/// (e.g. heads not dividing, layer_types of the wrong length), unsupported
/// features (rope_scaling, non-tanh activation).
llvm::Expected<ModelConfig> parseModelConfig(llvm::StringRef path);
llvm::Expected<ModelConfig> parseModelConfigText(llvm::StringRef json,
                                                 llvm::StringRef pathForErrors);

} // namespace gemmac

#endif // GEMMAC_COMPILER_IMPORTERS_MODELCONFIG_H
