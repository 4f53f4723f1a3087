#include "loader/cpu_check.h"

#include "api/status.h"
#include "targets/CpuFeatures.h"

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
  features |= GEMMAC_CPU_ARM_NEON;  // mandatory in AArch64
#endif
  return features;
}

gemmac_status checkCpuFeatures(uint32_t required, const char* path) {
  const uint32_t missing = required & ~hostCpuFeatures();
  if (missing == 0) return nullptr;
  const uint32_t first = missing & -missing;
  return makeStatus(GEMMAC_UNIMPLEMENTED, "%s: compiled for CPU feature '%s', which this CPU lacks", path,
                    gemmac_cpu_feature_name(first));
}

}  // namespace gemmac
