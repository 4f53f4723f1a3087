// Loading a .gmf file: map it read-only, verify the FlatBuffer, and bind every
// tensor to its bytes in the file (zero-copy, 64-byte aligned).
#ifndef GEMMAC_RUNTIME_SRC_MODEL_FILE_H_
#define GEMMAC_RUNTIME_SRC_MODEL_FILE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "gemmac/gemmac.h"
#include "model_generated.h"

namespace gemmac {

/// The format_version this runtime reads.
constexpr uint32_t kFormatVersion = 2;

/// A file mapped read-only for the lifetime of the object.
class MappedFile {
 public:
  static gemmac_status open(const char* path, std::unique_ptr<MappedFile>* out);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  MappedFile(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  const uint8_t* data_;
  size_t size_;
};

/// One tensor of the file, bound to its segment.
struct TensorView {
  schema::DType dtype;
  std::vector<int64_t> shape;
  size_t numel;
  const void* data;  // 64-byte aligned, inside the mapped file
};

/// A verified model file: every offset, index and size in `root` has been
/// checked, so the rest of the runtime may use it without further checks.
struct ModelFile {
  std::string path;
  std::unique_ptr<MappedFile> file;
  const schema::Model* root = nullptr;
  std::vector<TensorView> tensors;
};

/// Maps and verifies `path`: GEMMAC_NOT_FOUND for a missing file,
/// GEMMAC_DATA_LOSS for a corrupt or truncated one, GEMMAC_UNIMPLEMENTED for a
/// format version other than kFormatVersion.
gemmac_status openModelFile(const char* path, ModelFile* out);

}  // namespace gemmac

#endif  // GEMMAC_RUNTIME_SRC_MODEL_FILE_H_
