#include "api_error.h"

namespace gemmac_serve {

nlohmann::json ApiError::toJson() const {
  auto nullable = [](const std::string& text) { return text.empty() ? nlohmann::json() : nlohmann::json(text); };
  return {{"error", {{"message", message}, {"type", type}, {"param", nullable(param)}, {"code", nullable(code)}}}};
}

ApiError badField(const std::string& param, const std::string& message) {
  ApiError error;
  error.message = param + ": " + message;
  error.param = param;
  return error;
}

}  // namespace gemmac_serve
