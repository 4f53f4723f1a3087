#include "llm/grammar/gbnf.h"

#include <map>

#include "llm/utf8.h"

namespace gemmac::grammar {
namespace {

constexpr int kMaxNesting = 64;

bool isNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/// Thrown inside the parser only, caught by parseGbnf: carries the position.
struct ParseError {
  size_t at;
  std::string message;
};

/// What the parser knows of a rule named in the text.
struct NamedRule {
  uint32_t id;       // the builder's rule
  bool defined;      // its `name ::= ...` has been read
  size_t first_use;  // where it was first named, for "never defined"
};

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  uint32_t parse() {
    skipSpace(true);
    while (at_ < text_.size()) {
      parseRule();
      skipSpace(true);
    }
    for (const auto& [name, rule] : rules_)
      if (!rule.defined) fail(rule.first_use, "rule '" + name + "' is used but never defined");
    auto root = rules_.find("root");
    if (root == rules_.end()) fail(0, "no rule named 'root'");
    return root->second.id;
  }

  Builder& builder() { return builder_; }

 private:
  [[noreturn]] void fail(size_t at, std::string message) { throw ParseError{at, std::move(message)}; }
  bool atEnd() const { return at_ >= text_.size(); }
  char peek() const { return atEnd() ? '\0' : text_[at_]; }

  /// Spaces, tabs and # comments; newlines too when `newlines` (inside
  /// parentheses and after `|`, where a rule cannot end).
  void skipSpace(bool newlines) {
    while (!atEnd()) {
      char c = text_[at_];
      if (c == ' ' || c == '\t' || (newlines && (c == '\n' || c == '\r'))) {
        ++at_;
      } else if (c == '#') {
        while (!atEnd() && text_[at_] != '\n') ++at_;
      } else {
        break;
      }
    }
  }

  std::string parseName() {
    size_t start = at_;
    while (!atEnd() && isNameChar(text_[at_])) ++at_;
    if (at_ == start) fail(at_, "expected a rule name");
    return std::string(text_.substr(start, at_ - start));
  }

  /// The named rule `name`, made at its first use (at `at`).
  NamedRule& namedRule(const std::string& name, size_t at) {
    auto [it, inserted] = rules_.emplace(name, NamedRule{});
    if (inserted) it->second = {builder_.addRule(name), false, at};
    return it->second;
  }

  void parseRule() {
    size_t start = at_;
    std::string name = parseName();
    NamedRule& named = namedRule(name, start);
    if (named.defined) fail(start, "rule '" + name + "' is defined twice");
    named.defined = true;
    const uint32_t rule = named.id;
    skipSpace(false);
    if (text_.substr(at_, 3) != "::=") fail(at_, "expected '::=' after rule name '" + name + "'");
    at_ += 3;
    skipSpace(false);
    for (Sequence& s : parseAlternatives(0)) builder_.addAlternative(rule, std::move(s));
    if (!atEnd() && peek() != '\n' && peek() != '\r') fail(at_, "unexpected character after rule '" + name + "'");
  }

  std::vector<Sequence> parseAlternatives(int depth) {
    std::vector<Sequence> alternatives = {parseSequence(depth)};
    while (peek() == '|') {
      ++at_;
      skipSpace(true);
      alternatives.push_back(parseSequence(depth));
    }
    return alternatives;
  }

  Sequence parseSequence(int depth) {
    Sequence sequence;
    const bool nested = depth > 0;
    while (!atEnd()) {
      char c = peek();
      if (c == '|' || c == ')' || c == '\n' || c == '\r') break;
      size_t start = at_;
      Sequence element = parseElement(depth);
      skipSpace(nested);
      if (peek() == '*' || peek() == '+' || peek() == '?' || peek() == '{') {
        Symbol item = element.size() == 1 ? element[0] : builder_.group("[group]", {std::move(element)});
        element = {parseRepetition(item, start)};
        skipSpace(nested);
      }
      sequence.insert(sequence.end(), element.begin(), element.end());
      if (builder_.tooLarge()) fail(start, "the grammar is too large");
    }
    return sequence;
  }

  Symbol parseRepetition(Symbol item, size_t start) {
    char c = text_[at_++];
    uint32_t min = 0;
    int64_t max = -1;
    if (c == '+') min = 1;
    if (c == '?') max = 1;
    if (c == '{') {
      skipSpace(false);
      min = static_cast<uint32_t>(parseCount());
      max = min;
      skipSpace(false);
      if (peek() == ',') {
        ++at_;
        skipSpace(false);
        max = (peek() >= '0' && peek() <= '9') ? parseCount() : -1;
        skipSpace(false);
      }
      if (peek() != '}') fail(at_, "expected '}' to close the repetition");
      ++at_;
      if (max >= 0 && max < min) fail(start, "repetition {m,n} with n < m");
    }
    Symbol out;
    if (!builder_.repeat(item, min, max, &out))
      fail(start, "repetition count above " + std::to_string(kMaxRepetition));
    return out;
  }

  int64_t parseCount() {
    if (!(peek() >= '0' && peek() <= '9')) fail(at_, "expected a repetition count");
    const size_t start = at_;
    int64_t value = 0;
    while (peek() >= '0' && peek() <= '9') {
      value = value * 10 + (text_[at_++] - '0');
      if (value > kMaxRepetition) fail(start, "repetition count above " + std::to_string(kMaxRepetition));
    }
    return value;
  }

  Sequence parseElement(int depth) {
    size_t start = at_;
    char c = peek();
    if (c == '"') {
      ++at_;
      std::string bytes;
      while (peek() != '"') {
        if (atEnd() || peek() == '\n') fail(start, "unterminated string literal");
        appendUtf8(parseChar(), &bytes);
      }
      ++at_;
      return builder_.literal(bytes);
    }
    if (c == '[') return {parseClass()};
    if (c == '.') {
      ++at_;
      return {builder_.codePoints({}, true)};
    }
    if (c == '(') {
      if (depth >= kMaxNesting) fail(at_, "parentheses nested too deeply");
      ++at_;
      skipSpace(true);
      std::vector<Sequence> alternatives = parseAlternatives(depth + 1);
      if (peek() != ')') fail(at_, "expected ')'");
      ++at_;
      return {builder_.group("[group]", std::move(alternatives))};
    }
    if (isNameChar(c)) {
      std::string name = parseName();
      return {Builder::ref(namedRule(name, start).id)};
    }
    fail(at_, std::string("unexpected character '") + c + "'");
  }

  Symbol parseClass() {
    size_t start = at_++;
    bool negated = peek() == '^';
    if (negated) ++at_;
    std::vector<std::pair<uint32_t, uint32_t>> ranges;
    while (peek() != ']') {
      if (atEnd() || peek() == '\n') fail(start, "unterminated character class");
      uint32_t lo = parseChar(), hi = lo;
      if (peek() == '-' && at_ + 1 < text_.size() && text_[at_ + 1] != ']') {
        ++at_;
        if (atEnd() || peek() == '\n') fail(start, "unterminated character class");
        hi = parseChar();
        if (hi < lo) fail(start, "character range with its end before its start");
      }
      ranges.push_back({lo, hi});
    }
    ++at_;
    return builder_.codePoints(std::move(ranges), negated);
  }

  /// One code point of a literal or class: an escape or a UTF-8 character.
  uint32_t parseChar() {
    size_t start = at_;
    if (peek() != '\\') {
      bool truncated;
      size_t length = utf8::characterLength(text_.substr(at_), &truncated);
      if (length == 0) fail(at_, "invalid UTF-8");
      uint32_t cp = static_cast<unsigned char>(text_[at_]);
      if (length > 1) cp &= 0x3F >> (length - 1);
      for (size_t i = 1; i < length; ++i) cp = (cp << 6) | (text_[at_ + i] & 0x3F);
      at_ += length;
      return cp;
    }
    ++at_;
    char c = atEnd() ? '\0' : text_[at_++];
    switch (c) {
      case 'n': return '\n';
      case 'r': return '\r';
      case 't': return '\t';
      case '\\': case '"': case '[': case ']': case '-': case '^': return static_cast<unsigned char>(c);
      case 'x': return parseHex(2, start);
      case 'u': return parseHex(4, start);
      case 'U': return parseHex(8, start);
      default: fail(start, "unknown escape");
    }
  }

  uint32_t parseHex(int digits, size_t start) {
    uint32_t value = 0;
    for (int i = 0; i < digits; ++i) {
      int digit = atEnd() ? -1 : hexValue(text_[at_]);
      if (digit < 0) fail(start, "escape needs " + std::to_string(digits) + " hex digits");
      value = value * 16 + static_cast<uint32_t>(digit);
      ++at_;
    }
    if (value > 0x10FFFF) fail(start, "escape beyond U+10FFFF");
    return value;
  }

  std::string_view text_;
  size_t at_ = 0;
  Builder builder_;
  // By name; the builder also makes anonymous rules (groups, repetitions,
  // classes), so what is known of a named rule lives here, not by rule id.
  std::map<std::string, NamedRule> rules_;
};

}  // namespace

bool parseGbnf(std::string_view text, Grammar* out, std::string* error) {
  Parser parser(text);
  uint32_t root;
  try {
    root = parser.parse();
  } catch (const ParseError& e) {
    *error = lineColumn(text, e.at) + ": " + e.message;
    return false;
  }
  if (!parser.builder().finish(root, out, error)) return false;
  return true;
}

}  // namespace gemmac::grammar
