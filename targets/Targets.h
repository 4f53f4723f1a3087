/* The targets gemmac compiles for, as data: `gemmac compile --target NAME`
 * looks the name up here, records `cpu_features` in the model file and builds
 * the emitted C++ for `triple`/`cpu`; the runtime refuses the model on a CPU
 * lacking any of those features. Plain C, shared by the compiler and runtime. */
#ifndef GEMMAC_TARGETS_TARGETS_H_
#define GEMMAC_TARGETS_TARGETS_H_

#include <stddef.h>
#include <stdint.h>

#include "targets/CpuFeatures.h"

typedef struct gemmac_target {
  const char* name;       /* --target NAME; also names the library: libmodel_NAME.so */
  const char* triple;     /* LLVM target triple; NULL: the compiler's host triple */
  const char* cpu;        /* -mcpu/-march for clang; NULL: the triple's default */
  const char* features;   /* clang -m flags matching cpu_features, space separated */
  uint32_t cpu_features;  /* gemmac_cpu_feature bits the compiled code needs */
  const char* kernel_set; /* the kernels/<set>/ directory linked in */
} gemmac_target;

static const gemmac_target gemmac_targets[] = {
    {"host", NULL, NULL, "", 0, "generic"},
    {"x86_64-linux", "x86_64-unknown-linux-gnu", "haswell", "-mavx2 -mfma",
     GEMMAC_CPU_X86_AVX2 | GEMMAC_CPU_X86_FMA, "generic"},
};

/* The target called `name`, or NULL. */
static inline const gemmac_target* gemmac_find_target(const char* name) {
  for (size_t i = 0; i < sizeof(gemmac_targets) / sizeof(gemmac_targets[0]); ++i) {
    const char* a = gemmac_targets[i].name;
    const char* b = name;
    while (*a && *a == *b) ++a, ++b;
    if (*a == *b) return &gemmac_targets[i];
  }
  return NULL;
}

#endif /* GEMMAC_TARGETS_TARGETS_H_ */
