/* The targets gemmac compiles for, as data: `gemmac compile --target NAME`
 * looks the name up here, records the name and `cpu_features` in the model
 * file and builds the emitted C++ for `triple`/`cpu`; the runtime refuses the
 * model on a CPU lacking any of those features. Plain C, shared by the compiler
 * and runtime. */
#ifndef GEMMAC_TARGETS_TARGETS_H_
#define GEMMAC_TARGETS_TARGETS_H_

#include <stddef.h>
#include <stdint.h>

#include "targets/CpuFeatures.h"

/* How the forward pass ships: a shared library the runtime loads from beside
 * the model file, or a static archive an app links (Android, built without
 * an NDK) and hands to gemmac_model_load_linked. */
typedef enum gemmac_target_library {
  GEMMAC_TARGET_SHARED = 0, /* libmodel_NAME.so */
  GEMMAC_TARGET_STATIC = 1, /* libmodel_NAME.a */
} gemmac_target_library;

typedef struct gemmac_target {
  const char* name;       /* --target NAME; also names the library: libmodel_NAME.so / .a */
  const char* triple;     /* LLVM target triple; NULL: the compiler's host triple */
  const char* cpu;        /* -march for clang; NULL: the triple's default */
  const char* features;   /* further clang -m flags, space separated */
  uint32_t cpu_features;  /* gemmac_cpu_feature bits the compiled code needs (all -march implies) */
  const char* kernel_variant; /* the kernels the code calls: gemmac_linear_q4g32_<variant>,
                                 ..._q8g32_<variant>, gemmac_attention_partial_<variant> and
                                 gemmac_attention_partial_f16_<variant> */
  const char* kernel_sources; /* their sources beyond generic/, under runtime/kernels/ */
  gemmac_target_library library;
} gemmac_target;

#define GEMMAC_X86_64_V3 (GEMMAC_CPU_X86_AVX2 | GEMMAC_CPU_X86_FMA | GEMMAC_CPU_X86_F16C)

static const gemmac_target gemmac_targets[] = {
    {"host", NULL, NULL, "", 0, "generic", "", GEMMAC_TARGET_SHARED},
    /* Haswell, Zen 1 and later. */
    {"x86_64-avx2", "x86_64-unknown-linux-gnu", "x86-64-v3", "", GEMMAC_X86_64_V3, "x86_avx2",
     "x86_64/quant_avx2.c x86_64/attention_avx2.c", GEMMAC_TARGET_SHARED},
    /* Skylake-SP, Ice Lake, Sapphire Rapids, Zen 4 / 5 and later. */
    {"x86_64-avx512", "x86_64-unknown-linux-gnu", "x86-64-v4", "",
     GEMMAC_X86_64_V3 | GEMMAC_CPU_X86_AVX512F | GEMMAC_CPU_X86_AVX512BW | GEMMAC_CPU_X86_AVX512DQ |
         GEMMAC_CPU_X86_AVX512VL,
     "x86_avx512", "x86_64/quant_avx512.c x86_64/attention_avx512.c", GEMMAC_TARGET_SHARED},
    /* Any ARMv8-A CPU (NEON is part of AArch64): Linux on Arm servers and boards. */
    {"aarch64-linux", "aarch64-linux-gnu", "armv8-a", "", GEMMAC_CPU_ARM_NEON, "arm64_neon",
     "arm64/quant_neon.c arm64/attention_neon.c", GEMMAC_TARGET_SHARED},
    /* The same code for Android 7+ phones, as an archive apps link (no NDK needed). */
    {"arm64-android", "aarch64-linux-android24", "armv8-a", "", GEMMAC_CPU_ARM_NEON, "arm64_neon",
     "arm64/quant_neon.c arm64/attention_neon.c", GEMMAC_TARGET_STATIC},
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
