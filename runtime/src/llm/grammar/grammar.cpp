#include "llm/grammar/grammar.h"

#include <algorithm>

namespace gemmac::grammar {
namespace {

using Ranges = std::vector<std::pair<uint32_t, uint32_t>>;
constexpr uint32_t kMaxCodePoint = 0x10FFFF;

/// Sorted, merged, without surrogates (which UTF-8 cannot encode).
Ranges normalize(Ranges ranges, bool negated) {
  std::sort(ranges.begin(), ranges.end());
  Ranges merged;
  for (auto [lo, hi] : ranges) {
    if (lo > hi) continue;
    if (!merged.empty() && lo <= merged.back().second + 1)
      merged.back().second = std::max(merged.back().second, hi);
    else
      merged.push_back({lo, hi});
  }
  if (negated) {
    Ranges complement;
    uint32_t next = 0;
    for (auto [lo, hi] : merged) {
      if (lo > next) complement.push_back({next, lo - 1});
      next = hi + 1;
    }
    if (next <= kMaxCodePoint) complement.push_back({next, kMaxCodePoint});
    merged = std::move(complement);
  }
  Ranges out;
  for (auto [lo, hi] : merged) {
    hi = std::min(hi, kMaxCodePoint);
    if (lo > hi) continue;
    if (hi < 0xD800 || lo > 0xDFFF) {
      out.push_back({lo, hi});
      continue;
    }
    if (lo < 0xD800) out.push_back({lo, 0xD7FF});
    if (hi > 0xDFFF) out.push_back({0xE000, hi});
  }
  return out;
}

int encode(uint32_t cp, uint8_t* bytes) {
  if (cp < 0x80) return bytes[0] = static_cast<uint8_t>(cp), 1;
  if (cp < 0x800) {
    bytes[0] = static_cast<uint8_t>(0xC0 | (cp >> 6));
    bytes[1] = static_cast<uint8_t>(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    bytes[0] = static_cast<uint8_t>(0xE0 | (cp >> 12));
    bytes[1] = static_cast<uint8_t>(0x80 | ((cp >> 6) & 0x3F));
    bytes[2] = static_cast<uint8_t>(0x80 | (cp & 0x3F));
    return 3;
  }
  bytes[0] = static_cast<uint8_t>(0xF0 | (cp >> 18));
  bytes[1] = static_cast<uint8_t>(0x80 | ((cp >> 12) & 0x3F));
  bytes[2] = static_cast<uint8_t>(0x80 | ((cp >> 6) & 0x3F));
  bytes[3] = static_cast<uint8_t>(0x80 | (cp & 0x3F));
  return 4;
}

/// Splits [lo, hi] (no surrogates) into byte-range sequences: each is one
/// UTF-8 length and varies freely in every byte after the first that differs,
/// the classic construction of UTF-8 automata (as in RE2 and Rust's regex).
/// Recursion depth is bounded by a few splits per byte position.
void splitUtf8(uint32_t lo, uint32_t hi, std::vector<std::vector<std::pair<uint8_t, uint8_t>>>* out) {
  for (uint32_t max : {0x7Fu, 0x7FFu, 0xFFFFu}) {
    if (lo <= max && max < hi) {
      splitUtf8(lo, max, out);
      splitUtf8(max + 1, hi, out);
      return;
    }
  }
  for (int i = 1; i < 4; ++i) {
    uint32_t m = (1u << (6 * i)) - 1;
    if ((lo & ~m) != (hi & ~m)) {
      if ((lo & m) != 0) {
        splitUtf8(lo, lo | m, out);
        splitUtf8((lo | m) + 1, hi, out);
        return;
      }
      if ((hi & m) != m) {
        splitUtf8(lo, (hi & ~m) - 1, out);
        splitUtf8(hi & ~m, hi, out);
        return;
      }
    }
  }
  uint8_t a[4], b[4];
  int n = encode(lo, a);
  encode(hi, b);
  std::vector<std::pair<uint8_t, uint8_t>> sequence;
  for (int i = 0; i < n; ++i) sequence.push_back({a[i], b[i]});
  out->push_back(std::move(sequence));
}

}  // namespace

void appendUtf8(uint32_t cp, std::string* out) {
  uint8_t bytes[4];
  out->append(reinterpret_cast<const char*>(bytes), encode(cp, bytes));
}

std::string lineColumn(std::string_view text, size_t at) {
  size_t line = 1, column = 1;
  for (size_t i = 0; i < at && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return std::to_string(line) + ":" + std::to_string(column);
}

uint32_t Builder::addRule(std::string name) {
  grammar_.rule_names.push_back(std::move(name));
  pending_.emplace_back();
  return static_cast<uint32_t>(pending_.size() - 1);
}

void Builder::addAlternative(uint32_t rule, Sequence sequence) {
  symbol_count_ += sequence.size() + 1;
  pending_[rule].push_back(std::move(sequence));
}

Symbol Builder::group(std::string name, std::vector<Sequence> alternatives) {
  uint32_t rule = addRule(std::move(name));
  for (Sequence& sequence : alternatives) addAlternative(rule, std::move(sequence));
  return ref(rule);
}

Symbol Builder::bytes(const ByteSet& set) {
  auto [it, inserted] = byte_set_ids_.emplace(set, static_cast<uint32_t>(grammar_.byte_sets.size()));
  if (inserted) grammar_.byte_sets.push_back(set);
  return {SymbolKind::kBytes, it->second};
}

Sequence Builder::literal(std::string_view text) {
  Sequence sequence;
  for (unsigned char c : text) {
    ByteSet set;
    set.add(c, c);
    sequence.push_back(bytes(set));
  }
  return sequence;
}

Symbol Builder::codePoints(std::vector<std::pair<uint32_t, uint32_t>> ranges, bool negated) {
  Ranges normal = normalize(std::move(ranges), negated);
  if (auto it = class_rules_.find(normal); it != class_rules_.end()) return ref(it->second);
  // ASCII members share one terminal; longer characters are byte sequences.
  ByteSet ascii;
  bool has_ascii = false;
  std::vector<std::vector<std::pair<uint8_t, uint8_t>>> sequences;
  for (auto [lo, hi] : normal) {
    if (lo < 0x80) {
      ascii.add(lo, std::min(hi, 0x7Fu));
      has_ascii = true;
      if (hi < 0x80) continue;
      lo = 0x80;
    }
    splitUtf8(lo, hi, &sequences);
  }
  if (sequences.empty() && has_ascii) return bytes(ascii);
  std::vector<Sequence> alternatives;
  if (has_ascii) alternatives.push_back({bytes(ascii)});
  for (const auto& sequence : sequences) {
    Sequence alternative;
    for (auto [lo, hi] : sequence) {
      ByteSet set;
      set.add(lo, hi);
      alternative.push_back(bytes(set));
    }
    alternatives.push_back(std::move(alternative));
  }
  // An empty class matches nothing: a rule without alternatives is an error at
  // finish(), so give it one that can never match instead (an empty byte set).
  if (alternatives.empty()) alternatives.push_back({bytes(ByteSet{})});
  Symbol symbol = group("[class]", std::move(alternatives));
  class_rules_.emplace(std::move(normal), symbol.index);
  return symbol;
}

bool Builder::repeat(Symbol item, uint32_t min, int64_t max, Symbol* out) {
  if (min > kMaxRepetition || max > static_cast<int64_t>(kMaxRepetition)) return false;
  Sequence prefix(min, item);
  if (max < 0) {
    uint32_t star = addRule("[repeat]");
    addAlternative(star, {item, ref(star)});
    addAlternative(star, {});
    if (min == 0) return *out = ref(star), true;
    prefix.push_back(ref(star));
  } else if (max > min) {
    // opt_k ::= item opt_(k-1) | (empty): at most k more.
    uint32_t tail = addRule("[repeat]");
    addAlternative(tail, {item});
    addAlternative(tail, {});
    for (int64_t k = 2; k <= max - min; ++k) {
      uint32_t next = addRule("[repeat]");
      addAlternative(next, {item, ref(tail)});
      addAlternative(next, {});
      tail = next;
    }
    prefix.push_back(ref(tail));
  }
  *out = group("[repeat]", {std::move(prefix)});
  return true;
}

bool Builder::finish(uint32_t root, Grammar* out, std::string* error) {
  const size_t rules = pending_.size();
  for (size_t r = 0; r < rules; ++r) {
    if (pending_[r].empty()) {
      *error = "rule '" + grammar_.rule_names[r] + "' has no alternatives";
      return false;
    }
  }
  // Nullable rules, to fixpoint; then the rules each rule can begin with.
  std::vector<bool> nullable(rules, false);
  auto sequenceNullable = [&](const Sequence& s) {
    return std::all_of(s.begin(), s.end(), [&](Symbol x) { return x.kind == SymbolKind::kRule && nullable[x.index]; });
  };
  for (bool changed = true; changed;) {
    changed = false;
    for (size_t r = 0; r < rules; ++r)
      if (!nullable[r] && std::any_of(pending_[r].begin(), pending_[r].end(), sequenceNullable))
        nullable[r] = changed = true;
  }
  std::vector<std::vector<uint32_t>> leftmost(rules);
  for (size_t r = 0; r < rules; ++r)
    for (const Sequence& s : pending_[r])
      for (Symbol x : s) {
        if (x.kind != SymbolKind::kRule) break;
        leftmost[r].push_back(x.index);
        if (!nullable[x.index]) break;
      }
  // A cycle among leftmost references is left recursion, which would make the
  // matcher expand forever: iterative DFS with colours.
  std::vector<uint8_t> colour(rules, 0);  // 0 new, 1 on the path, 2 done
  for (size_t start = 0; start < rules; ++start) {
    if (colour[start]) continue;
    std::vector<std::pair<uint32_t, size_t>> path = {{static_cast<uint32_t>(start), 0}};
    colour[start] = 1;
    while (!path.empty()) {
      auto& [rule, next] = path.back();
      if (next == leftmost[rule].size()) {
        colour[rule] = 2;
        path.pop_back();
        continue;
      }
      uint32_t child = leftmost[rule][next++];
      if (colour[child] == 1) {
        *error = "rule '" + grammar_.rule_names[child] + "' is left-recursive";
        return false;
      }
      if (colour[child] == 0) {
        colour[child] = 1;
        path.push_back({child, 0});
      }
    }
  }
  grammar_.symbols.clear();
  grammar_.alternatives.assign(rules, {});
  for (size_t r = 0; r < rules; ++r)
    for (const Sequence& s : pending_[r]) {
      grammar_.alternatives[r].push_back(static_cast<uint32_t>(grammar_.symbols.size()));
      grammar_.symbols.insert(grammar_.symbols.end(), s.begin(), s.end());
      grammar_.symbols.push_back({SymbolKind::kEnd, 0});
    }
  grammar_.root = root;
  *out = std::move(grammar_);
  return true;
}

}  // namespace gemmac::grammar
