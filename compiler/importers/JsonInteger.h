//===- JsonInteger.h - An integer of a JSON file, range-checked ---*- C++ -*-===//
//
// llvm::json::Value::getAsInteger takes a whole double of at most
// double(INT64_MAX), which rounds up to 2^63 and so does not fit: a file
// holding 9223372036854775808.0 made it convert out of range (undefined
// behaviour, found by the config.json fuzzer's sanitizer). The checkpoint
// readers take the integers of their files from here instead.
//
//===----------------------------------------------------------------------===//
#ifndef GEMMAC_COMPILER_IMPORTERS_JSONINTEGER_H
#define GEMMAC_COMPILER_IMPORTERS_JSONINTEGER_H

#include "llvm/Support/JSON.h"

#include <cstdint>
#include <optional>

namespace gemmac {

/// `value` as an int64_t; nullopt unless it is a whole number that fits.
inline std::optional<int64_t> getJsonInteger(const llvm::json::Value &value) {
  // A number at or above 2^63 that is no unsigned integer is a double.
  std::optional<double> number = value.getAsNumber();
  if (number && *number >= 0x1p63 && !value.getAsUINT64())
    return std::nullopt;
  return value.getAsInteger();
}

} // namespace gemmac

#endif // GEMMAC_COMPILER_IMPORTERS_JSONINTEGER_H
