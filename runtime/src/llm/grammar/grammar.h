// The grammar IR that GBNF text and JSON schemas both compile to, and the
// builder that makes it. The IR is over bytes, not code points: a character
// class is lowered to UTF-8 byte sequences here, so a token that ends inside a
// multi-byte character needs no special case when the matcher runs.
#ifndef GEMMAC_RUNTIME_SRC_LLM_GRAMMAR_GRAMMAR_H_
#define GEMMAC_RUNTIME_SRC_LLM_GRAMMAR_GRAMMAR_H_

#include <cstddef>
#include <cstdint>
#include <algorithm>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gemmac/gemmac.h"

namespace gemmac::grammar {

/// A set of bytes: the one kind of terminal.
struct ByteSet {
  uint64_t bits[4] = {0, 0, 0, 0};
  void add(unsigned lo, unsigned hi) {
    for (unsigned b = lo; b <= hi; ++b) bits[b >> 6] |= uint64_t{1} << (b & 63);
  }
  bool has(uint8_t b) const { return (bits[b >> 6] >> (b & 63)) & 1; }
  bool operator<(const ByteSet& o) const {
    return std::lexicographical_compare(bits, bits + 4, o.bits, o.bits + 4);
  }
};

enum class SymbolKind : uint8_t { kBytes, kRule, kEnd };

struct Symbol {
  SymbolKind kind;
  uint32_t index;  // kBytes: into Grammar::byte_sets; kRule: a rule
};

/// Rules of alternatives of symbol sequences, stored flat: every alternative is
/// a run of symbols ended by kEnd, so a parser position is one index.
struct Grammar {
  std::vector<Symbol> symbols;
  std::vector<std::vector<uint32_t>> alternatives;  // per rule: start of each alternative
  std::vector<ByteSet> byte_sets;
  std::vector<std::string> rule_names;
  uint32_t root = 0;
};

/// Appends code point `cp` as UTF-8.
void appendUtf8(uint32_t cp, std::string* out);

/// "line:column" (1-based) of byte offset `at` in `text`, for messages.
std::string lineColumn(std::string_view text, size_t at);

/// Upper bounds that keep compiled grammars (from untrusted text) small.
constexpr size_t kMaxSymbols = 1 << 20;
constexpr uint32_t kMaxRepetition = 4096;  // {m,n}, maxLength, maxItems

/// A sequence of symbols: one alternative.
using Sequence = std::vector<Symbol>;

class Builder {
 public:
  /// A new rule with no alternatives yet; `name` is for messages only.
  uint32_t addRule(std::string name);
  void addAlternative(uint32_t rule, Sequence sequence);
  /// A rule with the given alternatives, returned as a reference to it.
  Symbol group(std::string name, std::vector<Sequence> alternatives);

  static Symbol ref(uint32_t rule) { return {SymbolKind::kRule, rule}; }
  Symbol bytes(const ByteSet& set);
  /// The bytes of `text`, one terminal each.
  Sequence literal(std::string_view text);
  /// One code point in (or, negated, outside) the inclusive ranges, as UTF-8.
  /// Surrogates are never matched.
  Symbol codePoints(std::vector<std::pair<uint32_t, uint32_t>> ranges, bool negated);
  /// `item` repeated min..max times (max < 0: no limit). Fails (false) when
  /// max exceeds kMaxRepetition.
  bool repeat(Symbol item, uint32_t min, int64_t max, Symbol* out);

  /// Checks that every rule has an alternative and no rule is left-recursive;
  /// *error names the offending rule.
  bool finish(uint32_t root, Grammar* out, std::string* error);
  /// Whether the grammar has outgrown kMaxSymbols.
  bool tooLarge() const { return symbol_count_ > kMaxSymbols; }
  const std::string& ruleName(uint32_t rule) const { return grammar_.rule_names[rule]; }
  size_t ruleCount() const { return grammar_.rule_names.size(); }

 private:
  Grammar grammar_;
  size_t symbol_count_ = 0;
  std::vector<std::vector<Sequence>> pending_;  // alternatives per rule, flattened by finish()
  std::map<ByteSet, uint32_t> byte_set_ids_;
  std::map<std::vector<std::pair<uint32_t, uint32_t>>, uint32_t> class_rules_;  // by normalized ranges
};

}  // namespace gemmac::grammar

#endif  // GEMMAC_RUNTIME_SRC_LLM_GRAMMAR_GRAMMAR_H_
