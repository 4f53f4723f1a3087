//===- SafetensorsTest.cpp - safetensors header validation ----------------===//

#include "compiler/importers/Safetensors.h"
#include "TempDir.h"

#include <gtest/gtest.h>

using namespace gemmac;

namespace {

/// A safetensors file: 8-byte length, `header`, then `data`.
std::string file(llvm::StringRef header, llvm::StringRef data,
                 std::optional<uint64_t> claimedLength = std::nullopt) {
  uint64_t length = claimedLength.value_or(header.size());
  std::string out;
  for (int i = 0; i < 8; ++i)
    out.push_back(char(length >> (8 * i)));
  return out + header.str() + data.str();
}

/// Two tensors: "a" BF16 [2] = {1.0, -2.0}, "b" F32 [1] = {0.5}.
const char *kGoodHeader =
    R"({"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]},)"
    R"("a":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]},)"
    R"("__metadata__":{"format":"pt"}})";
const char kGoodData[] = "\x80\x3f\x00\xc0\x00\x00\x00\x3f";

class SafetensorsTest : public ::testing::Test {
protected:
  /// Opening must fail with a message naming the file and each of `parts`.
  void expectError(llvm::StringRef bytes,
                   std::initializer_list<llvm::StringRef> parts) {
    std::string path = dir.write("bad.safetensors", bytes);
    auto opened = SafetensorsFile::open(path);
    ASSERT_FALSE(bool(opened)) << "expected an error";
    std::string message = llvm::toString(opened.takeError());
    EXPECT_NE(message.find(path), std::string::npos) << message;
    for (llvm::StringRef part : parts)
      EXPECT_NE(message.find(part.str()), std::string::npos)
          << "'" << part.str() << "' not in: " << message;
  }

  TempDir dir;
};

TEST_F(SafetensorsTest, ReadsTensors) {
  std::string path = dir.write(
      "good.safetensors", file(kGoodHeader, llvm::StringRef(kGoodData, 8)));
  auto opened = SafetensorsFile::open(path);
  ASSERT_TRUE(bool(opened)) << llvm::toString(opened.takeError());
  const SafetensorsFile &st = **opened;
  ASSERT_EQ(st.tensors().size(), 2u);
  EXPECT_EQ(st.tensors()[0].name, "a"); // file (offset) order
  const SafetensorsTensor *a = st.find("a");
  const SafetensorsTensor *b = st.find("b");
  ASSERT_TRUE(a && b);
  EXPECT_EQ(st.find("c"), nullptr);
  EXPECT_EQ(a->type, ElementType::BF16);
  EXPECT_EQ(a->shape, std::vector<int64_t>{2});
  ASSERT_EQ(a->bytes.size(), 4u);
  EXPECT_EQ(SafetensorsFile::toFloat(a->type, &a->bytes[0]), 1.0f);
  EXPECT_EQ(SafetensorsFile::toFloat(a->type, &a->bytes[2]), -2.0f);
  EXPECT_EQ(b->type, ElementType::F32);
  EXPECT_EQ(SafetensorsFile::toFloat(b->type, b->bytes.data()), 0.5f);
  EXPECT_EQ(elementTypeName(b->type), "F32");
}

TEST_F(SafetensorsTest, HalfToFloat) {
  const uint8_t one[] = {0x00, 0x3c}, minusTwo[] = {0x00, 0xc0},
                tiny[] = {0x01, 0x00};
  EXPECT_EQ(SafetensorsFile::toFloat(ElementType::F16, one), 1.0f);
  EXPECT_EQ(SafetensorsFile::toFloat(ElementType::F16, minusTwo), -2.0f);
  EXPECT_EQ(SafetensorsFile::toFloat(ElementType::F16, tiny), 0x1p-24f);
}

TEST_F(SafetensorsTest, Truncated) {
  expectError("\x10\x00\x00", {"too short"});
}

TEST_F(SafetensorsTest, LyingHeaderLength) {
  expectError(file(kGoodHeader, llvm::StringRef(kGoodData, 8), 1 << 20),
              {"header length 1048576 exceeds the file size"});
}

TEST_F(SafetensorsTest, BadJson) {
  expectError(file("{\"a\":", ""), {"invalid header JSON"});
}

TEST_F(SafetensorsTest, UnknownDtype) {
  expectError(
      file(R"({"w":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}})",
           std::string(8, '\0')),
      {"tensor 'w'", "unsupported dtype 'I64'"});
}

TEST_F(SafetensorsTest, SpanMismatchesShape) {
  expectError(
      file(R"({"w":{"dtype":"BF16","shape":[3],"data_offsets":[0,8]}})",
           std::string(8, '\0')),
      {"tensor 'w'", "span 8 bytes", "is 6"});
}

TEST_F(SafetensorsTest, OffsetsOutOfRange) {
  expectError(
      file(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
           std::string(8, '\0')),
      {"tensor 'w'", "outside the data area"});
}

TEST_F(SafetensorsTest, OverlappingOffsets) {
  expectError(
      file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
           R"("b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
           std::string(8, '\0')),
      {"tensor 'b'", "overlap"});
}

TEST_F(SafetensorsTest, DataAreaSizeMismatch) {
  expectError(file(kGoodHeader, std::string(12, '\0')),
              {"data area is 12 bytes", "cover 8"});
}

} // namespace
