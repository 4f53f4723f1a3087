/* q4g32 / q8g32 linear on AArch64 NEON (baseline: no extension needed).
 *
 * Exact, like the x86 kernels: each weight becomes level * scale in f32 (a
 * level of at most 8 bits times an 11-bit f16 significand fits f32's 24) and
 * is multiplied into f32 accumulators by FMA; only the order of summation
 * differs from the generic kernel.
 *
 * Unpacking 16 weights: q4 levels -8..7 are f16 numbers whose low byte is 0,
 * so one tbl maps 16 nibbles to the high bytes of their levels, shll #8 makes
 * them f16 (8 per vector) and fcvtl widens them to f32 exactly: with the
 * nibble masks and the scale products, 12 instructions. q8 levels go the
 * integer way, sxtl twice and scvtf (14). The scale multiplies are plain fmul,
 * which leave their operands intact (an fma against a bias would need a copy
 * of the addend each time).
 *
 * Prefill (tiles of 2 rows x 6 tokens, 12 accumulators): per half group (16
 * inputs) the 4 weight vectors of both rows are unpacked once and each x
 * vector loaded once feeds both rows' FMAs, which keeps about 26 of the 32
 * vector registers live. Decode (one token, also an odd last token of a
 * prefill) takes 4 rows per pass with two accumulators per row, one per half
 * group, so that 8 FMA chains hide the FMA latency; it prefetches each group's
 * address plus kPrefetchBytes, as the x86 kernels do where it was measured
 * (not measured here: only qemu was at hand). */
#include <arm_neon.h>

#include "kernels.h"

enum {
  kTileRows = 2,
  kTileTokens = 6,
  kDecodeRows = 4,
  kMaxRows = 4,
  kMaxTokens = 6,
  /* Weights per row chunk revisited by each token tile: half the 256 KiB L2
   * of the smaller recent cores (Cortex-A76/A78), not measured. */
  kL2ChunkBytes = 128 * 1024,
  kPrefetchBytes = 16 * 1024, /* how far ahead decode prefetches weights */
};

/* The driver: linear(), its prefill tiles and decode rows on linear_tile below
 * (shared with the x86 kernels). */
#include "quant_linear.h"

/* The high bytes of the f16 numbers -8..7, the q4 levels of nibbles 0..15. */
static const uint8_t kQ4LevelHighBytes[16] = {0xc8, 0xc7, 0xc6, 0xc5, 0xc4, 0xc2, 0xc0, 0xbc,
                                              0x00, 0x3c, 0x40, 0x42, 0x44, 0x45, 0x46, 0x47};

/* The f16 scale at h, widened to f32 in every lane (exact). */
static inline float32x4_t load_scale(const uint16_t* h) {
  return vcvt_f32_f16(vreinterpret_f16_u16(vld1_dup_u16(h)));
}

/* w[0..3] = the 16 levels (as f16 high bytes, see above) times s. */
static inline __attribute__((always_inline)) void q4_weights16(uint8x16_t high, float32x4_t s, float32x4_t w[4]) {
  const float16x8_t lo = vreinterpretq_f16_u16(vshll_n_u8(vget_low_u8(high), 8));
  const float16x8_t hi = vreinterpretq_f16_u16(vshll_high_n_u8(high, 8));
  w[0] = vmulq_f32(vcvt_f32_f16(vget_low_f16(lo)), s);
  w[1] = vmulq_f32(vcvt_high_f32_f16(lo), s);
  w[2] = vmulq_f32(vcvt_f32_f16(vget_low_f16(hi)), s);
  w[3] = vmulq_f32(vcvt_high_f32_f16(hi), s);
}

/* w[0..3] = the 16 int8 levels times s. */
static inline __attribute__((always_inline)) void q8_weights16(int8x16_t levels, float32x4_t s, float32x4_t w[4]) {
  const int16x8_t lo = vmovl_s8(vget_low_s8(levels)), hi = vmovl_high_s8(levels);
  w[0] = vmulq_f32(vcvtq_f32_s32(vmovl_s16(vget_low_s16(lo))), s);
  w[1] = vmulq_f32(vcvtq_f32_s32(vmovl_high_s16(lo)), s);
  w[2] = vmulq_f32(vcvtq_f32_s32(vmovl_s16(vget_low_s16(hi))), s);
  w[3] = vmulq_f32(vcvtq_f32_s32(vmovl_high_s16(hi)), s);
}

/* [sum(a), sum(b), sum(c), sum(d)]. */
static inline float32x4_t reduce4(float32x4_t a, float32x4_t b, float32x4_t c, float32x4_t d) {
  return vpaddq_f32(vpaddq_f32(a, b), vpaddq_f32(c, d));
}

/* The tile of quant_linear.h; `prefetch` (decode) fetches weights kPrefetchBytes ahead. */
static inline __attribute__((always_inline)) void linear_tile(int q8, const uint8_t* w, const uint16_t* scales,
                                                              size_t k, const float* x, size_t j, size_t rows,
                                                              size_t tokens, int prefetch, float* out,
                                                              size_t out_stride) {
  const size_t groups = k / GEMMAC_QUANT_GROUP;
  const size_t group_bytes = q8 ? GEMMAC_QUANT_GROUP : GEMMAC_QUANT_GROUP / 2;
  /* One token: a second accumulator per row breaks the FMA chain in two. */
  const size_t lanes = tokens == 1 ? 2 : 1;
  const uint8_t* tile = w + j * groups * group_bytes;
  const uint8x16_t q4_table = vld1q_u8(kQ4LevelHighBytes);
  float32x4_t acc[kMaxRows * kMaxTokens];
#pragma clang loop unroll(full)
  for (size_t a = 0; a < rows * tokens * lanes; ++a) acc[a] = vdupq_n_f32(0.0f);

  for (size_t g = 0; g < groups; ++g) {
#pragma clang loop unroll(full)
    for (size_t half = 0; half < 2; ++half) {
      const size_t i = g * GEMMAC_QUANT_GROUP + 16 * half;
      float32x4_t v[kMaxRows][4]; /* W[j + r, i .. i + 15] */
#pragma clang loop unroll(full)
      for (size_t r = 0; r < rows; ++r) {
        const uint8_t* p = tile + (r * groups + g) * group_bytes;
        if (prefetch && half == 0) __builtin_prefetch(p + kPrefetchBytes);
        const float32x4_t s = load_scale(scales + (j + r) * groups + g);
        if (q8) {
          q8_weights16(vld1q_s8((const int8_t*)p + 16 * half), s, v[r]);
        } else {
          /* Inputs 0..15 are the low nibbles of the group's bytes, 16..31 the high ones. */
          const uint8x16_t b = vld1q_u8(p);
          const uint8x16_t nibbles = half == 0 ? vandq_u8(b, vdupq_n_u8(0xf)) : vshrq_n_u8(b, 4);
          q4_weights16(vqtbl1q_u8(q4_table, nibbles), s, v[r]);
        }
      }
#pragma clang loop unroll(full)
      for (size_t t = 0; t < tokens; ++t)
#pragma clang loop unroll(full)
        for (size_t q = 0; q < 4; ++q) {
          const float32x4_t xv = vld1q_f32(x + t * k + i + 4 * q);
#pragma clang loop unroll(full)
          for (size_t r = 0; r < rows; ++r) {
            float32x4_t* a = &acc[(r * tokens + t) * lanes + half % lanes];
            *a = vfmaq_f32(*a, v[r][q], xv);
          }
        }
    }
  }

  float sums[kMaxRows * kMaxTokens];
  if (lanes == 2) {
#pragma clang loop unroll(full)
    for (size_t a = 0; a < rows * tokens; ++a) acc[a] = vaddq_f32(acc[2 * a], acc[2 * a + 1]);
  }
  size_t a = 0;
#pragma clang loop unroll(full)
  for (; a + 4 <= rows * tokens; a += 4) vst1q_f32(sums + a, reduce4(acc[a], acc[a + 1], acc[a + 2], acc[a + 3]));
#pragma clang loop unroll(full)
  for (; a < rows * tokens; ++a) sums[a] = vaddvq_f32(acc[a]);
  store_tile(sums, rows, tokens, out, out_stride);
}

GEMMAC_QUANT_LINEAR_ENTRY_POINTS(arm64_neon)
