// Test-only .gmf writer: a ModelSpec spells out every table of the file so that
// tests can corrupt any field, and makeTinyModel builds a small random Gemma 3
// (bf16, f32 or q4g32 weights, the plan the compiler emits) with a
// double-precision forward pass as the independent reference.
#ifndef GEMMAC_TEST_UNIT_RUNTIME_TINY_MODEL_H_
#define GEMMAC_TEST_UNIT_RUNTIME_TINY_MODEL_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model_generated.h"

namespace gemmac::test {

struct TensorSpec {
  std::string name;
  schema::DType dtype = schema::DType::F32;
  std::vector<int64_t> shape;
  std::vector<uint8_t> bytes;
};

struct OpSpec {
  schema::OpKind kind = schema::OpKind::NONE;
  std::vector<uint32_t> inputs, outputs;
  uint32_t weight = 0;  // tensor index (table for EmbedOp)
  float scale = 1.0f, eps = 1e-6f, theta = 10000.0f, softcap = 0.0f;
  int32_t head_dim = 0, num_heads = 0, num_kv_heads = 0, window = 0, cache = 0;
};

struct KvCacheSpec {
  schema::KvCacheKind kind = schema::KvCacheKind::Global;
  int32_t window = 0, num_kv_heads = 0, head_dim = 0;
};

struct ModelSpec {
  uint32_t format_version = 2;
  int32_t vocab_size = 0, hidden_size = 0, intermediate_size = 0, num_layers = 0, num_heads = 0,
          num_kv_heads = 0, head_dim = 0, max_context = 0, sliding_window = 0, bos_id = 2, pad_id = 0;
  std::vector<int32_t> stop_ids{1};
  std::vector<int32_t> widths;  // plan values
  std::vector<OpSpec> ops;
  uint32_t output = 0;
  std::vector<KvCacheSpec> caches;
  std::vector<TensorSpec> tensors;
  std::vector<uint8_t> tokenizer;
  uint32_t required_cpu_features = 0;
  std::string compiled_library;  // empty: none
  std::string target;            // the --target name; empty: none
  // Crafted files: the segment table and segment_base the FlatBuffer states,
  // instead of where serialize() puts the tensors (which it does regardless).
  std::optional<std::vector<schema::Segment>> segments;
  std::optional<uint64_t> segment_base;
};

/// The file bytes: the FlatBuffer, then each tensor in its own 64-aligned segment;
/// the last segment ends the file.
std::vector<uint8_t> serialize(const ModelSpec& spec);

struct TinyConfig {
  int32_t layers = 2, hidden = 64, heads = 2, kv_heads = 1, head_dim = 16, intermediate = 128;
  int32_t vocab = 100, window = 4, max_context = 64;
  int32_t global_every = 2;  // layer i is global when (i + 1) % global_every == 0
  uint32_t seed = 1;
  bool f32_weights = false;  // embedding and linear weights in f32 instead of bf16
  bool q4_weights = false;   // embedding and linear weights as q4g32 (random levels and f16 scales)
};

ModelSpec makeTinyModel(const TinyConfig& config);

/// One layer of width 16: the smallest file, for tests that load many variants of it.
ModelSpec makeSmallModel(int32_t vocab = 8);

/// Logits [ids.size(), vocab] of the model in `spec` (by tensor name, as HF's
/// Gemma3ForCausalLM computes them), in double with a plain masked attention.
std::vector<double> referenceForward(const ModelSpec& spec, const TinyConfig& config,
                                     const std::vector<int32_t>& ids);

/// The reference SentencePiece model (tokenizer.model under GEMMAC_REFERENCE_DIR)
/// cut to its first `pieces` pieces: a real tokenizer for a tiny vocabulary, every
/// id it encodes to inside it (text beyond its pieces falls back to the byte
/// pieces, ids 238..493). `pieces` of 0 or the full count: the model as it is.
std::vector<uint8_t> referenceTokenizer(int32_t pieces = 0);

/// Writes bytes to `path` (replacing the file).
void writeFile(const std::string& path, const std::vector<uint8_t>& bytes);

/// Writes bytes to a fresh file under the test temp dir and returns its path; the
/// file is removed when the test process exits (tests may remove it earlier).
std::string writeTempFile(const std::string& name, const std::vector<uint8_t>& bytes);

}  // namespace gemmac::test

#endif  // GEMMAC_TEST_UNIT_RUNTIME_TINY_MODEL_H_
