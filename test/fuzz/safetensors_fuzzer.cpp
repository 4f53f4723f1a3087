// libFuzzer target of the safetensors reader: the input is a whole
// model.safetensors (header length, JSON header, data area), read from memory
// through SafetensorsFile::fromBuffer. A file it accepts must give tensors
// whose bytes lie inside the input and match their shape; a refused one must
// say why; nothing may crash or read out of bounds.
#include "compiler/importers/Safetensors.h"
#include "refusal.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::StringRef bytes(reinterpret_cast<const char *>(data), size);
  llvm::Expected<std::unique_ptr<gemmac::SafetensorsFile>> file =
      gemmac::SafetensorsFile::fromBuffer(llvm::MemoryBuffer::getMemBuffer(
          bytes, "model.safetensors", /*RequiresNullTerminator=*/false));
  if (gemmac::fuzz::isRefusal(file))
    return 0;
  for (const gemmac::SafetensorsTensor &tensor : (*file)->tensors()) {
    uint64_t elements = 1;
    for (int64_t dim : tensor.shape)
      elements *= uint64_t(dim);
    size_t elementSize = gemmac::elementSize(tensor.type);
    if (tensor.bytes.size() != elements * elementSize ||
        (*file)->find(tensor.name) != &tensor)
      std::abort();
    // Read the first and last element: ASan checks they are inside the input.
    if (!tensor.bytes.empty()) {
      (void)gemmac::SafetensorsFile::toFloat(tensor.type, tensor.bytes.data());
      (void)gemmac::SafetensorsFile::toFloat(
          tensor.type, tensor.bytes.end() - elementSize);
    }
  }
  return 0;
}
