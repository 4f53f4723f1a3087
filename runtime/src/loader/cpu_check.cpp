#include "loader/cpu_check.h"

#include <string>

#include "api/status.h"
#include "targets/CpuFeatures.h"

#if defined(__aarch64__)
#include <sys/auxv.h>
#endif

namespace gemmac {

uint32_t hostCpuFeatures() {
  uint32_t features = 0;
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2")) features |= GEMMAC_CPU_X86_AVX2;
  if (__builtin_cpu_supports("fma")) features |= GEMMAC_CPU_X86_FMA;
  if (__builtin_cpu_supports("avx512f")) features |= GEMMAC_CPU_X86_AVX512F;
  if (__builtin_cpu_supports("avx512vnni")) features |= GEMMAC_CPU_X86_AVX512VNNI;
  if (__builtin_cpu_supports("avx512bf16")) features |= GEMMAC_CPU_X86_AVX512BF16;
  if (__builtin_cpu_supports("avx512bw")) features |= GEMMAC_CPU_X86_AVX512BW;
  if (__builtin_cpu_supports("avx512dq")) features |= GEMMAC_CPU_X86_AVX512DQ;
  if (__builtin_cpu_supports("avx512vl")) features |= GEMMAC_CPU_X86_AVX512VL;
  if (__builtin_cpu_supports("f16c")) features |= GEMMAC_CPU_X86_F16C;
#elif defined(__aarch64__)
  // Linux reports AArch64 extensions in the auxiliary vector (asm/hwcap.h).
  const unsigned long hwcap = getauxval(AT_HWCAP);
  if (hwcap & (1ul << 1)) features |= GEMMAC_CPU_ARM_NEON;      // HWCAP_ASIMD
  if (hwcap & (1ul << 20)) features |= GEMMAC_CPU_ARM_DOTPROD;  // HWCAP_ASIMDDP
#endif
  return features;
}

namespace {

/// "avx2, fma, f16c": the names of the feature bits in `bits`.
std::string featureNames(uint32_t bits) {
  std::string names;
  for (uint32_t rest = bits; rest; rest &= rest - 1) {
    if (!names.empty()) names += ", ";
    names += gemmac_cpu_feature_name(rest & -rest);
  }
  return names;
}

/// This build's architecture, for messages.
constexpr const char* kHostArch =
#if defined(__x86_64__)
    "x86-64";
#elif defined(__aarch64__)
    "aarch64";
#else
    "this architecture's";
#endif

}  // namespace

gemmac_status checkCpuFeatures(uint32_t required, const char* target, const char* path) {
  const uint32_t missing = required & ~hostCpuFeatures();
  if (missing == 0) return nullptr;
  return makeStatus(GEMMAC_UNIMPLEMENTED,
                    "%s: compiled for target '%s', which needs CPU features %s; this %s CPU lacks %s "
                    "(compile for a target this CPU has, or without --target for the portable executor)",
                    path, target && *target ? target : "(unnamed)", featureNames(required).c_str(), kHostArch,
                    featureNames(missing).c_str());
}

}  // namespace gemmac
