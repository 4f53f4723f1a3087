//===- GroupQuantizer.cpp - QAT-aware int4 / int8 group quantization ------===//

#include "compiler/quantize/GroupQuantizer.h"

#include "runtime/kernels/kernels.h"

#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/Parallel.h"

#include <atomic>
#include <cmath>
#include <cstring>
#include <limits>

namespace gemmac {

llvm::StringRef weightFormatName(WeightFormat format) {
  switch (format) {
  case WeightFormat::F32:
    return "f32";
  case WeightFormat::BF16:
    return "bf16";
  case WeightFormat::Q8G32:
    return "q8g32";
  case WeightFormat::Q4G32:
    return "q4g32";
  }
  return "?";
}

std::optional<WeightFormat> parseWeightFormat(llvm::StringRef name) {
  return llvm::StringSwitch<std::optional<WeightFormat>>(name)
      .Case("f32", WeightFormat::F32)
      .Case("bf16", WeightFormat::BF16)
      .Case("q8g32", WeightFormat::Q8G32)
      .Case("q4g32", WeightFormat::Q4G32)
      .Default(std::nullopt);
}

namespace {

constexpr int kGroup = GEMMAC_QUANT_GROUP;

/// One group's levels and f16 scale; `error` is the squared error they give.
struct GroupCode {
  int8_t levels[kGroup];
  uint16_t scale = 0;
  double error = std::numeric_limits<double>::infinity();
  bool exact = false; // every value reproduced bit for bit (signed zeros too)
};

/// What the runtime computes for a level: (float)level * f16 scale, in f32.
float dequantize(int level, float scale) { return static_cast<float>(level) * scale; }

/// Round half away from zero (std::lround's rule), inline.
int roundLevel(float x) { return static_cast<int>(x + (x < 0.0f ? -0.5f : 0.5f)); }

/// Levels for `scale` (clamped to [lo, hi]) and the squared error they give.
void encode(const float *v, uint16_t scale16, int lo, int hi, GroupCode &code) {
  code.scale = scale16;
  const float scale = gemmac_f16_to_f32_generic(scale16);
  const float inverse = scale == 0.0f ? 0.0f : 1.0f / scale;
  double error = 0;
  bool exact = true;
  for (int i = 0; i < kGroup; ++i) {
    int level = std::min(hi, std::max(lo, roundLevel(v[i] * inverse)));
    code.levels[i] = static_cast<int8_t>(level);
    float value = dequantize(level, scale);
    double diff = static_cast<double>(value) - v[i];
    error += diff * diff;
    exact = exact && std::memcmp(&value, &v[i], sizeof(float)) == 0;
  }
  code.error = error;
  code.exact = exact;
}

/// Scales may be negative: levels in [lo, hi] then mirror, which lets the
/// peak of either sign take the extra level lo (Q4_0's trick).
bool usableScale(float scale) { return std::isfinite(scale) && scale != 0.0f; }

/// Whether every value is exactly level * scale with a level in [lo, hi];
/// most candidate scales fail on the first values, so this stops early.
bool reproduces(const float *v, float scale, int lo, int hi) {
  const float inverse = 1.0f / scale;
  for (int i = 0; i < kGroup; ++i) {
    int level = roundLevel(v[i] * inverse);
    float value = dequantize(level, scale);
    if (level < lo || level > hi || std::memcmp(&value, &v[i], sizeof(float)) != 0)
      return false;
  }
  return true;
}

/// Looks for a scale under which every value is exactly level * scale with
/// levels in [lo, hi]. The value of largest magnitude, `peak`, has some level
/// L != 0, so scale = peak / L for one L in [lo, hi]: try them all, positive
/// scales first (a negative one turns a stored +0 into -0).
bool findGrid(const float *v, float peak, int lo, int hi, GroupCode &code) {
  for (bool positive : {true, false}) {
    for (int level = lo; level <= hi; ++level) {
      if (level == 0 || (peak / static_cast<float>(level) > 0.0f) != positive)
        continue;
      uint16_t scale16 = gemmac_f32_to_f16_generic(peak / static_cast<float>(level));
      float scale = gemmac_f16_to_f32_generic(scale16);
      if (!usableScale(scale) || !reproduces(v, scale, lo, hi))
        continue;
      encode(v, scale16, lo, hi, code);
      return true;
    }
  }
  return false;
}

/// The scale with the least squared error among a few candidates around the
/// range-filling ones (the peak at the lowest or the highest level), each
/// refined by least squares (the optimum for its levels). int8 has levels to
/// spare, so only the range-filling scales are tried there.
void roundBest(const float *v, float peak, int lo, int hi, GroupCode &best) {
  static const float int4Fills[] = {1.0f, 0.95f, 0.9f, 0.85f};
  static const float int8Fills[] = {1.0f};
  llvm::ArrayRef<float> fills = hi <= 7 ? llvm::ArrayRef<float>(int4Fills) : llvm::ArrayRef<float>(int8Fills);
  GroupCode code;
  for (int side : {lo, hi}) {
    for (float fill : fills) {
      float scale = peak / (static_cast<float>(side) * fill);
      uint16_t scale16 = gemmac_f32_to_f16_generic(scale);
      if (!usableScale(gemmac_f16_to_f32_generic(scale16)))
        continue;
      encode(v, scale16, lo, hi, code);
      if (code.error < best.error)
        best = code;
      double dot = 0, norm = 0;
      for (int i = 0; i < kGroup; ++i) {
        dot += static_cast<double>(code.levels[i]) * v[i];
        norm += static_cast<double>(code.levels[i]) * code.levels[i];
      }
      if (norm == 0)
        continue;
      uint16_t refined = gemmac_f32_to_f16_generic(static_cast<float>(dot / norm));
      if (!usableScale(gemmac_f16_to_f32_generic(refined)))
        continue;
      encode(v, refined, lo, hi, code);
      if (code.error < best.error)
        best = code;
    }
  }
}

GroupCode quantizeGroup(const float *v, int lo, int hi, RoundingRule rule) {
  float peak = 0;
  for (int i = 0; i < kGroup; ++i)
    if (std::fabs(v[i]) > std::fabs(peak))
      peak = v[i];
  GroupCode code;
  if (peak == 0.0f) {
    encode(v, 0, lo, hi, code);
    return code;
  }
  if (rule == RoundingRule::Naive) {
    // Q4_0: the value of largest magnitude maps to the most negative level
    // (for int8, the symmetric max / 127 rule).
    float scale = lo == -8 ? peak / -8.0f : std::fabs(peak) / static_cast<float>(hi);
    encode(v, gemmac_f32_to_f16_generic(scale), lo, hi, code);
    return code;
  }
  // An int4 grid is exact in int8 too, so both formats look for it first.
  if (findGrid(v, peak, -8, 7, code))
    return code;
  roundBest(v, peak, lo, hi, code);
  return code;
}

bool groupOnInt4Grid(const float *v) {
  float peak = 0;
  for (int i = 0; i < kGroup; ++i)
    if (std::fabs(v[i]) > std::fabs(peak))
      peak = v[i];
  GroupCode code;
  return peak == 0.0f || findGrid(v, peak, -8, 7, code);
}

} // namespace

bool isOnInt4Grid(llvm::ArrayRef<float> values, int64_t rows, int64_t cols) {
  if (cols % kGroup != 0)
    return false;
  const size_t groups = static_cast<size_t>(rows * cols / kGroup);
  for (size_t g = 0; g < groups; ++g)
    if (!groupOnInt4Grid(values.data() + g * kGroup))
      return false;
  return true;
}

QuantizedWeight quantizeWeight(llvm::ArrayRef<float> values, int64_t rows, int64_t cols,
                               WeightFormat format, RoundingRule rule) {
  const bool int4 = format == WeightFormat::Q4G32;
  const int lo = int4 ? -8 : -127, hi = int4 ? 7 : 127;
  const size_t n = static_cast<size_t>(rows), k = static_cast<size_t>(cols);
  const size_t groupsPerRow = k / kGroup;
  QuantizedWeight result;
  result.groups = rows * static_cast<int64_t>(groupsPerRow);
  result.bytes.resize(int4 ? gemmac_q4g32_bytes(n, k) : gemmac_q8g32_bytes(n, k));
  uint8_t *levels = result.bytes.data();
  uint16_t *scales = reinterpret_cast<uint16_t *>(levels + (int4 ? n * k / 2 : n * k));
  std::atomic<int64_t> exact{0};
  llvm::parallelFor(0, n, [&](size_t row) {
    int64_t rowExact = 0;
    for (size_t g = 0; g < groupsPerRow; ++g) {
      const size_t group = row * groupsPerRow + g;
      GroupCode code = quantizeGroup(values.data() + group * kGroup, lo, hi, rule);
      rowExact += code.exact;
      scales[group] = code.scale;
      if (int4) {
        uint8_t *out = levels + group * (kGroup / 2);
        for (int b = 0; b < kGroup / 2; ++b)
          out[b] = static_cast<uint8_t>((code.levels[b] + 8) | ((code.levels[b + 16] + 8) << 4));
      } else {
        for (int i = 0; i < kGroup; ++i)
          levels[group * kGroup + i] = static_cast<uint8_t>(code.levels[i]);
      }
    }
    exact += rowExact;
  });
  result.exactGroups = exact;
  return result;
}

} // namespace gemmac
