// The CPU features a model was compiled for, checked before anything runs.
#ifndef GEMMAC_RUNTIME_SRC_CPU_CHECK_H_
#define GEMMAC_RUNTIME_SRC_CPU_CHECK_H_

#include <cstdint>

#include "gemmac/gemmac.h"

namespace gemmac {

/// GEMMAC_UNIMPLEMENTED naming the target, the features it needs and those
/// missing when this CPU lacks any of `required` (gemmac_cpu_feature bits);
/// `path` names the model.
gemmac_status checkCpuFeatures(uint32_t required, const char* target, const char* path);

/// The gemmac_cpu_feature bits this CPU has.
uint32_t hostCpuFeatures();

}  // namespace gemmac

#endif  // GEMMAC_RUNTIME_SRC_CPU_CHECK_H_
