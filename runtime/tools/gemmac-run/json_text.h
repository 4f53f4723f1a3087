// JSON text for gemmac-run's machine-readable output (bench --json, classify).
#ifndef GEMMAC_RUN_JSON_TEXT_H_
#define GEMMAC_RUN_JSON_TEXT_H_

#include <string>

namespace gemmac_run {

/// `text` as a JSON string literal, quotes included: " and \ escaped, control
/// characters as \u00XX; other bytes (UTF-8) as they are.
std::string jsonString(const std::string& text);

}  // namespace gemmac_run

#endif  // GEMMAC_RUN_JSON_TEXT_H_
