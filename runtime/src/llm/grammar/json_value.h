// A small JSON reader for schemas: a DOM that remembers where each value
// started, so schema errors can point into the text as well as by JSON pointer.
#ifndef GEMMAC_RUNTIME_SRC_LLM_GRAMMAR_JSON_VALUE_H_
#define GEMMAC_RUNTIME_SRC_LLM_GRAMMAR_JSON_VALUE_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gemmac::grammar {

struct JsonValue {
  enum class Type { kNull, kBool, kNumber, kString, kArray, kObject };
  Type type = Type::kNull;
  bool boolean = false;
  double number = 0;
  std::string text;  // kString: the decoded string; kNumber: the number as written
  std::vector<JsonValue> items;
  std::vector<std::pair<std::string, JsonValue>> members;  // in document order

  const JsonValue* find(std::string_view key) const;
  /// A number without fraction or exponent (as written).
  bool isIntegerLiteral() const;
};

constexpr int kMaxJsonDepth = 128;

/// Parses one JSON document (RFC 8259; nesting bounded by kMaxJsonDepth). On
/// failure *error is "line:column: what".
bool parseJson(std::string_view text, JsonValue* out, std::string* error);

/// Compact JSON text of `value`: strings escaped, numbers as written.
std::string toJson(const JsonValue& value);

}  // namespace gemmac::grammar

#endif  // GEMMAC_RUNTIME_SRC_LLM_GRAMMAR_JSON_VALUE_H_
