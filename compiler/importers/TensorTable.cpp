//===- TensorTable.cpp - The checkpoint tensors a config implies ----------===//

#include "compiler/importers/TensorTable.h"

namespace gemmac {

std::vector<TensorSpec> checkpointTensors(const ModelConfig &config) {
  const int64_t hidden = config.hiddenSize;
  const int64_t inter = config.intermediateSize;
  const int64_t headDim = config.headDim;
  const int64_t qOut = config.numHeads * headDim;
  const int64_t kvOut = config.numKvHeads * headDim;

  std::vector<TensorSpec> table = {
      {"model.embed_tokens.weight", TensorRole::Embedding, -1,
       {config.vocabSize, hidden}},
      {"model.norm.weight", TensorRole::FinalNorm, -1, {hidden}},
  };
  struct LayerTensor {
    const char *suffix;
    TensorRole role;
    std::vector<int64_t> shape;
  };
  const LayerTensor layerTensors[] = {
      {"input_layernorm.weight", TensorRole::InputNorm, {hidden}},
      {"post_attention_layernorm.weight", TensorRole::PostAttentionNorm,
       {hidden}},
      {"pre_feedforward_layernorm.weight", TensorRole::PreFeedforwardNorm,
       {hidden}},
      {"post_feedforward_layernorm.weight", TensorRole::PostFeedforwardNorm,
       {hidden}},
      {"self_attn.q_proj.weight", TensorRole::QProj, {qOut, hidden}},
      {"self_attn.k_proj.weight", TensorRole::KProj, {kvOut, hidden}},
      {"self_attn.v_proj.weight", TensorRole::VProj, {kvOut, hidden}},
      {"self_attn.o_proj.weight", TensorRole::OProj, {hidden, qOut}},
      {"self_attn.q_norm.weight", TensorRole::QNorm, {headDim}},
      {"self_attn.k_norm.weight", TensorRole::KNorm, {headDim}},
      {"mlp.gate_proj.weight", TensorRole::GateProj, {inter, hidden}},
      {"mlp.up_proj.weight", TensorRole::UpProj, {inter, hidden}},
      {"mlp.down_proj.weight", TensorRole::DownProj, {hidden, inter}},
  };
  for (int64_t layer = 0; layer < config.numLayers; ++layer) {
    std::string prefix = "model.layers." + std::to_string(layer) + ".";
    for (const LayerTensor &tensor : layerTensors)
      table.push_back({prefix + tensor.suffix, tensor.role, layer, tensor.shape});
  }
  return table;
}

} // namespace gemmac
