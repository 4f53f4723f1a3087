#include "llm/grammar/json_value.h"

#include <cstdlib>

#include "llm/grammar/grammar.h"
#include "llm/utf8.h"

namespace gemmac::grammar {
namespace {

struct JsonError {
  size_t at;
  std::string message;
};

class JsonParser {
 public:
  explicit JsonParser(std::string_view text) : text_(text) {}

  void parseDocument(JsonValue* out) {
    skipSpace();
    parseValue(out, 0);
    skipSpace();
    if (at_ != text_.size()) fail(at_, "unexpected text after the JSON value");
  }

 private:
  [[noreturn]] void fail(size_t at, std::string message) { throw JsonError{at, std::move(message)}; }
  char peek() const { return at_ < text_.size() ? text_[at_] : '\0'; }
  void skipSpace() {
    while (at_ < text_.size() && (text_[at_] == ' ' || text_[at_] == '\t' || text_[at_] == '\n' || text_[at_] == '\r'))
      ++at_;
  }
  void expect(char c) {
    if (peek() != c) fail(at_, std::string("expected '") + c + "'");
    ++at_;
  }

  void parseValue(JsonValue* out, int depth) {
    if (depth > kMaxJsonDepth) fail(at_, "nested deeper than " + std::to_string(kMaxJsonDepth));
    char c = peek();
    if (c == '{') return parseObject(out, depth);
    if (c == '[') return parseArray(out, depth);
    if (c == '"') {
      out->type = JsonValue::Type::kString;
      return parseString(&out->text);
    }
    if (c == '-' || (c >= '0' && c <= '9')) return parseNumber(out);
    for (auto [word, type, value] : {std::tuple{"true", JsonValue::Type::kBool, true},
                                     std::tuple{"false", JsonValue::Type::kBool, false},
                                     std::tuple{"null", JsonValue::Type::kNull, false}}) {
      std::string_view w = word;
      if (text_.substr(at_, w.size()) == w) {
        at_ += w.size();
        out->type = type;
        out->boolean = value;
        return;
      }
    }
    fail(at_, "expected a JSON value");
  }

  void parseObject(JsonValue* out, int depth) {
    out->type = JsonValue::Type::kObject;
    ++at_;
    skipSpace();
    if (peek() == '}') return static_cast<void>(++at_);
    while (true) {
      skipSpace();
      if (peek() != '"') fail(at_, "expected a property name");
      std::string key;
      parseString(&key);
      skipSpace();
      expect(':');
      skipSpace();
      out->members.emplace_back(std::move(key), JsonValue{});
      parseValue(&out->members.back().second, depth + 1);
      skipSpace();
      if (peek() == ',') {
        ++at_;
        continue;
      }
      expect('}');
      return;
    }
  }

  void parseArray(JsonValue* out, int depth) {
    out->type = JsonValue::Type::kArray;
    ++at_;
    skipSpace();
    if (peek() == ']') return static_cast<void>(++at_);
    while (true) {
      skipSpace();
      out->items.emplace_back();
      parseValue(&out->items.back(), depth + 1);
      skipSpace();
      if (peek() == ',') {
        ++at_;
        continue;
      }
      expect(']');
      return;
    }
  }

  void parseNumber(JsonValue* out) {
    size_t start = at_;
    auto digits = [&] {
      size_t from = at_;
      while (peek() >= '0' && peek() <= '9') ++at_;
      if (at_ == from) fail(at_, "expected a digit");
    };
    if (peek() == '-') ++at_;
    if (peek() == '0') {
      ++at_;
    } else {
      digits();
    }
    if (peek() == '.') {
      ++at_;
      digits();
    }
    if (peek() == 'e' || peek() == 'E') {
      ++at_;
      if (peek() == '+' || peek() == '-') ++at_;
      digits();
    }
    out->type = JsonValue::Type::kNumber;
    out->text = std::string(text_.substr(start, at_ - start));
    out->number = std::strtod(out->text.c_str(), nullptr);
  }

  uint32_t parseHex4() {
    uint32_t value = 0;
    for (int i = 0; i < 4; ++i) {
      char c = peek();
      int digit = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
      if (digit < 0) fail(at_, "expected 4 hex digits after \\u");
      value = value * 16 + static_cast<uint32_t>(digit);
      ++at_;
    }
    return value;
  }

  void parseString(std::string* out) {
    size_t start = at_++;
    while (true) {
      if (at_ >= text_.size()) fail(start, "unterminated string");
      unsigned char c = static_cast<unsigned char>(text_[at_]);
      if (c == '"') {
        ++at_;
        return;
      }
      if (c < 0x20) fail(at_, "control character in a string");
      if (c != '\\') {
        bool truncated;
        size_t length = utf8::characterLength(text_.substr(at_), &truncated);
        if (length == 0) fail(at_, "invalid UTF-8 in a string");
        out->append(text_.substr(at_, length));
        at_ += length;
        continue;
      }
      size_t escape = at_++;
      char e = peek();
      ++at_;
      switch (e) {
        case '"': out->push_back('"'); break;
        case '\\': out->push_back('\\'); break;
        case '/': out->push_back('/'); break;
        case 'b': out->push_back('\b'); break;
        case 'f': out->push_back('\f'); break;
        case 'n': out->push_back('\n'); break;
        case 'r': out->push_back('\r'); break;
        case 't': out->push_back('\t'); break;
        case 'u': {
          uint32_t cp = parseHex4();
          if (cp >= 0xD800 && cp <= 0xDBFF && text_.substr(at_, 2) == "\\u") {
            at_ += 2;
            uint32_t low = parseHex4();
            if (low < 0xDC00 || low > 0xDFFF) fail(escape, "unpaired surrogate escape");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          } else if (cp >= 0xD800 && cp <= 0xDFFF) {
            fail(escape, "unpaired surrogate escape");
          }
          appendUtf8(cp, out);
          break;
        }
        default: fail(escape, "unknown escape");
      }
    }
  }

  std::string_view text_;
  size_t at_ = 0;
};

void appendJson(const JsonValue& value, std::string* out) {
  switch (value.type) {
    case JsonValue::Type::kNull: *out += "null"; return;
    case JsonValue::Type::kBool: *out += value.boolean ? "true" : "false"; return;
    case JsonValue::Type::kNumber: *out += value.text; return;
    case JsonValue::Type::kString: {
      out->push_back('"');
      for (unsigned char c : value.text) {
        if (c == '"' || c == '\\') {
          out->push_back('\\');
          out->push_back(static_cast<char>(c));
        } else if (c < 0x20) {
          static const char kHex[] = "0123456789abcdef";
          *out += "\\u00";
          out->push_back(kHex[c >> 4]);
          out->push_back(kHex[c & 15]);
        } else {
          out->push_back(static_cast<char>(c));
        }
      }
      out->push_back('"');
      return;
    }
    case JsonValue::Type::kArray:
      out->push_back('[');
      for (size_t i = 0; i < value.items.size(); ++i) {
        if (i) out->push_back(',');
        appendJson(value.items[i], out);  // depth bounded by the parser
      }
      out->push_back(']');
      return;
    case JsonValue::Type::kObject:
      out->push_back('{');
      for (size_t i = 0; i < value.members.size(); ++i) {
        if (i) out->push_back(',');
        appendJson(JsonValue{JsonValue::Type::kString, false, 0, value.members[i].first, {}, {}}, out);
        out->push_back(':');
        appendJson(value.members[i].second, out);
      }
      out->push_back('}');
      return;
  }
}

}  // namespace

const JsonValue* JsonValue::find(std::string_view key) const {
  for (const auto& [name, value] : members)
    if (name == key) return &value;
  return nullptr;
}

bool JsonValue::isIntegerLiteral() const {
  return type == Type::kNumber && text.find_first_of(".eE") == std::string::npos;
}

bool parseJson(std::string_view text, JsonValue* out, std::string* error) {
  try {
    JsonParser(text).parseDocument(out);
    return true;
  } catch (const JsonError& e) {
    *error = lineColumn(text, e.at) + ": " + e.message;
    return false;
  }
}

std::string toJson(const JsonValue& value) {
  std::string out;
  appendJson(value, &out);
  return out;
}

}  // namespace gemmac::grammar
