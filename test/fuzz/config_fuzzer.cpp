// libFuzzer target of config.json: the input is the file's text, read the
// way the importer reads it (parseModelConfigText, with every ConfigLimits
// check), then sized from as the importer does first (the tensor table). It
// must be accepted or refused with a message naming the problem; it must
// never crash, read out of bounds or exhaust memory.
#include "compiler/importers/ModelConfig.h"
#include "compiler/importers/TensorTable.h"
#include "refusal.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::StringRef text(reinterpret_cast<const char *>(data), size);
  llvm::Expected<gemmac::ModelConfig> config =
      gemmac::parseModelConfigText(text, "config.json");
  if (gemmac::fuzz::isRefusal(config))
    return 0;
  // What every later stage relies on: one kind per layer.
  if (int64_t(config->layerTypes.size()) != config->numLayers)
    std::abort();
  (void)gemmac::checkpointTensors(*config);
  return 0;
}
