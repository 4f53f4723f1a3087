// libFuzzer target of the .gmf loader: the input is a whole model file, loaded
// as gemmac_model_load does after mapping it (the FlatBuffer verifier, tensor
// binding, plan and config checks, the embedded tokenizer, program
// preparation, the compiled library lookup), from a heap copy of exactly the
// input's size: AddressSanitizer then sees any read past the end of the file,
// which it cannot in a mapping. Loading must succeed or fail with a status
// and a message; it must never crash, read out of bounds or leak. Nothing runs.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <string>

#include "api/model.h"
#include "api/status.h"

namespace {

// The model is named as a file in an empty directory of its own, so a library
// name the input chooses finds nothing beside it to load.
char directory[4096];

void removeDirectory() { rmdir(directory); }

const char* emptyDirectory() {
  if (!directory[0]) {
    const char* tmp = std::getenv("TMPDIR");
    std::snprintf(directory, sizeof(directory), "%s/gemmac_gmf_fuzz.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(directory)) std::abort();
    std::atexit(removeDirectory);
  }
  return directory;
}

gemmac_status load(const uint8_t* data, size_t size, gemmac_model* model) {
  model->file.path = std::string(emptyDirectory()) + "/model.gmf";
  model->file.file = gemmac::MappedFile::copyOf(data, size);
  GEMMAC_RETURN_IF_ERROR(gemmac::verifyModelFile(&model->file));
  return gemmac::prepareModel(/*linked=*/nullptr, model);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto* model = new gemmac_model;
  try {
    gemmac_status status = load(data, size, model);
    if (status) {
      const char* message = gemmac_status_get_message(status);
      if (gemmac_status_get_code(status) == GEMMAC_OK || !message || !*message)
        std::abort();  // a refusal must have a code and say why
      gemmac_status_free(status);
    }
  } catch (const std::bad_alloc&) {
    // gemmac_model_load's barrier reports it as GEMMAC_RESOURCE_EXHAUSTED.
  }
  gemmac_model_free(model);
  return 0;
}
