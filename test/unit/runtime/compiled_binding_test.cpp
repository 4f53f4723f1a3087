// A compiled forward pass binds only to the model file it was compiled from:
// the runtime recomputes the SHA-256 of the file's bytes [0, segment_base) and
// compares it with the pass's plan_digest. Tested through
// gemmac_model_load_linked (the arm64-android archive's path; a library beside
// the file takes the same check, test/codegen/plan-binding.test) with a
// description made here, as `gemmac compile` would emit it for the file.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "gemmac/compiled_abi.h"
#include "gemmac/gemmac.h"
#include "loader/sha256.h"
#include "model_generated.h"
#include "tiny_model.h"

namespace gemmac::test {
namespace {

constexpr const char* kRefused = "is not the model file this forward pass was compiled with";

// Loading never runs the forward pass.
void forward(const gemmac_compiled_ctx*, const int32_t*, size_t, int64_t, size_t, float*) {
  ADD_FAILURE() << "forward called";
}
void decode(const gemmac_compiled_ctx*, const int32_t*, int64_t, float*) { ADD_FAILURE() << "decode called"; }

uint64_t segmentBase(const std::vector<uint8_t>& bytes) { return schema::GetModel(bytes.data())->segment_base(); }

// What `gemmac compile` would emit for the file `bytes`.
gemmac_compiled_model compiledFor(const std::vector<uint8_t>& bytes) {
  gemmac_compiled_model model = {};
  model.abi_version = GEMMAC_COMPILED_ABI_VERSION;
  model.op_count = schema::GetModel(bytes.data())->plan()->ops()->size();
  gemmac_sha256_digest(bytes.data(), segmentBase(bytes), model.plan_digest);
  model.workspace_floats = 1;
  model.max_tokens = 1;
  model.forward = forward;
  model.decode = decode;
  return model;
}

struct LoadResult {
  gemmac_status_code code;
  std::string message;
  std::string executor;
};

LoadResult loadLinked(const std::vector<uint8_t>& bytes, const gemmac_compiled_model& compiled) {
  std::string path = writeTempFile("linked.gmf", bytes);
  gemmac_model* model = nullptr;
  gemmac_status status = gemmac_model_load_linked(path.c_str(), &compiled, &model);
  LoadResult result{gemmac_status_get_code(status), gemmac_status_get_message(status),
                    model ? gemmac_model_get_executor(model) : ""};
  gemmac_status_free(status);
  gemmac_model_free(model);
  std::remove(path.c_str());
  return result;
}

TEST(CompiledBinding, BindsToTheFileItWasCompiledFrom) {
  std::vector<uint8_t> bytes = serialize(makeSmallModel());
  LoadResult result = loadLinked(bytes, compiledFor(bytes));
  ASSERT_EQ(result.code, GEMMAC_OK) << result.message;
  EXPECT_NE(result.executor.find("linked into the program"), std::string::npos) << result.executor;
}

// The reproduction of the heap overflow: a file that states the same content
// hash (0 in both here) with a smaller vocabulary passes every loader check,
// and the forward pass compiled for the larger one would write past the
// runtime's logits. The message names both the pass and the file.
TEST(CompiledBinding, RefusesAFileWithAnotherPlan) {
  const gemmac_compiled_model compiled = compiledFor(serialize(makeSmallModel()));
  std::vector<uint8_t> crafted = serialize(makeSmallModel(4));
  LoadResult result = loadLinked(crafted, compiled);
  EXPECT_EQ(result.code, GEMMAC_DATA_LOSS);
  EXPECT_NE(result.message.find("a forward pass linked into the program: "), std::string::npos) << result.message;
  EXPECT_NE(result.message.find(std::string("linked.gmf ") + kRefused), std::string::npos) << result.message;
  // Alone it is a valid model: only the binding refuses it.
  EXPECT_EQ(loadLinked(crafted, compiledFor(crafted)).code, GEMMAC_OK);
}

// Every byte before the weights is the plan's: a flip is refused, by the
// FlatBuffer verifier or the loader's checks where they notice it, by the
// digest everywhere else (padding, strings, most numbers).
TEST(CompiledBinding, RefusesAnyByteChangedBeforeTheWeights) {
  std::vector<uint8_t> bytes = serialize(makeSmallModel());
  const gemmac_compiled_model compiled = compiledFor(bytes);
  size_t by_digest = 0;
  for (size_t i = 0; i < segmentBase(bytes); ++i) {
    std::vector<uint8_t> corrupt = bytes;
    corrupt[i] ^= 0x01;
    LoadResult result = loadLinked(corrupt, compiled);
    ASSERT_NE(result.code, GEMMAC_OK) << "byte " << i;
    by_digest += result.message.find(kRefused) != std::string::npos;
  }
  EXPECT_GT(by_digest, 0u);
}

// The weights are data, not plan: their bounds come from the digested part.
TEST(CompiledBinding, AcceptsChangedWeights) {
  std::vector<uint8_t> bytes = serialize(makeSmallModel());
  const gemmac_compiled_model compiled = compiledFor(bytes);
  for (size_t i = segmentBase(bytes); i < bytes.size(); i += 7) {
    std::vector<uint8_t> changed = bytes;
    changed[i] ^= 0x01;
    LoadResult result = loadLinked(changed, compiled);
    ASSERT_EQ(result.code, GEMMAC_OK) << "byte " << i << ": " << result.message;
  }
}

}  // namespace
}  // namespace gemmac::test
