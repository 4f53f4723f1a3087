//===- SynthCheckpointTest.cpp - synthetic checkpoint vs. the reference ---===//
//
// Element values are recomputed here from the rule in synth_gemma3.py's
// docstring, and the full checkpoints are compared with the reference sha256.
//
//===----------------------------------------------------------------------===//

#include "compiler/importers/ModelConfig.h"
#include "compiler/importers/Safetensors.h"
#include "compiler/importers/TensorTable.h"
#include "compiler/synth/SynthCheckpoint.h"
#include "TempDir.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SHA256.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

using namespace gemmac;

namespace {

uint64_t key(llvm::StringRef name) {
  uint64_t h = 0xCBF29CE484222325ull;
  for (unsigned char c : ("gemmac-synth-v1/" + name).str())
    h = (h ^ c) * 0x100000001B3ull;
  return h;
}

uint64_t splitmix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/// float32 -> bf16 with round-to-nearest-even, back to float.
float roundBf16(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, 4);
  bits = (bits + 0x7FFF + ((bits >> 16) & 1)) & 0xFFFF0000u;
  std::memcpy(&value, &bits, 4);
  return value;
}

float expectedValue(llvm::StringRef name, uint64_t i, double amp) {
  uint64_t x = splitmix(key(name) + (i + 1) * 0x9E3779B97F4A7C15ull);
  double u = double(x >> 11) / 9007199254740992.0; // 2^53
  return roundBf16(float((2 * u - 1) * amp));
}

float expectedQatValue(llvm::StringRef name, uint64_t i, double amp) {
  uint64_t x = splitmix(key(name) + (i + 1) * 0x9E3779B97F4A7C15ull);
  int q = (x & 255) == 0 ? -8 : int((x >> 32) % 15) - 7;
  uint64_t g = i / 32;
  int exponent = int(std::floor(std::log2(amp / 8))) -
                 int(splitmix(key(name) ^ (g * 0xD1B54A32D192ED03ull)) & 1);
  return float(q * std::pow(2.0, exponent));
}

float element(const SafetensorsFile &file, llvm::StringRef name, uint64_t i) {
  const SafetensorsTensor *tensor = file.find(name);
  EXPECT_NE(tensor, nullptr) << name.str();
  return SafetensorsFile::toFloat(tensor->type, &tensor->bytes[2 * i]);
}

std::string readFile(const std::string &path) {
  auto buffer = llvm::MemoryBuffer::getFile(path);
  EXPECT_TRUE(bool(buffer)) << path;
  return buffer ? (*buffer)->getBuffer().str() : "";
}

SynthOptions small(bool qat) {
  SynthOptions options;
  options.layers = 2;
  options.vocab = 4096;
  options.qatGrid = qat;
  return options;
}

TEST(SynthCheckpoint, SmallVariantFollowsTheRule) {
  TempDir dir;
  ASSERT_FALSE(bool(writeSynthCheckpoint(dir.root(), small(false))));

  auto config = parseModelConfig(dir.path("config.json"));
  ASSERT_TRUE(bool(config)) << llvm::toString(config.takeError());
  EXPECT_EQ(config->numLayers, 2);
  EXPECT_EQ(config->vocabSize, 4096);
  EXPECT_EQ(readFile(dir.path("synth.json")),
            R"({"seed": "gemmac-synth-v1", "qat_grid": false})");
  std::string configText = readFile(dir.path("config.json"));
  EXPECT_EQ(configText.substr(0, 32), "{\n  \"_sliding_window_pattern\": 6");
  EXPECT_NE(configText.find("  \"rms_norm_eps\": 1e-06,\n"), std::string::npos);
  EXPECT_NE(configText.find("\"layer_types\": [\n    \"sliding_attention\",\n"
                            "    \"sliding_attention\"\n  ]\n}"),
            std::string::npos);

  auto file = SafetensorsFile::open(dir.path("model.safetensors"));
  ASSERT_TRUE(bool(file)) << llvm::toString(file.takeError());
  std::vector<TensorSpec> table = checkpointTensors(*config);
  ASSERT_EQ((*file)->tensors().size(), table.size());
  for (const TensorSpec &spec : table) {
    const SafetensorsTensor *tensor = (*file)->find(spec.name);
    ASSERT_NE(tensor, nullptr) << spec.name;
    EXPECT_EQ(tensor->shape, spec.shape) << spec.name;
    EXPECT_EQ(tensor->type, ElementType::BF16);
  }
  // Tensors are stored in name order.
  EXPECT_EQ((*file)->tensors().front().name, "model.embed_tokens.weight");
  EXPECT_EQ((*file)->tensors().back().name, "model.norm.weight");

  const SafetensorsFile &st = **file;
  EXPECT_EQ(element(st, "model.embed_tokens.weight", 0),
            expectedValue("model.embed_tokens.weight", 0, 0.05));
  EXPECT_EQ(element(st, "model.embed_tokens.weight", 4096 * 640 - 1),
            expectedValue("model.embed_tokens.weight", 4096 * 640 - 1, 0.05));
  EXPECT_EQ(element(st, "model.norm.weight", 7),
            expectedValue("model.norm.weight", 7, 0.5));
  llvm::StringRef down = "model.layers.1.mlp.down_proj.weight";
  EXPECT_EQ(element(st, down, 12345),
            expectedValue(down, 12345, std::sqrt(3.0 / 2048)));
  llvm::StringRef q = "model.layers.0.self_attn.q_proj.weight";
  EXPECT_EQ(element(st, q, 999), expectedValue(q, 999, std::sqrt(3.0 / 640)));
}

TEST(SynthCheckpoint, SmallQatVariantIsOnTheGrid) {
  TempDir dir;
  ASSERT_FALSE(bool(writeSynthCheckpoint(dir.root(), small(true))));
  EXPECT_EQ(readFile(dir.path("synth.json")),
            R"({"seed": "gemmac-synth-v1", "qat_grid": true})");
  auto file = SafetensorsFile::open(dir.path("model.safetensors"));
  ASSERT_TRUE(bool(file)) << llvm::toString(file.takeError());
  const SafetensorsFile &st = **file;

  llvm::StringRef up = "model.layers.1.mlp.up_proj.weight";
  double upAmp = std::sqrt(3.0 / 640);
  for (uint64_t i : {0, 31, 32, 777, 2048 * 640 - 1})
    EXPECT_EQ(element(st, up, i), expectedQatValue(up, i, upAmp)) << i;
  // Some element takes the rare level -8 (x & 255 == 0).
  uint64_t rare = 0;
  while (splitmix(key(up) + (rare + 1) * 0x9E3779B97F4A7C15ull) & 255)
    ++rare;
  float rareValue = element(st, up, rare);
  EXPECT_EQ(rareValue, expectedQatValue(up, rare, upAmp));
  EXPECT_LT(rareValue, 0);

  EXPECT_EQ(element(st, "model.embed_tokens.weight", 100),
            expectedQatValue("model.embed_tokens.weight", 100, 0.05));
  // 1-D tensors keep the plain rule.
  EXPECT_EQ(element(st, "model.layers.0.input_layernorm.weight", 3),
            expectedValue("model.layers.0.input_layernorm.weight", 3, 0.5));
}

TEST(SynthCheckpoint, FailureLeavesNoFiles) {
  TempDir dir;
  std::string blocker = dir.write("file", "x");
  llvm::Error error = writeSynthCheckpoint(blocker + "/sub", small(false));
  EXPECT_TRUE(bool(error));
  llvm::consumeError(std::move(error));
  SynthOptions zero;
  zero.layers = 0;
  error = writeSynthCheckpoint(dir.path("zero"), zero);
  EXPECT_TRUE(bool(error));
  llvm::consumeError(std::move(error));
  EXPECT_FALSE(llvm::sys::fs::exists(dir.path("zero/model.safetensors")));
}

std::string sha256OfFile(const std::string &path) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  EXPECT_TRUE(bool(buffer)) << path;
  if (!buffer)
    return "";
  llvm::SHA256 hash;
  hash.update((*buffer)->getBuffer());
  return llvm::toHex(hash.final(), /*LowerCase=*/true);
}

/// The full 536 MB checkpoints, against the sha256 in reference/README.md.
TEST(SynthCheckpoint, FullCheckpointsMatchReference) {
  const std::pair<bool, const char *> expected[] = {
      {false, "121b20e728eabff7952d2635019e8372c56f9440253bbe73b00c07d999475ffd"},
      {true, "f941ef571b747b251bd15780ab2c54bc18bf3e38e7f1560fcfbcb1ca01f43751"},
  };
  for (auto [qat, sha] : expected) {
    TempDir dir;
    SynthOptions options;
    options.qatGrid = qat;
    ASSERT_FALSE(bool(writeSynthCheckpoint(dir.root(), options)));
    EXPECT_EQ(sha256OfFile(dir.path("model.safetensors")), sha)
        << (qat ? "qat" : "v1");
  }
}

} // namespace
