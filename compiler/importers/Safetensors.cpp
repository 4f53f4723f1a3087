//===- Safetensors.cpp - Read-only mmapped safetensors file ---------------===//
//
// Layout: an 8-byte little-endian header length N, N bytes of JSON mapping
// tensor names to {dtype, shape, data_offsets}, then the data area. The
// offsets are relative to the data area and must tile it exactly.
//
//===----------------------------------------------------------------------===//

#include "compiler/importers/Safetensors.h"
#include "compiler/importers/JsonInteger.h"

#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/JSON.h"

#include <algorithm>
#include <cmath>
#include <cstring>

using namespace llvm;

namespace gemmac {

StringRef elementTypeName(ElementType type) {
  switch (type) {
  case ElementType::F32:
    return "F32";
  case ElementType::F16:
    return "F16";
  case ElementType::BF16:
    return "BF16";
  }
  llvm_unreachable("unknown element type");
}

size_t elementSize(ElementType type) {
  return type == ElementType::F32 ? 4 : 2;
}

namespace {

Error fileError(StringRef path, const Twine &message) {
  return createStringError(inconvertibleErrorCode(), "%s: %s",
                           path.str().c_str(), message.str().c_str());
}

Error tensorError(StringRef path, StringRef tensor, const Twine &message) {
  return fileError(path, "tensor '" + tensor + "': " + message);
}

/// Parses one header entry; offsets are checked against the data area later.
Expected<SafetensorsTensor> parseEntry(StringRef path, StringRef name,
                                       const json::Value &value,
                                       uint64_t &begin, uint64_t &end) {
  const json::Object *entry = value.getAsObject();
  if (!entry)
    return tensorError(path, name, "header entry is not an object");
  SafetensorsTensor tensor;
  tensor.name = name.str();

  std::optional<StringRef> dtype = entry->getString("dtype");
  if (!dtype)
    return tensorError(path, name, "missing string 'dtype'");
  std::optional<ElementType> type =
      StringSwitch<std::optional<ElementType>>(*dtype)
          .Case("F32", ElementType::F32)
          .Case("F16", ElementType::F16)
          .Case("BF16", ElementType::BF16)
          .Default(std::nullopt);
  if (!type)
    return tensorError(path, name,
                       "unsupported dtype '" + *dtype +
                           "' (expected F32, F16 or BF16)");
  tensor.type = *type;

  const json::Array *shape = entry->getArray("shape");
  if (!shape)
    return tensorError(path, name, "missing list 'shape'");
  uint64_t bytes = elementSize(tensor.type);
  for (const json::Value &dim : *shape) {
    std::optional<int64_t> size = getJsonInteger(dim);
    if (!size || *size < 0)
      return tensorError(path, name, "shape entries must be integers >= 0");
    tensor.shape.push_back(*size);
    if (*size != 0 && bytes > UINT64_MAX / uint64_t(*size))
      return tensorError(path, name, "shape is too large");
    bytes *= uint64_t(*size);
  }

  const json::Array *offsets = entry->getArray("data_offsets");
  std::optional<int64_t> first, last;
  if (offsets && offsets->size() == 2) {
    first = getJsonInteger((*offsets)[0]);
    last = getJsonInteger((*offsets)[1]);
  }
  if (!first || !last || *first < 0 || *last < *first)
    return tensorError(path, name,
                       "'data_offsets' must be [begin, end] with "
                       "0 <= begin <= end");
  begin = *first;
  end = *last;
  if (end - begin != bytes)
    return tensorError(path, name,
                       "data_offsets span " + Twine(end - begin) +
                           " bytes but shape x element size is " +
                           Twine(bytes));
  return tensor;
}

} // namespace

Expected<std::unique_ptr<SafetensorsFile>>
SafetensorsFile::open(StringRef path) {
  ErrorOr<std::unique_ptr<MemoryBuffer>> buffer =
      MemoryBuffer::getFile(path, /*IsText=*/false,
                            /*RequiresNullTerminator=*/false,
                            /*IsVolatile=*/false);
  if (!buffer)
    return fileError(path, "cannot open: " + buffer.getError().message());
  return fromBuffer(std::move(*buffer));
}

Expected<std::unique_ptr<SafetensorsFile>>
SafetensorsFile::fromBuffer(std::unique_ptr<MemoryBuffer> buffer) {
  auto file = std::unique_ptr<SafetensorsFile>(new SafetensorsFile());
  file->filePath = buffer->getBufferIdentifier().str();
  file->mapping = std::move(buffer);
  StringRef path = file->filePath;

  StringRef contents = file->mapping->getBuffer();
  if (contents.size() < 8)
    return fileError(path, "too short for a safetensors header (" +
                               Twine(contents.size()) + " bytes)");
  uint64_t headerSize =
      support::endian::read64le(contents.data());
  if (headerSize > contents.size() - 8)
    return fileError(path, "header length " + Twine(headerSize) +
                               " exceeds the file size " +
                               Twine(contents.size()));
  StringRef headerText = contents.substr(8, headerSize);
  StringRef data = contents.substr(8 + headerSize);

  Expected<json::Value> header = json::parse(headerText);
  if (!header)
    return fileError(path, "invalid header JSON: " +
                               toString(header.takeError()));
  const json::Object *object = header->getAsObject();
  if (!object)
    return fileError(path, "header is not a JSON object");

  struct Span {
    uint64_t begin, end;
    size_t tensor;
  };
  std::vector<Span> spans;
  for (const auto &[key, value] : *object) {
    if (key == "__metadata__")
      continue;
    uint64_t begin, end;
    Expected<SafetensorsTensor> tensor =
        parseEntry(path, key, value, begin, end);
    if (!tensor)
      return tensor.takeError();
    if (end > data.size())
      return tensorError(path, key,
                         "data_offsets [" + Twine(begin) + ", " + Twine(end) +
                             ") lie outside the data area of " +
                             Twine(data.size()) + " bytes");
    tensor->bytes = ArrayRef<uint8_t>(
        reinterpret_cast<const uint8_t *>(data.data()) + begin, end - begin);
    spans.push_back({begin, end, file->tensorList.size()});
    file->tensorList.push_back(std::move(*tensor));
  }

  // The spec requires the tensors to tile the data area: no overlap, no gap.
  std::sort(spans.begin(), spans.end(), [](const Span &a, const Span &b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  uint64_t covered = 0;
  for (const Span &span : spans) {
    StringRef name = file->tensorList[span.tensor].name;
    if (span.begin < covered)
      return tensorError(path, name, "data_offsets overlap another tensor");
    if (span.begin > covered)
      return tensorError(path, name,
                         "data_offsets leave a gap at byte " + Twine(covered));
    covered = span.end;
  }
  if (covered != data.size())
    return fileError(path, "data area is " + Twine(data.size()) +
                               " bytes but the tensors cover " +
                               Twine(covered));

  // Keep the file's order, which is also the order of the bytes.
  std::vector<SafetensorsTensor> ordered;
  for (const Span &span : spans)
    ordered.push_back(std::move(file->tensorList[span.tensor]));
  file->tensorList = std::move(ordered);
  for (auto [i, tensor] : llvm::enumerate(file->tensorList))
    file->index[tensor.name] = i;
  return file;
}

const SafetensorsTensor *SafetensorsFile::find(StringRef name) const {
  auto it = index.find(name);
  return it == index.end() ? nullptr : &tensorList[it->second];
}

float SafetensorsFile::toFloat(ElementType type, const uint8_t *element) {
  uint32_t bits;
  switch (type) {
  case ElementType::F32:
    bits = support::endian::read32le(element);
    break;
  case ElementType::BF16:
    bits = uint32_t(support::endian::read16le(element)) << 16;
    break;
  case ElementType::F16: {
    uint16_t half = support::endian::read16le(element);
    uint32_t sign = uint32_t(half & 0x8000) << 16;
    int32_t exponent = (half >> 10) & 0x1F;
    uint32_t mantissa = half & 0x3FF;
    if (exponent == 0x1F) {
      bits = sign | 0x7F800000 | (mantissa << 13); // inf / nan
    } else if (exponent == 0) {
      // Zero or subnormal: value = mantissa * 2^-24, exact in float.
      float value = std::ldexp(float(mantissa), -24);
      return sign ? -value : value;
    } else {
      bits = sign | uint32_t(exponent + 127 - 15) << 23 | (mantissa << 13);
    }
    break;
  }
  }
  float value;
  std::memcpy(&value, &bits, sizeof(value));
  return value;
}

} // namespace gemmac
