// gemmac_model_load on good and broken .gmf files: every failure is a status
// with the right code and a message naming the problem, never a crash.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>
#include <string>

#include "gemmac/gemmac.h"
#include "targets/CpuFeatures.h"
#include "tiny_model.h"

namespace gemmac::test {
namespace {

struct LoadResult {
  gemmac_status_code code;
  std::string message;
};

LoadResult loadBytes(const std::vector<uint8_t>& bytes, const char* name = "model.gmf") {
  std::string path = writeTempFile(name, bytes);
  gemmac_model* model = nullptr;
  gemmac_status status = gemmac_model_load(path.c_str(), &model);
  LoadResult result{gemmac_status_get_code(status), gemmac_status_get_message(status)};
  gemmac_status_free(status);
  gemmac_model_free(model);
  std::remove(path.c_str());
  return result;
}

TEST(Loader, LoadsAGoodModel) {
  ModelSpec spec = makeTinyModel(TinyConfig{});
  std::string path = writeTempFile("good.gmf", serialize(spec));
  gemmac_model* model = nullptr;
  gemmac_status status = gemmac_model_load(path.c_str(), &model);
  ASSERT_EQ(status, nullptr) << gemmac_status_get_message(status);
  gemmac_model_info info;
  ASSERT_EQ(gemmac_model_get_info(model, &info), nullptr);
  EXPECT_EQ(info.vocab_size, 100);
  EXPECT_EQ(info.hidden_size, 64);
  EXPECT_EQ(info.num_layers, 2);
  EXPECT_EQ(info.max_context, 64);
  EXPECT_EQ(info.sliding_window, 4);
  EXPECT_EQ(info.bos_id, 2);
  gemmac_model_free(model);
  std::remove(path.c_str());
}

TEST(Loader, LoadsTheEmbeddedTokenizer) {
  ModelSpec spec = makeSmallModel(512);
  spec.tokenizer = referenceTokenizer(512);
  std::string path = writeTempFile("tokenizer.gmf", serialize(spec));
  gemmac_model* model = nullptr;
  gemmac_status status = gemmac_model_load(path.c_str(), &model);
  ASSERT_EQ(status, nullptr) << gemmac_status_get_message(status);
  size_t count = 0;
  status = gemmac_model_tokenize(model, "Hello", 5, nullptr, 0, &count);
  EXPECT_EQ(status, nullptr) << gemmac_status_get_message(status);
  EXPECT_GT(count, 0u);
  gemmac_model_free(model);
  std::remove(path.c_str());

  spec.tokenizer = {1, 2, 3};
  LoadResult broken = loadBytes(serialize(spec));
  EXPECT_EQ(broken.code, GEMMAC_DATA_LOSS);
  EXPECT_NE(broken.message.find("tokenizer"), std::string::npos) << broken.message;
}

// Every id the tokenizer can encode to must have an embedding row: a tokenizer
// of more pieces than the vocabulary is refused at load, naming both numbers.
TEST(Loader, RefusesATokenizerLargerThanTheVocabulary) {
  ModelSpec spec = makeSmallModel(512);
  spec.tokenizer = referenceTokenizer();
  LoadResult result = loadBytes(serialize(spec));
  EXPECT_EQ(result.code, GEMMAC_DATA_LOSS);
  EXPECT_NE(result.message.find("the embedded tokenizer has 262144 pieces but the model's vocabulary has 512 ids"),
            std::string::npos)
      << result.message;
}

TEST(Loader, MissingFile) {
  gemmac_model* model = nullptr;
  gemmac_status status = gemmac_model_load("/nonexistent/dir/model.gmf", &model);
  EXPECT_EQ(gemmac_status_get_code(status), GEMMAC_NOT_FOUND);
  EXPECT_NE(std::string(gemmac_status_get_message(status)).find("/nonexistent/dir/model.gmf"), std::string::npos);
  EXPECT_EQ(model, nullptr);
  gemmac_status_free(status);
}

TEST(Loader, WrongIdentifier) {
  std::vector<uint8_t> bytes = serialize(makeSmallModel());
  std::memcpy(&bytes[4], "GGUF", 4);
  LoadResult result = loadBytes(bytes, "ident.gmf");
  EXPECT_EQ(result.code, GEMMAC_DATA_LOSS);
  EXPECT_NE(result.message.find("not a gemmac model file"), std::string::npos) << result.message;
  EXPECT_NE(result.message.find("ident.gmf"), std::string::npos) << result.message;
}

TEST(Loader, UnknownVersion) {
  ModelSpec spec = makeSmallModel();
  spec.format_version = 3;
  LoadResult result = loadBytes(serialize(spec));
  EXPECT_EQ(result.code, GEMMAC_UNIMPLEMENTED);
  EXPECT_NE(result.message.find("format version 3"), std::string::npos) << result.message;
}

// The message names the target, what it needs and what this CPU lacks. Run
// under `qemu-aarch64 -cpu cortex-a53` with GEMMAC_TEST_CPU_LACKS=dotprod, the
// test asks for an AArch64 feature that CPU model lacks (the suite's qemu.*
// tests); otherwise for a feature of the other architecture.
TEST(Loader, RefusesACpuWithoutTheCompiledFeatures) {
  ModelSpec spec = makeSmallModel();
  spec.target = "some-target";
#if defined(__x86_64__)
  spec.required_cpu_features = GEMMAC_CPU_ARM_NEON | GEMMAC_CPU_ARM_DOTPROD;
  const char* needs = "neon, dotprod";
  const char* missing = "lacks neon, dotprod";
#else
  const char* lacks = std::getenv("GEMMAC_TEST_CPU_LACKS");
  const bool dotprod = lacks && std::string(lacks) == "dotprod";
  spec.required_cpu_features = dotprod ? GEMMAC_CPU_ARM_NEON | GEMMAC_CPU_ARM_DOTPROD : GEMMAC_CPU_X86_AVX2;
  const char* needs = dotprod ? "neon, dotprod" : "avx2";
  const char* missing = dotprod ? "aarch64 CPU lacks dotprod " : "lacks avx2";
#endif
  LoadResult result = loadBytes(serialize(spec));
  EXPECT_EQ(result.code, GEMMAC_UNIMPLEMENTED);
  EXPECT_NE(result.message.find("compiled for target 'some-target'"), std::string::npos) << result.message;
  EXPECT_NE(result.message.find(std::string("needs CPU features ") + needs + ";"), std::string::npos)
      << result.message;
  EXPECT_NE(result.message.find(missing), std::string::npos) << result.message;
}

TEST(Loader, RunsPortablyWithoutTheNamedLibrary) {
  ModelSpec spec = makeSmallModel();
  spec.compiled_library = "libmodel_nowhere.so";
  std::string path = writeTempFile("named.gmf", serialize(spec));
  gemmac_model* model = nullptr;
  ASSERT_EQ(gemmac_model_load(path.c_str(), &model), nullptr);
  EXPECT_STREQ(gemmac_model_get_executor(model), "portable");
  gemmac_model_free(model);
  std::remove(path.c_str());
}

TEST(Loader, RefusesALibraryThatIsNotACompiledForwardPass) {
  ModelSpec spec = makeSmallModel();
  // Found beside the model file, which writeTempFile puts in the same directory.
  std::string library = writeTempFile("libmodel_garbage.so", std::vector<uint8_t>(64, 0x5a));
  spec.compiled_library = library.substr(library.rfind('/') + 1);
  LoadResult result = loadBytes(serialize(spec));
  std::remove(library.c_str());
  EXPECT_EQ(result.code, GEMMAC_DATA_LOSS);
  EXPECT_NE(result.message.find("cannot load the compiled forward pass"), std::string::npos) << result.message;
}

// Code is loaded only from a bare file name beside the model, whatever a
// crafted file names: a path elsewhere is refused before anything is opened.
TEST(Loader, RefusesALibraryNameThatIsAPath) {
  for (const char* name : {"../libmodel_x86_64-avx2.so", "/tmp/libmodel.so", "sub/libmodel.so", "..", "."}) {
    ModelSpec spec = makeSmallModel();
    spec.compiled_library = name;
    LoadResult result = loadBytes(serialize(spec));
    EXPECT_EQ(result.code, GEMMAC_DATA_LOSS) << name;
    EXPECT_NE(result.message.find("is not a bare file name"), std::string::npos) << result.message;
  }
}

// A NUL inside the name (the FlatBuffer string holds it) would cut the path
// dlopen sees: refused as well.
TEST(Loader, RefusesALibraryNameWithANul) {
  ModelSpec spec = makeSmallModel();
  spec.compiled_library = "libmodel_x.so";
  std::vector<uint8_t> bytes = serialize(spec);
  const flatbuffers::String* name = schema::GetModel(bytes.data())->compiled_library();
  bytes[static_cast<size_t>(reinterpret_cast<const uint8_t*>(name->c_str()) - bytes.data()) + 9] = '\0';
  LoadResult result = loadBytes(bytes);
  EXPECT_EQ(result.code, GEMMAC_DATA_LOSS);
  EXPECT_NE(result.message.find("is not a bare file name"), std::string::npos) << result.message;
}

// A model opened by a relative path without a directory still finds its
// library beside it (in the working directory), never through dlopen's
// search of LD_LIBRARY_PATH and the system's directories: here a garbage file
// named libm.so.6 stands beside the model, and the system's libm is not loaded.
TEST(Loader, LooksForTheLibraryOnlyBesideAModelOpenedWithoutADirectory) {
  const char* tmp = std::getenv("TMPDIR");
  std::string directory = std::string(tmp ? tmp : "/tmp") + "/gemmac_loader_XXXXXX";
  ASSERT_NE(mkdtemp(directory.data()), nullptr);
  ModelSpec spec = makeSmallModel();
  spec.compiled_library = "libm.so.6";
  const std::string model = directory + "/model.gmf", library = directory + "/libm.so.6";
  writeFile(model, serialize(spec));
  writeFile(library, std::vector<uint8_t>(64, 0x5a));
  char previous[4096];
  ASSERT_NE(getcwd(previous, sizeof(previous)), nullptr);
  ASSERT_EQ(chdir(directory.c_str()), 0);
  gemmac_model* loaded = nullptr;
  gemmac_status status = gemmac_model_load("model.gmf", &loaded);
  ASSERT_EQ(chdir(previous), 0);
  std::string message = gemmac_status_get_message(status);
  EXPECT_EQ(gemmac_status_get_code(status), GEMMAC_DATA_LOSS);
  EXPECT_NE(message.find("./libm.so.6: cannot load the compiled forward pass"), std::string::npos) << message;
  gemmac_status_free(status);
  gemmac_model_free(loaded);
  std::remove(model.c_str());
  std::remove(library.c_str());
  rmdir(directory.c_str());
}

// Crafted files: every number the loader takes from the file, set to what a
// crafted file could state. Each is refused with a message naming the problem
// before anything is read where it points. (Reads of the mapping past the
// file's end are caught by the fuzz target, which loads a heap copy under
// AddressSanitizer; here the messages show which check caught each case.)
TEST(Loader, CraftedNumbersAreRefusedByName) {
  static constexpr uint64_t kWraps = ~uint64_t{63};  // 64-aligned; wraps any addition of a size
  static constexpr uint64_t kSame = ~uint64_t{0};    // keep the field as serialize() states it
  struct Case {
    const char* what;
    std::function<void(ModelSpec*)> craft;
    const char* expected;
  };
  auto segment = [](uint32_t index, uint64_t offset, uint64_t size) {
    return [=](ModelSpec* s) {
      std::vector<uint8_t> bytes = serialize(*s);
      std::vector<schema::Segment> segments;
      for (const schema::Segment* stated : *schema::GetModel(bytes.data())->segments()) segments.push_back(*stated);
      segments[index] = schema::Segment(offset == kSame ? segments[index].offset() : offset,
                                        size == kSame ? segments[index].size() : size);
      s->segments = segments;
    };
  };
  const Case cases[] = {
      {"segment past the end", segment(0, uint64_t{1} << 20, kSame), "segment 0 (offset 1048576,"},
      {"offset + size wraps", segment(0, kWraps, 128), "segment 0 (offset 18446744073709551552, 128 bytes)"},
      {"size wraps", segment(0, 64, kWraps), "segment 0 (offset 64, 18446744073709551552 bytes)"},
      {"unaligned segment", segment(0, 8, kSame), "segment 0 (offset 8,"},
      {"segment_base past the end", [](ModelSpec* s) { s->segment_base = uint64_t{1} << 30; },
       "segment_base 1073741824 is not 64-byte aligned inside"},
      {"segment_base wraps", [](ModelSpec* s) { s->segment_base = kWraps; }, "segment_base 18446744073709551552"},
      {"unaligned segment_base", [](ModelSpec* s) { s->segment_base = 8; }, "segment_base 8 "},
      {"dtype and shape need more bytes", [](ModelSpec* s) { s->tensors[0].dtype = schema::DType::F32; },
       "tensor 0 (model.embed_tokens.weight) needs 512 bytes but segment 0 holds 256"},
      {"shape product overflows", [](ModelSpec* s) { s->tensors[0].shape = {int64_t{1} << 40, int64_t{1} << 40}; },
       "tensor 0 (model.embed_tokens.weight) has an impossible shape"},
      {"negative dimension", [](ModelSpec* s) { s->tensors[0].shape = {-8, -16}; }, "has an impossible shape"},
      {"unknown dtype", [](ModelSpec* s) { s->tensors[0].dtype = static_cast<schema::DType>(7); }, "unknown dtype 7"},
      {"quantized rows not in groups", [](ModelSpec* s) { s->tensors[0].dtype = schema::DType::Q8G32; },
       "quantized tensor 0 (model.embed_tokens.weight) is not [n, k]"},
      {"output value id", [](ModelSpec* s) { s->ops[0].outputs[0] = 1000; }, "output value 1000 is out of range"},
      {"plan output id", [](ModelSpec* s) { s->output = 1000; }, "plan output 1000 is out of range"},
      {"zero width", [](ModelSpec* s) { s->widths[0] = 0; }, "plan value 0 has width 0"},
      {"huge width", [](ModelSpec* s) { s->widths[0] = 1 << 30; }, "plan value 0 has width 1073741824"},
      {"kv cache heads", [](ModelSpec* s) { s->caches[0].num_kv_heads = -1; }, "kv cache 0 has -1 heads"},
      {"ring without a window", [](ModelSpec* s) { s->caches[0].window = 0; }, "kv cache 0 has kind 1 and window 0"},
      {"vocabulary vs embedding", [](ModelSpec* s) { s->vocab_size = 9; }, "does not match vocab 9"},
      {"bos id", [](ModelSpec* s) { s->bos_id = 8; }, "config bos_id 8 is outside the vocabulary of 8"},
      {"pad id", [](ModelSpec* s) { s->pad_id = -1; }, "config pad_id -1 is outside the vocabulary of 8"},
      {"stop id", [](ModelSpec* s) { s->stop_ids = {1, 100}; }, "config stop id 100 is outside the vocabulary of 8"},
      {"op kind without a table", [](ModelSpec* s) { s->ops[0].kind = static_cast<schema::OpKind>(120); },
       "missing kind, inputs or outputs"},
  };
  for (const Case& c : cases) {
    ModelSpec spec = makeSmallModel();
    c.craft(&spec);
    LoadResult result = loadBytes(serialize(spec));
    EXPECT_EQ(result.code, GEMMAC_DATA_LOSS) << c.what << ": " << result.message;
    EXPECT_NE(result.message.find(c.expected), std::string::npos) << c.what << ": " << result.message;
  }
}

// Lengths and offsets inside the FlatBuffer itself are the verifier's: it runs
// before anything is read through them.
TEST(Loader, CraftedFlatBufferOffsetsAreRefused) {
  ModelSpec spec = makeSmallModel(512);
  spec.tokenizer = referenceTokenizer(512);
  const std::vector<uint8_t> good = serialize(spec);
  auto at = [&](const void* field) {
    return static_cast<size_t>(static_cast<const uint8_t*>(field) - good.data());
  };
  const schema::Model* root = schema::GetModel(good.data());
  struct Case {
    const char* what;
    size_t offset;
    uint32_t value;
  };
  const Case cases[] = {
      {"root offset past the end", 0, 0x7ffffff0u},
      {"tokenizer length past the end", at(root->tokenizer()), 0x7ffffff0u},
      {"tokenizer length one past the end", at(root->tokenizer()),
       static_cast<uint32_t>(good.size() - at(root->tokenizer()->data()) + 1)},
      {"shape length past the end", at(root->tensors()->Get(0)->shape()), 0x10000000u},
      {"op count past the end", at(root->plan()->ops()), 0x7ffffff0u},
  };
  for (const Case& c : cases) {
    std::vector<uint8_t> bytes = good;
    std::memcpy(&bytes[c.offset], &c.value, sizeof(c.value));
    LoadResult result = loadBytes(bytes);
    EXPECT_EQ(result.code, GEMMAC_DATA_LOSS) << c.what;
    EXPECT_NE(result.message.find("the model FlatBuffer is corrupt or truncated"), std::string::npos)
        << c.what << ": " << result.message;
  }
}

TEST(Loader, EveryTruncationFails) {
  std::vector<uint8_t> bytes = serialize(makeSmallModel());
  for (size_t length = 0; length < bytes.size(); ++length) {
    LoadResult result = loadBytes(std::vector<uint8_t>(bytes.begin(), bytes.begin() + length));
    ASSERT_EQ(result.code, GEMMAC_DATA_LOSS) << "length " << length << ": " << result.message;
  }
}

// Flipped bytes may still form a valid model (e.g. a changed weight), so only
// "no crash, and a failure has a message" is required.
TEST(Loader, FlippedBytesNeverCrash) {
  ModelSpec spec = makeSmallModel();
  std::vector<uint8_t> bytes = serialize(spec);
  size_t flatbuffer_end = bytes.size();
  for (const TensorSpec& tensor : spec.tensors) flatbuffer_end -= (tensor.bytes.size() + 63) / 64 * 64;
  int failures = 0;
  for (size_t i = 0; i < flatbuffer_end; ++i)
    for (uint8_t mask : {0x01, 0x80, 0xff}) {
      std::vector<uint8_t> corrupt = bytes;
      corrupt[i] ^= mask;
      LoadResult result = loadBytes(corrupt);
      if (result.code != GEMMAC_OK) {
        ++failures;
        ASSERT_FALSE(result.message.empty());
      }
    }
  EXPECT_GT(failures, 0);
}

TEST(Loader, RandomBytesAfterTheIdentifierFail) {
  std::mt19937 rng(7);
  for (int i = 0; i < 500; ++i) {
    std::vector<uint8_t> bytes(8 + rng() % 600);
    for (uint8_t& b : bytes) b = static_cast<uint8_t>(rng());
    std::memcpy(&bytes[4], "GMF0", 4);
    bytes[0] = static_cast<uint8_t>(bytes[0] % 64);  // a root offset inside small files
    bytes[1] = bytes[2] = bytes[3] = 0;
    LoadResult result = loadBytes(bytes);
    ASSERT_EQ(result.code, GEMMAC_DATA_LOSS) << "case " << i << ": " << result.message;
  }
}

TEST(Loader, SegmentOutOfRange) {
  std::vector<uint8_t> bytes = serialize(makeSmallModel());
  bytes.resize(bytes.size() - 64);  // the last segment now overruns the file
  LoadResult result = loadBytes(bytes);
  EXPECT_EQ(result.code, GEMMAC_DATA_LOSS);
  EXPECT_NE(result.message.find("segment"), std::string::npos) << result.message;
}

TEST(Loader, TensorSizeMismatch) {
  ModelSpec spec = makeSmallModel();
  spec.tensors[1].shape[0] += 1;
  LoadResult result = loadBytes(serialize(spec));
  EXPECT_EQ(result.code, GEMMAC_DATA_LOSS);
  EXPECT_NE(result.message.find(spec.tensors[1].name), std::string::npos) << result.message;
}

TEST(Loader, PlanErrorsNameTheOp) {
  struct Case {
    const char* what;
    void (*corrupt)(ModelSpec*);
    const char* expected;
  };
  const Case cases[] = {
      {"value out of range", [](ModelSpec* s) { s->ops[1].inputs[0] = 999; }, "out of range"},
      {"read before write", [](ModelSpec* s) { s->ops[1].inputs[0] = s->ops[5].outputs[0]; }, "before"},
      {"tensor out of range", [](ModelSpec* s) { s->ops[2].weight = 999; }, "tensor index 999"},
      {"linear width", [](ModelSpec* s) { s->widths[s->ops[2].outputs[0]] += 1; }, "LinearOp"},
      {"input count", [](ModelSpec* s) { s->ops.back().inputs.push_back(0); }, "inputs"},
      {"kv cache index", [](ModelSpec* s) {
         for (OpSpec& op : s->ops)
           if (op.kind == schema::OpKind::AttentionOp) op.cache = 7;
       }, "kv cache 7"},
      {"window larger than ring", [](ModelSpec* s) {
         for (OpSpec& op : s->ops)
           if (op.kind == schema::OpKind::AttentionOp) op.window = 100;
       }, "window"},
      {"output not logits", [](ModelSpec* s) { s->output = s->ops[1].outputs[0]; }, "plan output"},
  };
  for (const Case& c : cases) {
    ModelSpec spec = makeSmallModel();
    c.corrupt(&spec);
    LoadResult result = loadBytes(serialize(spec));
    EXPECT_EQ(result.code, GEMMAC_DATA_LOSS) << c.what;
    EXPECT_NE(result.message.find(c.expected), std::string::npos) << c.what << ": " << result.message;
  }
}

}  // namespace
}  // namespace gemmac::test
