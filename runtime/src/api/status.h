// Internal helpers for the C API's gemmac_status (NULL = success).
#ifndef GEMMAC_RUNTIME_SRC_STATUS_H_
#define GEMMAC_RUNTIME_SRC_STATUS_H_

#include "gemmac/gemmac.h"

namespace gemmac {

/// A failed status with a printf-style message. Never returns NULL: if even the
/// status cannot be allocated, a static out-of-memory status is returned.
gemmac_status makeStatus(gemmac_status_code code, const char* format, ...)
    __attribute__((format(printf, 2, 3)));

}  // namespace gemmac

/// Returns the status of `expr` from the enclosing function if it failed.
#define GEMMAC_RETURN_IF_ERROR(expr)          \
  do {                                        \
    gemmac_status gemmac_status_ = (expr);    \
    if (gemmac_status_ != nullptr) return gemmac_status_; \
  } while (0)

#endif  // GEMMAC_RUNTIME_SRC_STATUS_H_
