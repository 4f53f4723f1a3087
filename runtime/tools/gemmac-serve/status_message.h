// A failed gemmac_status as text, for the server's answers and logs.
#ifndef GEMMAC_TOOLS_GEMMAC_SERVE_STATUS_MESSAGE_H_
#define GEMMAC_TOOLS_GEMMAC_SERVE_STATUS_MESSAGE_H_

#include <string>

#include "gemmac/gemmac.h"

namespace gemmac_serve {

/// The status's message; frees the status.
inline std::string takeStatusMessage(gemmac_status status) {
  std::string message = gemmac_status_get_message(status);
  gemmac_status_free(status);
  return message;
}

}  // namespace gemmac_serve

#endif  // GEMMAC_TOOLS_GEMMAC_SERVE_STATUS_MESSAGE_H_
