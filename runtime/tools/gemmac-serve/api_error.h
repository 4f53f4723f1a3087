// An error answered in OpenAI's shape: {"error": {"message", "type", "param", "code"}}.
#ifndef GEMMAC_TOOLS_GEMMAC_SERVE_API_ERROR_H_
#define GEMMAC_TOOLS_GEMMAC_SERVE_API_ERROR_H_

#include <string>

#include <nlohmann/json.hpp>

namespace gemmac_serve {

struct ApiError {
  int status = 400;
  std::string message;
  std::string type = "invalid_request_error";
  std::string param;  // the request field at fault; empty: null
  std::string code;   // empty: null

  nlohmann::json toJson() const;
};

/// 400 naming the field: the usual answer to a bad request.
ApiError badField(const std::string& param, const std::string& message);

}  // namespace gemmac_serve

#endif  // GEMMAC_TOOLS_GEMMAC_SERVE_API_ERROR_H_
