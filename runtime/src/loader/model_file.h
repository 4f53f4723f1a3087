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

/// A file mapped read-only for the lifetime of the object, or a 64-byte aligned
/// heap copy of file bytes: the fuzz target's, since AddressSanitizer sees a read
/// past the end of a heap block but not within the last page of a mapping.
class MappedFile {
 public:
  static gemmac_status open(const char* path, std::unique_ptr<MappedFile>* out);
  static std::unique_ptr<MappedFile> copyOf(const uint8_t* data, size_t size);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  MappedFile(const uint8_t* data, size_t size, bool mapped) : data_(data), size_(size), mapped_(mapped) {}
  const uint8_t* data_;
  size_t size_;
  bool mapped_;
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

/// The checks of openModelFile on bytes already in `out->file`, named
/// `out->path` in messages.
gemmac_status verifyModelFile(ModelFile* out);

}  // namespace gemmac

#endif  // GEMMAC_RUNTIME_SRC_MODEL_FILE_H_
