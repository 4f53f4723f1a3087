// A minimal JSON reader for tests (the runtime half has no JSON library and the
// reference data is JSON). Parses the whole document into a tree; throws
// std::runtime_error on malformed input, which fails the test that reads it.
#ifndef GEMMAC_TEST_SUPPORT_JSON_READER_H_
#define GEMMAC_TEST_SUPPORT_JSON_READER_H_

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace gemmac::test {

struct Json {
  enum class Kind { kNull, kBool, kNumber, kString, kArray, kObject };
  Kind kind = Kind::kNull;
  bool boolean = false;
  double number = 0.0;
  std::string string;
  std::vector<Json> array;
  std::map<std::string, Json> object;

  const Json& operator[](const std::string& key) const {
    auto it = object.find(key);
    if (kind != Kind::kObject || it == object.end())
      throw std::runtime_error("json: no key \"" + key + "\"");
    return it->second;
  }
  const Json& operator[](size_t index) const {
    if (kind != Kind::kArray || index >= array.size())
      throw std::runtime_error("json: no index " + std::to_string(index));
    return array[index];
  }
  size_t size() const { return kind == Kind::kArray ? array.size() : object.size(); }
  bool has(const std::string& key) const { return object.count(key) != 0; }

  std::vector<int32_t> asInts() const {
    std::vector<int32_t> out;
    for (const Json& v : array) out.push_back(static_cast<int32_t>(v.number));
    return out;
  }
  std::vector<double> asDoubles() const {
    std::vector<double> out;
    for (const Json& v : array) out.push_back(v.number);
    return out;
  }
};

class JsonParser {
 public:
  explicit JsonParser(const std::string& text) : s_(text) {}

  Json parseDocument() {
    Json value = parseValue();
    skipSpace();
    if (at_ != s_.size()) fail("trailing characters");
    return value;
  }

 private:
  [[noreturn]] void fail(const char* what) {
    throw std::runtime_error(std::string("json: ") + what + " at offset " + std::to_string(at_));
  }
  void skipSpace() {
    while (at_ < s_.size() && (s_[at_] == ' ' || s_[at_] == '\n' || s_[at_] == '\r' ||
                               s_[at_] == '\t'))
      ++at_;
  }
  bool consume(const char* word) {
    size_t n = std::char_traits<char>::length(word);
    if (s_.compare(at_, n, word) != 0) return false;
    at_ += n;
    return true;
  }
  char peek() {
    skipSpace();
    if (at_ >= s_.size()) fail("unexpected end");
    return s_[at_];
  }

  Json parseValue() {
    Json v;
    char c = peek();
    if (c == '{') {
      v.kind = Json::Kind::kObject;
      ++at_;
      if (peek() == '}') return ++at_, v;
      for (;;) {
        if (peek() != '"') fail("expected a key");
        std::string key = parseString();
        if (peek() != ':') fail("expected ':'");
        ++at_;
        v.object[key] = parseValue();
        char next = peek();
        ++at_;
        if (next == '}') return v;
        if (next != ',') fail("expected ',' or '}'");
      }
    }
    if (c == '[') {
      v.kind = Json::Kind::kArray;
      ++at_;
      if (peek() == ']') return ++at_, v;
      for (;;) {
        v.array.push_back(parseValue());
        char next = peek();
        ++at_;
        if (next == ']') return v;
        if (next != ',') fail("expected ',' or ']'");
      }
    }
    if (c == '"') {
      v.kind = Json::Kind::kString;
      v.string = parseString();
      return v;
    }
    if (consume("true")) return v.kind = Json::Kind::kBool, v.boolean = true, v;
    if (consume("false")) return v.kind = Json::Kind::kBool, v;
    if (consume("null")) return v;
    if (consume("NaN")) return v.kind = Json::Kind::kNumber, v.number = NAN, v;
    const char* begin = s_.c_str() + at_;
    char* end = nullptr;
    v.number = std::strtod(begin, &end);
    if (end == begin) fail("unexpected character");
    at_ += static_cast<size_t>(end - begin);
    v.kind = Json::Kind::kNumber;
    return v;
  }

  unsigned parseHex4() {
    if (at_ + 4 > s_.size()) fail("short \\u escape");
    unsigned value = static_cast<unsigned>(std::stoul(s_.substr(at_, 4), nullptr, 16));
    at_ += 4;
    return value;
  }

  void appendUtf8(unsigned cp, std::string* out) {
    if (cp < 0x80) {
      out->push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }

  std::string parseString() {
    ++at_;  // opening quote
    std::string out;
    for (;;) {
      if (at_ >= s_.size()) fail("unterminated string");
      char c = s_[at_++];
      if (c == '"') return out;
      if (c != '\\') {
        out.push_back(c);
        continue;
      }
      if (at_ >= s_.size()) fail("unterminated escape");
      char e = s_[at_++];
      switch (e) {
        case '"': case '\\': case '/': out.push_back(e); break;
        case 'b': out.push_back('\b'); break;
        case 'f': out.push_back('\f'); break;
        case 'n': out.push_back('\n'); break;
        case 'r': out.push_back('\r'); break;
        case 't': out.push_back('\t'); break;
        case 'u': {
          unsigned cp = parseHex4();
          // A high surrogate followed by an escaped low one is one code point.
          if (cp >= 0xD800 && cp < 0xDC00 && s_.compare(at_, 2, "\\u") == 0) {
            at_ += 2;
            unsigned low = parseHex4();
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          }
          appendUtf8(cp, &out);
          break;
        }
        default: fail("bad escape");
      }
    }
  }

  const std::string& s_;
  size_t at_ = 0;
};

inline Json parseJson(const std::string& text) { return JsonParser(text).parseDocument(); }

inline Json readJsonFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return parseJson(buffer.str());
}

}  // namespace gemmac::test

#endif  // GEMMAC_TEST_SUPPORT_JSON_READER_H_
