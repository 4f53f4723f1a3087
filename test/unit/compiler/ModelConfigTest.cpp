//===- ModelConfigTest.cpp - config.json parsing and validation -----------===//

#include "compiler/importers/ModelConfig.h"
#include "TempDir.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"

#include <gtest/gtest.h>

using namespace gemmac;

namespace {

/// The config of google/gemma-3-270m (as the synthetic checkpoint writes it).
llvm::json::Object baseConfig() {
  llvm::json::Array layerTypes;
  for (int i = 0; i < 18; ++i)
    layerTypes.push_back((i + 1) % 6 ? "sliding_attention" : "full_attention");
  return llvm::json::Object{
      {"architectures", llvm::json::Array{"Gemma3ForCausalLM"}},
      {"model_type", "gemma3_text"},
      {"vocab_size", 262144},
      {"hidden_size", 640},
      {"intermediate_size", 2048},
      {"num_hidden_layers", 18},
      {"num_attention_heads", 4},
      {"num_key_value_heads", 1},
      {"head_dim", 256},
      {"max_position_embeddings", 32768},
      {"sliding_window", 512},
      {"rope_theta", 1000000.0},
      {"rope_local_base_freq", 10000.0},
      {"query_pre_attn_scalar", 256},
      {"rms_norm_eps", 1e-6},
      {"hidden_activation", "gelu_pytorch_tanh"},
      {"final_logit_softcapping", nullptr},
      {"attn_logit_softcapping", nullptr},
      {"rope_scaling", nullptr},
      {"eos_token_id", 1},
      {"layer_types", std::move(layerTypes)},
  };
}

std::string print(llvm::json::Object object) {
  return llvm::formatv("{0}", llvm::json::Value(std::move(object))).str();
}

llvm::Expected<ModelConfig> parse(llvm::json::Object object) {
  return parseModelConfigText(print(std::move(object)), "ckpt/config.json");
}

/// Parsing must fail with a message containing every one of `parts`.
void expectError(llvm::json::Object object,
                 std::initializer_list<llvm::StringRef> parts) {
  llvm::Expected<ModelConfig> config = parse(std::move(object));
  ASSERT_FALSE(bool(config)) << "expected an error";
  std::string message = llvm::toString(config.takeError());
  EXPECT_NE(message.find("ckpt/config.json"), std::string::npos) << message;
  for (llvm::StringRef part : parts)
    EXPECT_NE(message.find(part.str()), std::string::npos)
        << "'" << part.str() << "' not in: " << message;
}

TEST(ModelConfig, Gemma3_270m) {
  llvm::Expected<ModelConfig> config = parse(baseConfig());
  ASSERT_TRUE(bool(config)) << llvm::toString(config.takeError());
  EXPECT_EQ(config->modelType, "gemma3_text");
  EXPECT_EQ(config->vocabSize, 262144);
  EXPECT_EQ(config->hiddenSize, 640);
  EXPECT_EQ(config->intermediateSize, 2048);
  EXPECT_EQ(config->numLayers, 18);
  EXPECT_EQ(config->numHeads, 4);
  EXPECT_EQ(config->numKvHeads, 1);
  EXPECT_EQ(config->headDim, 256);
  EXPECT_EQ(config->maxPositions, 32768);
  EXPECT_EQ(config->slidingWindow, 512);
  EXPECT_EQ(config->ropeTheta, 1e6);
  EXPECT_EQ(config->ropeLocalTheta, 1e4);
  EXPECT_EQ(config->queryPreAttnScalar, 256);
  EXPECT_EQ(config->rmsNormEps, 1e-6);
  EXPECT_TRUE(config->tieWordEmbeddings);
  EXPECT_FALSE(config->finalLogitSoftcap.has_value());
  EXPECT_FALSE(config->attnLogitSoftcap.has_value());
  EXPECT_EQ(config->bosId, 2);
  EXPECT_EQ(config->padId, 0);
  EXPECT_EQ(config->eosIds, std::vector<int64_t>{1});
  ASSERT_EQ(config->layerTypes.size(), 18u);
  for (int i = 0; i < 18; ++i)
    EXPECT_EQ(config->layerTypes[i], (i + 1) % 6 ? LayerKind::SlidingAttention
                                                 : LayerKind::FullAttention)
        << "layer " << i;
}

TEST(ModelConfig, DefaultsAndDerivedLayerTypes) {
  llvm::json::Object object = baseConfig();
  for (llvm::StringRef key :
       {"layer_types", "rope_theta", "rope_local_base_freq", "head_dim",
        "query_pre_attn_scalar", "eos_token_id"})
    object.erase(key);
  object["sliding_window_pattern"] = 3;
  object["eos_token_id"] = llvm::json::Array{1, 106};
  llvm::Expected<ModelConfig> config = parse(std::move(object));
  ASSERT_TRUE(bool(config)) << llvm::toString(config.takeError());
  EXPECT_EQ(config->ropeTheta, 1e6);
  EXPECT_EQ(config->ropeLocalTheta, 1e4);
  EXPECT_EQ(config->headDim, 256);
  EXPECT_EQ(config->queryPreAttnScalar, 256);
  EXPECT_EQ(config->eosIds, (std::vector<int64_t>{1, 106}));
  EXPECT_EQ(config->layerTypes[1], LayerKind::SlidingAttention);
  EXPECT_EQ(config->layerTypes[2], LayerKind::FullAttention);
  EXPECT_EQ(config->layerTypes[5], LayerKind::FullAttention);
}

TEST(ModelConfig, MultimodalTextConfig) {
  llvm::json::Object text = baseConfig();
  text.erase("architectures");
  llvm::json::Object object{
      {"architectures", llvm::json::Array{"Gemma3ForConditionalGeneration"}},
      {"model_type", "gemma3"},
      {"text_config", std::move(text)}};
  llvm::Expected<ModelConfig> config = parse(std::move(object));
  ASSERT_TRUE(bool(config)) << llvm::toString(config.takeError());
  EXPECT_EQ(config->modelType, "gemma3");
  EXPECT_EQ(config->hiddenSize, 640);

  llvm::json::Object missing{{"model_type", "gemma3"}};
  expectError(std::move(missing), {"text_config"});
}

TEST(ModelConfig, RopeParameters) {
  llvm::json::Object object = baseConfig();
  object.erase("rope_theta");
  object.erase("rope_local_base_freq");
  object["rope_parameters"] = llvm::json::Object{
      {"full_attention",
       llvm::json::Object{{"rope_type", "default"}, {"rope_theta", 5e5}}},
      {"sliding_attention",
       llvm::json::Object{{"rope_type", "default"}, {"rope_theta", 2e4}}}};
  llvm::Expected<ModelConfig> config = parse(object);
  ASSERT_TRUE(bool(config)) << llvm::toString(config.takeError());
  EXPECT_EQ(config->ropeTheta, 5e5);
  EXPECT_EQ(config->ropeLocalTheta, 2e4);

  (*object["rope_parameters"].getAsObject()->getObject(
      "full_attention"))["rope_type"] = "linear";
  expectError(object, {"rope_parameters", "linear", "unsupported"});
}

TEST(ModelConfig, Errors) {
  auto with = [](llvm::StringRef key, llvm::json::Value value) {
    llvm::json::Object object = baseConfig();
    object[key] = std::move(value);
    return object;
  };
  auto without = [](llvm::StringRef key) {
    llvm::json::Object object = baseConfig();
    object.erase(key);
    return object;
  };
  expectError(with("model_type", "llama"), {"model_type", "llama"});
  expectError(with("architectures", llvm::json::Array{"LlamaForCausalLM"}),
              {"architectures", "unsupported architecture"});
  expectError(without("hidden_size"), {"hidden_size", "required key"});
  expectError(without("model_type"), {"model_type", "required key"});
  expectError(with("hidden_size", "640"), {"hidden_size", "integer"});
  expectError(with("vocab_size", -5), {"vocab_size", "positive"});
  // 2^63 as a double does not fit in int64_t (found by the config fuzzer).
  expectError(with("vocab_size", 0x1p63), {"vocab_size", "integer"});
  expectError(with("rms_norm_eps", "small"), {"rms_norm_eps", "number"});
  expectError(with("num_key_value_heads", 3),
              {"num_key_value_heads", "does not divide"});
  expectError(with("num_hidden_layers", 17),
              {"layer_types", "18 entries", "num_hidden_layers is 17"});
  llvm::json::Object badTypes = baseConfig();
  (*badTypes.getArray("layer_types"))[4] = "chunked_attention";
  expectError(std::move(badTypes), {"layer_types", "entry 4"});
  expectError(with("hidden_activation", "gelu"),
              {"hidden_activation", "unsupported"});
  expectError(with("rope_scaling",
                   llvm::json::Object{{"rope_type", "linear"}, {"factor", 8}}),
              {"rope_scaling", "unsupported"});
  expectError(with("tie_word_embeddings", false),
              {"tie_word_embeddings", "unsupported"});
  expectError(with("eos_token_id", "one"), {"eos_token_id"});
}

TEST(ModelConfig, FileErrors) {
  TempDir dir;
  llvm::Expected<ModelConfig> missing = parseModelConfig(dir.path("nope.json"));
  ASSERT_FALSE(bool(missing));
  std::string message = llvm::toString(missing.takeError());
  EXPECT_NE(message.find("nope.json"), std::string::npos) << message;

  std::string bad = dir.write("config.json", "{\n  \"model_type\": ,\n}");
  llvm::Expected<ModelConfig> invalid = parseModelConfig(bad);
  ASSERT_FALSE(bool(invalid));
  message = llvm::toString(invalid.takeError());
  EXPECT_NE(message.find(bad), std::string::npos) << message;
  EXPECT_NE(message.find("invalid JSON"), std::string::npos) << message;
  EXPECT_NE(message.find("[2:"), std::string::npos) << "no position: " << message;
}

} // namespace
