// The C API's capacity convention for variable-length outputs (gemmac.h).
#ifndef GEMMAC_RUNTIME_SRC_OUTPUT_BUFFER_H_
#define GEMMAC_RUNTIME_SRC_OUTPUT_BUFFER_H_

#include <cstring>
#include <string_view>

#include "api/status.h"

namespace gemmac {

/// Copies `value` into text[capacity]: with text == NULL only the length is
/// reported; a too small buffer fails with GEMMAC_OUT_OF_RANGE and still reports
/// the length; a terminator is written when it fits. out_length may be NULL.
inline gemmac_status copyOutText(std::string_view value, char* text, size_t capacity,
                                 size_t* out_length) {
  if (out_length != nullptr) *out_length = value.size();
  if (text == nullptr) return nullptr;
  if (capacity < value.size())
    return makeStatus(GEMMAC_OUT_OF_RANGE, "output buffer of %zu bytes, %zu needed", capacity,
                      value.size());
  std::memcpy(text, value.data(), value.size());
  if (capacity > value.size()) text[value.size()] = '\0';
  return nullptr;
}

}  // namespace gemmac

#endif  // GEMMAC_RUNTIME_SRC_OUTPUT_BUFFER_H_
