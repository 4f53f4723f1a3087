//===- Safetensors.h - Read-only mmapped safetensors file ---------*- C++ -*-===//
//
// The weights are never copied into the IR: the importer records tensor names
// and the FlatBuffer writer reads the bytes from this mapping.
//
//===----------------------------------------------------------------------===//
#ifndef GEMMAC_COMPILER_IMPORTERS_SAFETENSORS_H
#define GEMMAC_COMPILER_IMPORTERS_SAFETENSORS_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace gemmac {

enum class ElementType { F32, F16, BF16 };

llvm::StringRef elementTypeName(ElementType type); // "F32", "F16", "BF16"
size_t elementSize(ElementType type);

struct SafetensorsTensor {
  std::string name;
  ElementType type;
  std::vector<int64_t> shape;
  llvm::ArrayRef<uint8_t> bytes; // points into the mapping
};

class SafetensorsFile {
public:
  /// Maps `path` and validates the header: its length against the file size,
  /// JSON syntax, known dtypes (F32/F16/BF16), data_offsets inside the data area,
  /// in order and matching shape x element size. Errors name the file and tensor.
  static llvm::Expected<std::unique_ptr<SafetensorsFile>> open(llvm::StringRef path);
  /// The same from bytes already in memory (e.g. a fuzzer's input); errors
  /// name the buffer's identifier as the file.
  static llvm::Expected<std::unique_ptr<SafetensorsFile>>
  fromBuffer(std::unique_ptr<llvm::MemoryBuffer> buffer);

  llvm::StringRef path() const { return filePath; }
  const SafetensorsTensor *find(llvm::StringRef name) const;
  llvm::ArrayRef<SafetensorsTensor> tensors() const { return tensorList; }

  /// Converts one element to float (F32/F16/BF16 -> F32).
  static float toFloat(ElementType type, const uint8_t *element);

private:
  std::string filePath;
  std::unique_ptr<llvm::MemoryBuffer> mapping;
  std::vector<SafetensorsTensor> tensorList;
  llvm::StringMap<size_t> index;
};

} // namespace gemmac

#endif // GEMMAC_COMPILER_IMPORTERS_SAFETENSORS_H
