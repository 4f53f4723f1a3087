//===- TensorTable.h - The checkpoint tensors a config implies ----*- C++ -*-===//
//
// A declarative table (like gemma.cpp's) of every tensor a Gemma 3 text
// checkpoint holds, with its Hugging Face name and shape, derived from the
// config. The importer checks a safetensors file against it; the synthetic
// checkpoint writer generates exactly it.
//
//===----------------------------------------------------------------------===//
#ifndef GEMMAC_COMPILER_IMPORTERS_TENSORTABLE_H
#define GEMMAC_COMPILER_IMPORTERS_TENSORTABLE_H

#include "compiler/importers/ModelConfig.h"

#include <cstdint>
#include <string>
#include <vector>

namespace gemmac {

/// What a tensor is for; the importer maps roles to gemma ops.
enum class TensorRole {
  Embedding, FinalNorm,
  InputNorm, PostAttentionNorm, PreFeedforwardNorm, PostFeedforwardNorm,
  QProj, KProj, VProj, OProj, QNorm, KNorm,
  GateProj, UpProj, DownProj,
};

struct TensorSpec {
  std::string name;            // e.g. "model.layers.3.self_attn.q_proj.weight"
  TensorRole role;
  int64_t layer = -1;          // -1 for model-level tensors
  std::vector<int64_t> shape;  // row-major; linear weights are [out, in]
};

/// The tensors of the checkpoint, model-level first, then layer by layer.
std::vector<TensorSpec> checkpointTensors(const ModelConfig &config);

} // namespace gemmac

#endif // GEMMAC_COMPILER_IMPORTERS_TENSORTABLE_H
