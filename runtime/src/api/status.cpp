#include "api/status.h"

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>

struct gemmac_status_s {
  gemmac_status_code code;
  std::string message;
};

namespace {
// Returned when allocating a status fails; never freed.
gemmac_status_s outOfMemoryStatus{GEMMAC_RESOURCE_EXHAUSTED, "out of memory"};
}  // namespace

namespace gemmac {

gemmac_status makeStatus(gemmac_status_code code, const char* format, ...) noexcept {
  auto* status = new (std::nothrow) gemmac_status_s{code, std::string()};
  if (!status) return &outOfMemoryStatus;
  va_list args;
  va_start(args, format);
  va_list copy;
  va_copy(copy, args);
  int length = std::vsnprintf(nullptr, 0, format, copy);
  va_end(copy);
  // The code matters more than the message: without memory for it, the
  // status keeps its code and an empty message.
  try {
    if (length > 0) {
      status->message.resize(static_cast<size_t>(length));
      std::vsnprintf(&status->message[0], status->message.size() + 1, format, args);
    }
  } catch (const std::bad_alloc&) {
    status->message.clear();
  }
  va_end(args);
  return status;
}

}  // namespace gemmac

extern "C" {

gemmac_status_code gemmac_status_get_code(gemmac_status status) {
  return status ? status->code : GEMMAC_OK;
}

const char* gemmac_status_get_message(gemmac_status status) {
  return status ? status->message.c_str() : "";
}

void gemmac_status_free(gemmac_status status) {
  if (status != &outOfMemoryStatus) delete status;
}

}  // extern "C"
