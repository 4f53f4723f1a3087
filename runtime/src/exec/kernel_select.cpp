#include "exec/kernel_select.h"

#include "loader/cpu_check.h"
#include "targets/CpuFeatures.h"

namespace gemmac {

gemmac_linear_q_fn selectLinearKernel(schema::DType dtype) {
  const bool q4 = dtype == schema::DType::Q4G32;
#if defined(__x86_64__)
  const uint32_t features = hostCpuFeatures();
  if (features & GEMMAC_CPU_X86_AVX512F) return q4 ? gemmac_linear_q4g32_x86_avx512 : gemmac_linear_q8g32_x86_avx512;
  const uint32_t avx2 = GEMMAC_CPU_X86_AVX2 | GEMMAC_CPU_X86_FMA | GEMMAC_CPU_X86_F16C;
  if ((features & avx2) == avx2) return q4 ? gemmac_linear_q4g32_x86_avx2 : gemmac_linear_q8g32_x86_avx2;
#elif defined(__aarch64__)
  return q4 ? gemmac_linear_q4g32_arm64_neon : gemmac_linear_q8g32_arm64_neon;  // NEON: every AArch64 CPU
#endif
  return q4 ? gemmac_linear_q4g32_generic : gemmac_linear_q8g32_generic;
}

Int8ActivationKernel selectInt8ActivationKernel(schema::DType dtype) {
  const bool q4 = dtype == schema::DType::Q4G32;
#if defined(__x86_64__)
  const uint32_t vnni =
      GEMMAC_CPU_X86_AVX512F | GEMMAC_CPU_X86_AVX512BW | GEMMAC_CPU_X86_AVX512VL | GEMMAC_CPU_X86_AVX512VNNI;
  if ((hostCpuFeatures() & vnni) == vnni)
    return q4 ? Int8ActivationKernel{gemmac_linear_q4g32_int8tiles_x86_avx512vnni, gemmac_int8_tiles_pack_q4g32}
              : Int8ActivationKernel{gemmac_linear_q8g32_int8tiles_x86_avx512vnni, gemmac_int8_tiles_pack_q8g32};
#endif
  return {q4 ? gemmac_linear_q4g32_int8act_generic : gemmac_linear_q8g32_int8act_generic, nullptr};
}

namespace {

struct AttentionKernels {
  gemmac_attention_partial_fn f32, f16;
};

}  // namespace

gemmac_attention_partial_fn selectAttentionKernel(gemmac_kv_type type) {
  static const AttentionKernels kernels = []() -> AttentionKernels {
#if defined(__x86_64__)
    const uint32_t features = hostCpuFeatures();
    if (features & GEMMAC_CPU_X86_AVX512F)
      return {gemmac_attention_partial_x86_avx512, gemmac_attention_partial_f16_x86_avx512};
    const uint32_t avx2 = GEMMAC_CPU_X86_AVX2 | GEMMAC_CPU_X86_FMA | GEMMAC_CPU_X86_F16C;
    if ((features & avx2) == avx2) return {gemmac_attention_partial_x86_avx2, gemmac_attention_partial_f16_x86_avx2};
#elif defined(__aarch64__)
    return {gemmac_attention_partial_arm64_neon, gemmac_attention_partial_f16_arm64_neon};  // NEON: every AArch64 CPU
#endif
    return {gemmac_attention_partial_generic, gemmac_attention_partial_f16_generic};
  }();
  return type == GEMMAC_KV_F16 ? kernels.f16 : kernels.f32;
}

}  // namespace gemmac
