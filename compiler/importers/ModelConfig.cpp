//===- ModelConfig.cpp - Parse and validate a Gemma 3 config.json ---------===//
//
// Mirrors Hugging Face's Gemma3TextConfig: absent optional keys take its
// defaults, but the keys that fix tensor shapes are required, because a
// silently defaulted shape (HF's defaults describe the 4B model) would only
// surface later as a confusing tensor mismatch.
//
//===----------------------------------------------------------------------===//

#include "compiler/importers/ModelConfig.h"
#include "compiler/importers/JsonInteger.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"

#include <cmath>

using namespace llvm;

namespace gemmac {
namespace {

std::string formatNumber(double value) {
  std::string text;
  llvm::raw_string_ostream(text) << llvm::format("%g", value);
  return text;
}

/// Typed access to one JSON object; every error names the file and the key.
class ConfigReader {
public:
  ConfigReader(const json::Object &object, StringRef path, std::string prefix)
      : object(object), path(path), prefix(std::move(prefix)) {}

  Error error(StringRef key, const Twine &message) const {
    return createStringError(inconvertibleErrorCode(), "%s: key '%s%s': %s",
                             path.str().c_str(), prefix.c_str(),
                             key.str().c_str(), message.str().c_str());
  }

  bool has(StringRef key) const {
    const json::Value *value = object.get(key);
    return value && value->kind() != json::Value::Null;
  }
  const json::Value *get(StringRef key) const { return object.get(key); }

  Error readInt(StringRef key, int64_t &out, std::optional<int64_t> def) const {
    if (!has(key))
      return missingOr(key, out, def);
    std::optional<int64_t> value = getJsonInteger(*object.get(key));
    if (!value)
      return error(key, "expected an integer");
    out = *value;
    return Error::success();
  }

  Error readPositiveInt(StringRef key, int64_t &out,
                        std::optional<int64_t> def = std::nullopt) const {
    if (Error err = readInt(key, out, def))
      return err;
    if (out <= 0)
      return error(key, "must be positive, got " + Twine(out));
    return Error::success();
  }

  /// A positive integer of at most `max`: config values size tensors, caches
  /// and loops, so an absurd one is refused before anything is sized from it.
  Error readBoundedInt(StringRef key, int64_t &out, int64_t max,
                       std::optional<int64_t> def = std::nullopt) const {
    if (Error err = readPositiveInt(key, out, def))
      return err;
    return checkAtMost(key, out, max);
  }

  Error checkAtMost(StringRef key, int64_t value, int64_t max) const {
    if (value > max)
      return error(key, Twine(value) + " is above the limit of " + Twine(max));
    return Error::success();
  }

  /// A finite number in (0, max] (e.g. a RoPE base); `what` names a nested
  /// field of the key.
  Error checkPositiveFinite(StringRef key, double value, double max,
                            StringRef what = "") const {
    if (!std::isfinite(value) || value <= 0 || value > max)
      return error(key, what + "must be a finite number in (0, " +
                            formatNumber(max) + "], got " +
                            formatNumber(value));
    return Error::success();
  }

  Error readNumber(StringRef key, double &out, std::optional<double> def) const {
    if (!has(key))
      return missingOr(key, out, def);
    std::optional<double> value = object.get(key)->getAsNumber();
    if (!value)
      return error(key, "expected a number");
    if (!std::isfinite(*value))
      return error(key, "expected a finite number, got " + formatNumber(*value));
    out = *value;
    return Error::success();
  }

  /// A number or null (absent means null).
  Error readOptionalNumber(StringRef key, std::optional<double> &out) const {
    if (!has(key))
      return Error::success();
    double value;
    if (Error err = readNumber(key, value, std::nullopt))
      return err;
    out = value;
    return Error::success();
  }

  Error readString(StringRef key, std::string &out,
                   std::optional<StringRef> def) const {
    if (!has(key))
      return missingOr(key, out, def);
    std::optional<StringRef> value = object.get(key)->getAsString();
    if (!value)
      return error(key, "expected a string");
    out = value->str();
    return Error::success();
  }

  Error readBool(StringRef key, bool &out, bool def) const {
    if (!has(key)) {
      out = def;
      return Error::success();
    }
    std::optional<bool> value = object.get(key)->getAsBoolean();
    if (!value)
      return error(key, "expected true or false");
    out = *value;
    return Error::success();
  }

private:
  template <typename T, typename D>
  Error missingOr(StringRef key, T &out, std::optional<D> def) const {
    if (!def)
      return error(key, "required key is missing");
    out = T(*def);
    return Error::success();
  }

  const json::Object &object;
  StringRef path;
  std::string prefix; // "text_config." inside a multimodal config
};

Error readEosIds(const ConfigReader &reader, std::vector<int64_t> &out) {
  const json::Value *value = reader.get("eos_token_id");
  if (!value || value->kind() == json::Value::Null) {
    out = {1};
    return Error::success();
  }
  if (std::optional<int64_t> id = getJsonInteger(*value)) {
    out = {*id};
    return Error::success();
  }
  const json::Array *array = value->getAsArray();
  if (!array || array->empty())
    return reader.error("eos_token_id", "expected an integer or a non-empty "
                                        "list of integers");
  for (const json::Value &element : *array) {
    std::optional<int64_t> id = getJsonInteger(element);
    if (!id)
      return reader.error("eos_token_id", "expected a list of integers");
    out.push_back(*id);
  }
  return Error::success();
}

Error readLayerTypes(const ConfigReader &reader, ModelConfig &config) {
  if (!reader.has("layer_types")) {
    // Older configs give the period of global layers instead.
    int64_t pattern = 6;
    StringRef key = reader.has("sliding_window_pattern")
                        ? "sliding_window_pattern"
                        : "_sliding_window_pattern";
    if (Error err = reader.readPositiveInt(key, pattern, 6))
      return err;
    for (int64_t i = 0; i < config.numLayers; ++i)
      config.layerTypes.push_back((i + 1) % pattern == 0
                                      ? LayerKind::FullAttention
                                      : LayerKind::SlidingAttention);
    return Error::success();
  }
  const json::Array *array = reader.get("layer_types")->getAsArray();
  if (!array)
    return reader.error("layer_types", "expected a list of strings");
  if (int64_t(array->size()) != config.numLayers)
    return reader.error("layer_types",
                        "has " + Twine(array->size()) +
                            " entries but num_hidden_layers is " +
                            Twine(config.numLayers));
  for (auto [i, element] : llvm::enumerate(*array)) {
    std::optional<StringRef> name = element.getAsString();
    if (name == "sliding_attention")
      config.layerTypes.push_back(LayerKind::SlidingAttention);
    else if (name == "full_attention")
      config.layerTypes.push_back(LayerKind::FullAttention);
    else
      return reader.error("layer_types",
                          "entry " + Twine(i) +
                              " is not \"sliding_attention\" or "
                              "\"full_attention\"");
  }
  return Error::success();
}

/// One entry of transformers-5 `rope_parameters`; only plain RoPE is supported.
Error readRopeParameters(const ConfigReader &reader, StringRef layerType,
                         double &theta) {
  const json::Object *all = reader.get("rope_parameters")->getAsObject();
  if (!all)
    return reader.error("rope_parameters", "expected an object");
  const json::Object *params = all->getObject(layerType);
  if (!params)
    return reader.error("rope_parameters",
                        "missing the \"" + layerType + "\" entry");
  std::string type;
  if (std::optional<StringRef> ropeType = params->getString("rope_type"))
    type = ropeType->str();
  if (!type.empty() && type != "default")
    return reader.error("rope_parameters",
                        Twine(layerType) + ".rope_type \"" + type +
                            "\" is unsupported (only \"default\" RoPE)");
  std::optional<double> value;
  if (const json::Value *v = params->get("rope_theta"))
    value = v->getAsNumber();
  if (!value)
    return reader.error("rope_parameters",
                        Twine(layerType) + ".rope_theta must be a number");
  theta = *value;
  return reader.checkPositiveFinite(
      "rope_parameters", theta, ConfigLimits::kMaxRopeTheta,
      (layerType + ".rope_theta ").str());
}

Error readRope(const ConfigReader &reader, ModelConfig &config) {
  if (reader.has("rope_scaling"))
    return reader.error("rope_scaling",
                        "RoPE scaling is unsupported (expected null)");
  if (reader.has("rope_parameters")) {
    if (Error err =
            readRopeParameters(reader, "full_attention", config.ropeTheta))
      return err;
    return readRopeParameters(reader, "sliding_attention",
                              config.ropeLocalTheta);
  }
  if (Error err = reader.readNumber("rope_theta", config.ropeTheta, 1e6))
    return err;
  if (Error err = reader.checkPositiveFinite("rope_theta", config.ropeTheta,
                                             ConfigLimits::kMaxRopeTheta))
    return err;
  if (Error err = reader.readNumber("rope_local_base_freq",
                                    config.ropeLocalTheta, 1e4))
    return err;
  return reader.checkPositiveFinite("rope_local_base_freq",
                                    config.ropeLocalTheta,
                                    ConfigLimits::kMaxRopeTheta);
}

Error checkArchitectures(const ConfigReader &reader) {
  if (!reader.has("architectures"))
    return Error::success();
  const json::Array *array = reader.get("architectures")->getAsArray();
  if (!array)
    return reader.error("architectures", "expected a list of strings");
  for (const json::Value &element : *array) {
    std::optional<StringRef> name = element.getAsString();
    if (name != "Gemma3ForCausalLM" && name != "Gemma3ForConditionalGeneration")
      return reader.error("architectures",
                          "unsupported architecture (expected "
                          "Gemma3ForCausalLM or "
                          "Gemma3ForConditionalGeneration)");
  }
  return Error::success();
}

/// A token id the config names (BOS, PAD, an EOS) must be a row of the
/// embedding table.
Error checkTokenId(const ConfigReader &reader, StringRef key, int64_t id,
                   int64_t vocabSize) {
  if (id < 0 || id >= vocabSize)
    return reader.error(key, Twine(id) + " is outside the vocabulary [0, " +
                                 Twine(vocabSize) + ")");
  return Error::success();
}

Error readShape(const ConfigReader &reader, ModelConfig &config) {
  using L = ConfigLimits;
  if (Error err =
          reader.readBoundedInt("vocab_size", config.vocabSize, L::kMaxVocab))
    return err;
  if (Error err = reader.readBoundedInt("hidden_size", config.hiddenSize,
                                        L::kMaxWidth))
    return err;
  if (Error err = reader.readBoundedInt(
          "intermediate_size", config.intermediateSize, L::kMaxWidth))
    return err;
  if (Error err = reader.readBoundedInt("num_hidden_layers", config.numLayers,
                                        L::kMaxLayers))
    return err;
  if (Error err = reader.readBoundedInt("num_attention_heads", config.numHeads,
                                        L::kMaxHeads))
    return err;
  if (Error err = reader.readBoundedInt("num_key_value_heads",
                                        config.numKvHeads, L::kMaxHeads))
    return err;
  if (config.numHeads % config.numKvHeads != 0)
    return reader.error("num_key_value_heads",
                        Twine(config.numKvHeads) +
                            " does not divide num_attention_heads (" +
                            Twine(config.numHeads) + ")");
  if (Error err = reader.readBoundedInt("head_dim", config.headDim,
                                        L::kMaxHeadDim, 256))
    return err;
  // The query projection's width; the key/value one is no wider.
  if (config.numHeads * config.headDim > L::kMaxWidth)
    return reader.error("head_dim",
                        "num_attention_heads x head_dim = " +
                            Twine(config.numHeads) + " x " +
                            Twine(config.headDim) + " = " +
                            Twine(config.numHeads * config.headDim) +
                            " is above the width limit of " +
                            Twine(L::kMaxWidth));
  if (Error err = reader.readBoundedInt("max_position_embeddings",
                                        config.maxPositions, L::kMaxContext,
                                        131072))
    return err;
  return reader.readBoundedInt("sliding_window", config.slidingWindow,
                               L::kMaxContext, 4096);
}

Error readTextConfig(const ConfigReader &reader, ModelConfig &config) {
  if (Error err = readShape(reader, config))
    return err;
  if (Error err = readRope(reader, config))
    return err;
  if (Error err = reader.readNumber("query_pre_attn_scalar",
                                    config.queryPreAttnScalar, 256))
    return err;
  if (config.queryPreAttnScalar <= 0)
    return reader.error("query_pre_attn_scalar", "must be positive");
  if (Error err = reader.readNumber("rms_norm_eps", config.rmsNormEps, 1e-6))
    return err;
  if (config.rmsNormEps < 0)
    return reader.error("rms_norm_eps", "must not be negative, got " +
                                            formatNumber(config.rmsNormEps));
  if (Error err = reader.readBool("tie_word_embeddings",
                                  config.tieWordEmbeddings, true))
    return err;
  if (!config.tieWordEmbeddings)
    return reader.error("tie_word_embeddings",
                        "an untied LM head is unsupported (expected true)");
  if (Error err = reader.readString("hidden_activation",
                                    config.hiddenActivation,
                                    StringRef("gelu_pytorch_tanh")))
    return err;
  if (config.hiddenActivation != "gelu_pytorch_tanh" &&
      config.hiddenActivation != "gelu_tanh")
    return reader.error("hidden_activation",
                        "\"" + config.hiddenActivation +
                            "\" is unsupported (expected gelu_pytorch_tanh)");
  for (StringRef key : {"attention_bias", "use_bidirectional_attention"}) {
    bool enabled;
    if (Error err = reader.readBool(key, enabled, false))
      return err;
    if (enabled)
      return reader.error(key, "true is unsupported (expected false)");
  }
  if (Error err = reader.readOptionalNumber("final_logit_softcapping",
                                            config.finalLogitSoftcap))
    return err;
  if (Error err = reader.readOptionalNumber("attn_logit_softcapping",
                                            config.attnLogitSoftcap))
    return err;
  if (Error err = reader.readInt("bos_token_id", config.bosId, 2))
    return err;
  if (Error err = reader.readInt("pad_token_id", config.padId, 0))
    return err;
  if (Error err = readEosIds(reader, config.eosIds))
    return err;
  if (Error err =
          checkTokenId(reader, "bos_token_id", config.bosId, config.vocabSize))
    return err;
  if (Error err =
          checkTokenId(reader, "pad_token_id", config.padId, config.vocabSize))
    return err;
  for (int64_t id : config.eosIds)
    if (Error err =
            checkTokenId(reader, "eos_token_id", id, config.vocabSize))
      return err;
  return readLayerTypes(reader, config);
}

} // namespace

Expected<ModelConfig> parseModelConfigText(StringRef text,
                                           StringRef pathForErrors) {
  Expected<json::Value> root = json::parse(text);
  if (!root)
    return createStringError(inconvertibleErrorCode(),
                             "%s: invalid JSON: %s", pathForErrors.str().c_str(),
                             toString(root.takeError()).c_str());
  const json::Object *object = root->getAsObject();
  if (!object)
    return createStringError(inconvertibleErrorCode(),
                             "%s: expected a JSON object at the top level",
                             pathForErrors.str().c_str());

  ConfigReader top(*object, pathForErrors, "");
  ModelConfig config;
  if (Error err = top.readString("model_type", config.modelType, std::nullopt))
    return std::move(err);
  if (Error err = checkArchitectures(top))
    return std::move(err);
  if (config.modelType == "gemma3_text") {
    if (Error err = readTextConfig(top, config))
      return std::move(err);
    return config;
  }
  if (config.modelType != "gemma3")
    return top.error("model_type", "\"" + config.modelType +
                                       "\" is unsupported (expected "
                                       "gemma3_text or gemma3)");
  // A multimodal checkpoint: the language model's facts are in text_config.
  const json::Object *textConfig = object->getObject("text_config");
  if (!textConfig)
    return top.error("text_config",
                     "a gemma3 config needs a text_config object");
  ConfigReader textReader(*textConfig, pathForErrors, "text_config.");
  if (Error err = readTextConfig(textReader, config))
    return std::move(err);
  return config;
}

Expected<ModelConfig> parseModelConfig(StringRef path) {
  ErrorOr<std::unique_ptr<MemoryBuffer>> buffer =
      MemoryBuffer::getFile(path, /*IsText=*/true);
  if (!buffer)
    return createStringError(buffer.getError(), "%s: cannot read: %s",
                             path.str().c_str(),
                             buffer.getError().message().c_str());
  return parseModelConfigText((*buffer)->getBuffer(), path);
}

} // namespace gemmac
