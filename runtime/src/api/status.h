// Internal helpers for the C API's gemmac_status (NULL = success).
#ifndef GEMMAC_RUNTIME_SRC_STATUS_H_
#define GEMMAC_RUNTIME_SRC_STATUS_H_

#include <exception>
#include <new>
#include <stdexcept>

#include "gemmac/gemmac.h"

namespace gemmac {

/// A failed status with a printf-style message. Never returns NULL and never
/// throws: if even the status cannot be allocated, a static out-of-memory
/// status is returned.
gemmac_status makeStatus(gemmac_status_code code, const char* format, ...) noexcept
    __attribute__((format(printf, 2, 3)));

/// The exception barrier of the C API: every extern "C" function that can
/// allocate or throw returns guard(call name, body). No exception crosses the
/// API (it is undefined behaviour through C frames): running out of memory
/// becomes GEMMAC_RESOURCE_EXHAUSTED naming the call, anything else
/// GEMMAC_INTERNAL. std::length_error counts as out of memory: it is a size
/// beyond what a container can ever allocate (e.g. absurd caller lengths).
template <typename Body>
gemmac_status guard(const char* call, Body&& body) noexcept {
  try {
    return body();
  } catch (const std::bad_alloc&) {
    return makeStatus(GEMMAC_RESOURCE_EXHAUSTED, "%s: out of memory", call);
  } catch (const std::length_error&) {
    return makeStatus(GEMMAC_RESOURCE_EXHAUSTED, "%s: out of memory", call);
  } catch (const std::exception& e) {
    return makeStatus(GEMMAC_INTERNAL, "%s: unexpected exception: %s", call, e.what());
  } catch (...) {  // e.g. thrown by a C++ caller's token callback
    return makeStatus(GEMMAC_INTERNAL, "%s: unexpected exception", call);
  }
}

}  // namespace gemmac

/// Returns the status of `expr` from the enclosing function if it failed.
#define GEMMAC_RETURN_IF_ERROR(expr)          \
  do {                                        \
    gemmac_status gemmac_status_ = (expr);    \
    if (gemmac_status_ != nullptr) return gemmac_status_; \
  } while (0)

#endif  // GEMMAC_RUNTIME_SRC_STATUS_H_
