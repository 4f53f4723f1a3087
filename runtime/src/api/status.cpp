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

gemmac_status makeStatus(gemmac_status_code code, const char* format, ...) {
  va_list args;
  va_start(args, format);
  va_list copy;
  va_copy(copy, args);
  int length = std::vsnprintf(nullptr, 0, format, copy);
  va_end(copy);
  std::string message(length > 0 ? static_cast<size_t>(length) : 0, '\0');
  if (length > 0) std::vsnprintf(&message[0], message.size() + 1, format, args);
  va_end(args);
  auto* status = new (std::nothrow) gemmac_status_s{code, std::move(message)};
  return status ? status : &outOfMemoryStatus;
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
