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

/// Upper bounds of the config values, generous for any Gemma 3 (27B has 62
/// layers, width 5376, MLP 21504, vocab 262144, context 131072). A value past
/// one is refused with the key, the value and the bound, before anything is
/// sized from it; every bound also fits the model file's 32-bit fields.
struct ConfigLimits {
  static constexpr int64_t kMaxLayers = 1024;
  static constexpr int64_t kMaxVocab = int64_t(1) << 24;
  static constexpr int64_t kMaxWidth = 65536;    // hidden, intermediate, heads x head_dim
  static constexpr int64_t kMaxHeads = 1024;     // attention and key/value heads
  static constexpr int64_t kMaxHeadDim = 4096;
  static constexpr int64_t kMaxContext = int64_t(1) << 24; // positions, sliding window
  static constexpr double kMaxRopeTheta = 1e12;
};

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
