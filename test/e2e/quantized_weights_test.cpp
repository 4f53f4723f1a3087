// The qat checkpoint compiled with the default storage (int4 everywhere, the
// tied embedding / LM head included) loses nothing: every weight the model
// file stores as q4g32 dequantizes to the checkpoint's bf16 value bit for bit.
// Reads the checkpoint's safetensors directly (its header is JSON), so the
// check shares no code with the compiler's importer or quantizer.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "kernels.h"
#include "loader/model_file.h"
#include "test/support/json_reader.h"

namespace gemmac::test {
namespace {

struct Checkpoint {
  Json header;
  std::vector<char> bytes;  // the whole file
  size_t data_start = 0;
};

Checkpoint readCheckpoint(const std::string& path) {
  Checkpoint checkpoint;
  std::ifstream in(path, std::ios::binary);
  checkpoint.bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  uint64_t header_size = 0;
  if (checkpoint.bytes.size() < 8) throw std::runtime_error("cannot read " + path);
  std::memcpy(&header_size, checkpoint.bytes.data(), 8);
  checkpoint.header = JsonParser(std::string(checkpoint.bytes.data() + 8, header_size)).parseDocument();
  checkpoint.data_start = 8 + header_size;
  return checkpoint;
}

TEST(QuantizedWeights, QatCheckpointAtInt4IsBitExact) {
  Checkpoint checkpoint = readCheckpoint(GEMMAC_E2E_QAT_CHECKPOINT "/model.safetensors");
  ModelFile model;
  gemmac_status status = openModelFile(GEMMAC_E2E_QAT_MODEL, &model);
  ASSERT_EQ(status, nullptr) << gemmac_status_get_message(status);
  size_t checked_tensors = 0, checked_values = 0;
  for (uint32_t i = 0; i < model.tensors.size(); ++i) {
    const TensorView& view = model.tensors[i];
    const std::string name = model.root->tensors()->Get(i)->name()->str();
    const Json& entry = checkpoint.header[name];
    ASSERT_EQ(entry["dtype"].string, "BF16") << name;
    if (view.shape.size() != 2) continue;  // norm gains stay bf16
    ASSERT_EQ(view.dtype, schema::DType::Q4G32) << name << ": every 2-D weight of qat is int4 by default";
    const size_t n = static_cast<size_t>(view.shape[0]), k = static_cast<size_t>(view.shape[1]);
    const uint16_t* bf16 = reinterpret_cast<const uint16_t*>(
        checkpoint.bytes.data() + checkpoint.data_start + static_cast<size_t>(entry["data_offsets"][0].number));
    std::vector<float> row(k);
    size_t mismatches = 0;
    for (size_t j = 0; j < n; ++j) {
      gemmac_dequantize_row_q4g32_generic(static_cast<const uint8_t*>(view.data), n, k, j, 1.0f, row.data());
      for (size_t c = 0; c < k; ++c) {
        uint32_t got, want = static_cast<uint32_t>(bf16[j * k + c]) << 16;
        std::memcpy(&got, &row[c], 4);
        mismatches += got != want;
      }
    }
    EXPECT_EQ(mismatches, 0u) << name;
    ++checked_tensors;
    checked_values += n * k;
  }
  std::printf("%zu int4 tensors, %zu values: all equal to the checkpoint's bf16 bits\n", checked_tensors,
              checked_values);
  EXPECT_EQ(checked_tensors, 18u * 7u + 1u);  // 7 projections per layer and the embedding
}

}  // namespace
}  // namespace gemmac::test
