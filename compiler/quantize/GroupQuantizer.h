//===- GroupQuantizer.h - QAT-aware int4 / int8 group quantization -*- C++ -*-===//
//
// Turns a [rows, cols] weight into the runtime's q4g32 / q8g32 layout
// (runtime/kernels/kernels.h): groups of 32 consecutive inputs of a row, one
// f16 scale each. A group whose values already lie on an int4 grid (levels in
// [-8, 7] times one f16-representable scale, as a quantization-aware-trained
// checkpoint stores them) is kept bit for bit; only groups without such a grid
// are rounded.
//
//===----------------------------------------------------------------------===//
#ifndef GEMMAC_COMPILER_QUANTIZE_GROUPQUANTIZER_H
#define GEMMAC_COMPILER_QUANTIZE_GROUPQUANTIZER_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <optional>
#include <vector>

namespace gemmac {

/// How a weight is stored in the model file.
enum class WeightFormat { F32, BF16, Q8G32, Q4G32 };

/// "f32", "bf16", "q8g32", "q4g32" (the IR's `storage` attribute values).
llvm::StringRef weightFormatName(WeightFormat format);
std::optional<WeightFormat> parseWeightFormat(llvm::StringRef name);

/// How groups without an exact grid (or every group, for Naive) get a scale.
enum class RoundingRule {
  /// Keep exact grids; elsewhere pick the scale with the least squared error.
  GridAware,
  /// The plain Q4_0 rule: scale = (signed value of largest magnitude) / -8.
  Naive,
};

struct QuantizedWeight {
  std::vector<uint8_t> bytes; // the kernels' layout: levels, then f16 scales
  int64_t groups = 0;
  int64_t exactGroups = 0; // groups whose dequantized values equal the input exactly
};

/// Quantizes `values` ([rows, cols], row-major, cols % 32 == 0) to q4g32 or
/// q8g32. Rows are processed in parallel.
QuantizedWeight quantizeWeight(llvm::ArrayRef<float> values, int64_t rows, int64_t cols,
                               WeightFormat format, RoundingRule rule);

/// Whether every group of `values` lies exactly on an int4 grid (stops at
/// the first that does not).
bool isOnInt4Grid(llvm::ArrayRef<float> values, int64_t rows, int64_t cols);

} // namespace gemmac

#endif // GEMMAC_COMPILER_QUANTIZE_GROUPQUANTIZER_H
