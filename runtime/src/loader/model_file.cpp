#include "loader/model_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <new>

#include "loader/plan_check.h"
#include "kernels.h"
#include "api/status.h"

namespace gemmac {

gemmac_status MappedFile::open(const char* path, std::unique_ptr<MappedFile>* out) {
  int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int error = errno;
    return makeStatus(error == ENOENT || error == ENOTDIR ? GEMMAC_NOT_FOUND : GEMMAC_INVALID_ARGUMENT,
                      "%s: cannot open: %s", path, std::strerror(error));
  }
  struct stat info;
  if (fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
    ::close(fd);
    return makeStatus(GEMMAC_INVALID_ARGUMENT, "%s: not a regular file", path);
  }
  size_t size = static_cast<size_t>(info.st_size);
  if (size == 0) {
    ::close(fd);
    return makeStatus(GEMMAC_DATA_LOSS, "%s: the file is empty", path);
  }
  void* data = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  int error = errno;
  ::close(fd);  // the mapping keeps the file alive
  if (data == MAP_FAILED)
    return makeStatus(GEMMAC_RESOURCE_EXHAUSTED, "%s: cannot map %zu bytes: %s", path, size,
                      std::strerror(error));
  out->reset(new MappedFile(static_cast<const uint8_t*>(data), size, /*mapped=*/true));
  return nullptr;
}

std::unique_ptr<MappedFile> MappedFile::copyOf(const uint8_t* data, size_t size) {
  // Aligned as a mapping is for the 64-byte segments; exactly `size` bytes.
  auto* copy = static_cast<uint8_t*>(::operator new(size, std::align_val_t{64}));
  if (size > 0) std::memcpy(copy, data, size);
  return std::unique_ptr<MappedFile>(new MappedFile(copy, size, /*mapped=*/false));
}

MappedFile::~MappedFile() {
  if (mapped_)
    munmap(const_cast<uint8_t*>(data_), size_);
  else
    ::operator delete(const_cast<uint8_t*>(data_), std::align_val_t{64});
}

namespace {

bool isQuantized(schema::DType dtype) { return dtype == schema::DType::Q8G32 || dtype == schema::DType::Q4G32; }

// Bytes of a tensor of `numel` elements; quantized ones are [n, k] with k % 32 == 0 (checked before).
uint64_t storedBytes(schema::DType dtype, const std::vector<int64_t>& shape, uint64_t numel) {
  switch (dtype) {
    case schema::DType::F32:
      return numel * 4;
    case schema::DType::BF16:
      return numel * 2;
    case schema::DType::Q8G32:
      return gemmac_q8g32_bytes(static_cast<size_t>(shape[0]), static_cast<size_t>(shape[1]));
    case schema::DType::Q4G32:
      return gemmac_q4g32_bytes(static_cast<size_t>(shape[0]), static_cast<size_t>(shape[1]));
  }
  return 0;
}

// The FlatBuffers verifier checks only 4-byte alignment of vectors; vectors of
// 8-byte elements are 8-aligned in any file the builder wrote.
bool aligned8(const void* data) { return reinterpret_cast<uintptr_t>(data) % 8 == 0; }

// Checks the segment table and binds each tensor to its bytes.
gemmac_status bindTensors(ModelFile* model) {
  const char* path = model->path.c_str();
  const schema::Model& root = *model->root;
  const size_t file_size = model->file->size();
  const uint64_t base = root.segment_base();
  if (base % 64 != 0 || base > file_size)
    return makeStatus(GEMMAC_DATA_LOSS, "%s: segment_base %llu is not 64-byte aligned inside the %zu-byte file",
                      path, static_cast<unsigned long long>(base), file_size);
  if (!root.segments() || !root.tensors() || !aligned8(root.segments()->Data()))
    return makeStatus(GEMMAC_DATA_LOSS, "%s: the model has no (aligned) segment or tensor table", path);
  const auto& segments = *root.segments();
  for (uint32_t i = 0; i < segments.size(); ++i) {
    const schema::Segment* segment = segments.Get(i);
    uint64_t room = file_size - base;
    if (segment->offset() % 64 != 0 || segment->offset() > room || segment->size() > room - segment->offset())
      return makeStatus(GEMMAC_DATA_LOSS,
                        "%s: segment %u (offset %llu, %llu bytes) is not 64-byte aligned inside the file "
                        "(%llu bytes after segment_base; truncated?)",
                        path, i, static_cast<unsigned long long>(segment->offset()),
                        static_cast<unsigned long long>(segment->size()), static_cast<unsigned long long>(room));
  }
  const auto& tensors = *root.tensors();
  model->tensors.resize(tensors.size());
  for (uint32_t i = 0; i < tensors.size(); ++i) {
    const schema::Tensor* tensor = tensors.Get(i);
    const char* name = tensor->name() ? tensor->name()->c_str() : "?";
    TensorView& view = model->tensors[i];
    view.dtype = tensor->dtype();
    if (view.dtype != schema::DType::F32 && view.dtype != schema::DType::BF16 && !isQuantized(view.dtype))
      return makeStatus(GEMMAC_DATA_LOSS, "%s: tensor %u (%s) has unknown dtype %d", path, i, name,
                        static_cast<int>(view.dtype));
    if (!tensor->shape() || !aligned8(tensor->shape()->Data()))
      return makeStatus(GEMMAC_DATA_LOSS, "%s: tensor %u (%s) has no (aligned) shape", path, i, name);
    // Every element takes at least half a byte (int4), so numel is bounded by
    // twice the file size and the product cannot overflow.
    const uint64_t max_numel = 2 * static_cast<uint64_t>(file_size);
    uint64_t numel = 1;
    for (int64_t dim : *tensor->shape()) {
      if (dim < 0 || (dim > 0 && numel > max_numel / static_cast<uint64_t>(dim)))
        return makeStatus(GEMMAC_DATA_LOSS, "%s: tensor %u (%s) has an impossible shape", path, i, name);
      numel *= static_cast<uint64_t>(dim);
      view.shape.push_back(dim);
    }
    if (isQuantized(view.dtype) &&
        (view.shape.size() != 2 || view.shape[1] % GEMMAC_QUANT_GROUP != 0))
      return makeStatus(GEMMAC_DATA_LOSS, "%s: quantized tensor %u (%s) is not [n, k] with k a multiple of %d",
                        path, i, name, GEMMAC_QUANT_GROUP);
    if (tensor->segment() >= segments.size())
      return makeStatus(GEMMAC_DATA_LOSS, "%s: tensor %u (%s) refers to segment %u of %u", path, i, name,
                        tensor->segment(), segments.size());
    const schema::Segment* segment = segments.Get(tensor->segment());
    const uint64_t bytes = storedBytes(view.dtype, view.shape, numel);
    if (segment->size() != bytes)
      return makeStatus(GEMMAC_DATA_LOSS, "%s: tensor %u (%s) needs %llu bytes but segment %u holds %llu", path,
                        i, name, static_cast<unsigned long long>(bytes),
                        tensor->segment(), static_cast<unsigned long long>(segment->size()));
    view.numel = numel;
    view.data = model->file->data() + base + segment->offset();
  }
  return nullptr;
}

}  // namespace

gemmac_status openModelFile(const char* path, ModelFile* out) {
  out->path = path;
  GEMMAC_RETURN_IF_ERROR(MappedFile::open(path, &out->file));
  return verifyModelFile(out);
}

gemmac_status verifyModelFile(ModelFile* out) {
  const char* path = out->path.c_str();
  const uint8_t* data = out->file->data();
  const size_t size = out->file->size();
  if (size < 8 || !schema::ModelBufferHasIdentifier(data))
    return makeStatus(GEMMAC_DATA_LOSS, "%s: not a gemmac model file (no \"%s\" identifier)", path,
                      schema::ModelIdentifier());
  // FlatBuffer offsets are 32-bit: the FlatBuffer part is within the first 2 GB
  // even when the weights make the file larger.
  flatbuffers::Verifier verifier(data, std::min<size_t>(size, FLATBUFFERS_MAX_BUFFER_SIZE - 1));
  if (!schema::VerifyModelBuffer(verifier))
    return makeStatus(GEMMAC_DATA_LOSS, "%s: the model FlatBuffer is corrupt or truncated", path);
  out->root = schema::GetModel(data);
  if (out->root->format_version() != kFormatVersion)
    return makeStatus(GEMMAC_UNIMPLEMENTED, "%s: format version %u is not supported (this runtime reads version %u)",
                      path, out->root->format_version(), kFormatVersion);
  GEMMAC_RETURN_IF_ERROR(bindTensors(out));
  return checkPlan(*out);
}

}  // namespace gemmac
