/* CPU feature bits a compiled model may require; shared by the compiler and the
 * runtime (plain C so the runtime API side can use it). */
#ifndef GEMMAC_TARGETS_CPUFEATURES_H_
#define GEMMAC_TARGETS_CPUFEATURES_H_

#include <stdint.h>

enum gemmac_cpu_feature {
  GEMMAC_CPU_X86_AVX2 = 1u << 0,
  GEMMAC_CPU_X86_FMA = 1u << 1,
  GEMMAC_CPU_X86_AVX512F = 1u << 2,
  GEMMAC_CPU_X86_AVX512VNNI = 1u << 3,
  GEMMAC_CPU_X86_AVX512BF16 = 1u << 4,
  GEMMAC_CPU_X86_AVX512BW = 1u << 5,
  GEMMAC_CPU_X86_AVX512DQ = 1u << 6,
  GEMMAC_CPU_X86_AVX512VL = 1u << 7,
  GEMMAC_CPU_X86_F16C = 1u << 10,
  GEMMAC_CPU_ARM_NEON = 1u << 8,
  GEMMAC_CPU_ARM_DOTPROD = 1u << 9,
};

/* The name of one feature bit, for diagnostics ("avx2"), or "?". */
static inline const char* gemmac_cpu_feature_name(uint32_t bit) {
  switch (bit) {
    case GEMMAC_CPU_X86_AVX2: return "avx2";
    case GEMMAC_CPU_X86_FMA: return "fma";
    case GEMMAC_CPU_X86_AVX512F: return "avx512f";
    case GEMMAC_CPU_X86_AVX512VNNI: return "avx512vnni";
    case GEMMAC_CPU_X86_AVX512BF16: return "avx512bf16";
    case GEMMAC_CPU_X86_AVX512BW: return "avx512bw";
    case GEMMAC_CPU_X86_AVX512DQ: return "avx512dq";
    case GEMMAC_CPU_X86_AVX512VL: return "avx512vl";
    case GEMMAC_CPU_X86_F16C: return "f16c";
    case GEMMAC_CPU_ARM_NEON: return "neon";
    case GEMMAC_CPU_ARM_DOTPROD: return "dotprod";
    default: return "?";
  }
}

#endif /* GEMMAC_TARGETS_CPUFEATURES_H_ */
