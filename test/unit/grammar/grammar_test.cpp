// Grammars (GBNF and JSON Schema) on the byte automaton and token masks over
// small hand-made vocabularies whose tokens cross JSON syntax, split UTF-8
// characters and spell escapes, numbers and whitespace.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "llm/grammar/automaton.h"
#include "llm/grammar/gbnf.h"
#include "llm/grammar/json_schema.h"
#include "llm/grammar/matcher.h"
#include "llm/grammar/token_trie.h"

namespace gemmac::grammar {
namespace {

Grammar gbnf(const std::string& text) {
  Grammar grammar;
  std::string error;
  EXPECT_TRUE(parseGbnf(text, &grammar, &error)) << error;
  return grammar;
}

Grammar schema(const std::string& text) {
  Grammar grammar;
  std::string error;
  gemmac_status_code code;
  EXPECT_TRUE(compileJsonSchema(text, &grammar, &code, &error)) << error;
  return grammar;
}

/// Whether `text` is a complete sentence (1), a live prefix (0) or dead (-1).
int verdict(const Grammar& grammar, const std::string& text) {
  Automaton automaton(grammar);
  int32_t state = automaton.walk(automaton.start(), text);
  if (state == Automaton::kDead) return -1;
  return automaton.accepting(state) ? 1 : 0;
}

std::string gbnfError(const std::string& text) {
  Grammar grammar;
  std::string error;
  EXPECT_FALSE(parseGbnf(text, &grammar, &error));
  return error;
}

std::string schemaError(const std::string& text, gemmac_status_code* code) {
  Grammar grammar;
  std::string error;
  EXPECT_FALSE(compileJsonSchema(text, &grammar, code, &error));
  return error;
}

TEST(GbnfTest, RulesClassesRepetitionAndGroups) {
  Grammar g = gbnf(
      "# a comment\n"
      "root ::= greeting (\", \" name)+ \"!\"?\n"
      "greeting ::= \"hi\" | \"hello\"\n"
      "name ::= [A-Z] [a-z]{1,3}  # capitalised\n");
  EXPECT_EQ(verdict(g, "hi, Bob"), 1);
  EXPECT_EQ(verdict(g, "hello, Al, Zed!"), 1);
  EXPECT_EQ(verdict(g, "hi, B"), 0);
  EXPECT_EQ(verdict(g, "hi, Bobby"), -1);
  EXPECT_EQ(verdict(g, "hey"), -1);
}

TEST(GbnfTest, NegatedClassAndDotMatchWholeUtf8Characters) {
  Grammar g = gbnf("root ::= [^a-z] . \"\\u00e9\\x41\"");
  EXPECT_EQ(verdict(g, "\xE2\x82\xAC" "\xF0\x9F\x98\x80" "\xC3\xA9" "A"), 1);  // € 😀 é A
  EXPECT_EQ(verdict(g, "q"), -1);
  EXPECT_EQ(verdict(g, "\xE2\x82"), 0);   // half a character is a live prefix
  EXPECT_EQ(verdict(g, "\xED\xA0\x80"), -1);  // a surrogate is not UTF-8
  EXPECT_EQ(verdict(g, "\xC0\x80"), -1);      // nor an overlong form
}

TEST(GbnfTest, ErrorsNameLineAndColumn) {
  EXPECT_EQ(gbnfError("root ::= a\n"), "1:10: rule 'a' is used but never defined");
  EXPECT_EQ(gbnfError("x ::= \"a\"\n"), "1:1: no rule named 'root'");
  EXPECT_EQ(gbnfError("root ::= \"a\"\nroot ::= \"unterminated\n"), "2:1: rule 'root' is defined twice");
  EXPECT_EQ(gbnfError("root ::= \"a\n"), "1:10: unterminated string literal");
  EXPECT_EQ(gbnfError("root ::= [a-\n"), "1:10: unterminated character class");
  EXPECT_EQ(gbnfError("root ::= \"a\"{3,2}"), "1:10: repetition {m,n} with n < m");
  EXPECT_EQ(gbnfError("root ::= \"a\"{99999}"), "1:14: repetition count above 4096");
  EXPECT_EQ(gbnfError("root ::= x\nx ::= x \"a\" | \"b\""), "rule 'x' is left-recursive");
  EXPECT_EQ(gbnfError("root ::= " + std::string(100, '(')), "1:74: parentheses nested too deeply");
}

TEST(JsonSchemaTest, ObjectsRequiredAndOptionalInOrder) {
  Grammar g = schema(R"({"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"boolean"},
                         "c":{"type":"null"}},"required":["b"],"additionalProperties":false})");
  EXPECT_EQ(verdict(g, R"({"b":true})"), 1);
  EXPECT_EQ(verdict(g, R"({"a":1,"b":false,"c":null})"), 1);
  EXPECT_EQ(verdict(g, R"({ "a" : -7 , "b" : true })"), 1);
  EXPECT_EQ(verdict(g, R"({"a":1})"), -1);  // b is required
  EXPECT_EQ(verdict(g, R"({"a":1,"b":true,})"), -1);
  EXPECT_EQ(verdict(g, R"({"c":null,"b":true})"), -1);  // declared order only
  EXPECT_EQ(verdict(g, R"({})"), -1);
}

TEST(JsonSchemaTest, IntegerBoundsAreExact) {
  for (auto [lo, hi] : {std::pair{-120, 130}, std::pair{7, 7}, std::pair{-95, -3}, std::pair{0, 1000}}) {
    Grammar g = schema("{\"type\":\"integer\",\"minimum\":" + std::to_string(lo) + ",\"maximum\":" +
                       std::to_string(hi) + "}");
    for (int v = -1100; v <= 1100; ++v)
      ASSERT_EQ(verdict(g, std::to_string(v)) == 1, v >= lo && v <= hi) << v << " in [" << lo << ", " << hi << "]";
    EXPECT_EQ(verdict(g, "-0"), -1);
    EXPECT_EQ(verdict(g, "007"), -1);
  }
  Grammar above = schema(R"({"type":"integer","exclusiveMinimum":41})");
  EXPECT_EQ(verdict(above, "41"), 0);  // a prefix of 410
  EXPECT_EQ(verdict(above, "42"), 1);
  EXPECT_EQ(verdict(above, "123456789"), 1);
  EXPECT_EQ(verdict(above, "-5"), -1);
  Grammar number = schema(R"({"type":"number","minimum":-1.5,"maximum":2.5})");
  EXPECT_EQ(verdict(number, "-1"), 1);
  EXPECT_EQ(verdict(number, "2"), 1);
  EXPECT_EQ(verdict(number, "3"), -1);
  EXPECT_EQ(verdict(number, "-2"), -1);
}

TEST(JsonSchemaTest, NumbersStringsEscapesAndLengths) {
  Grammar n = schema(R"({"type":"number"})");
  for (const char* ok : {"0", "-0.5", "1e5", "1.25E+10", "-3e-2", "10"}) EXPECT_EQ(verdict(n, ok), 1) << ok;
  for (const char* bad : {"01", "1.", ".5", "1e", "+1", "1e+"}) EXPECT_NE(verdict(n, bad), 1) << bad;
  Grammar s = schema(R"({"type":"string","minLength":2,"maxLength":3})");
  EXPECT_EQ(verdict(s, R"("ab")"), 1);
  EXPECT_EQ(verdict(s, "\"\\u00e9\xC3\xA9\""), 1);  // an escape and a 2-byte character: 2 characters
  EXPECT_EQ(verdict(s, R"("\"\\\n")"), 1);
  EXPECT_EQ(verdict(s, R"("a")"), -1);
  EXPECT_EQ(verdict(s, R"("abcd")"), -1);
  EXPECT_EQ(verdict(s, R"("\ud800x")"), -1);  // no lone surrogates
  EXPECT_EQ(verdict(s, "\"a\x01\""), -1);     // control characters must be escaped
  EXPECT_EQ(verdict(s, R"("\q")"), -1);
}

TEST(JsonSchemaTest, EnumConstAnyOfArraysAndNesting) {
  Grammar g = schema(R"({"type":"object","properties":{
      "kind":{"enum":["a\"b", 3, null]},
      "tag":{"const":{"x":[1,"é"]}},
      "v":{"anyOf":[{"type":"string","maxLength":1},{"type":"array","items":{"type":"integer"},"minItems":1,"maxItems":2}]}},
    "required":["kind","tag","v"]})");
  EXPECT_EQ(verdict(g, R"({"kind":"a\"b","tag":{"x":[1,"é"]},"v":"z"})"), 1);
  EXPECT_EQ(verdict(g, R"({"kind":3,"tag":{"x":[1,"é"]},"v":[1, 2]})"), 1);
  EXPECT_EQ(verdict(g, R"({"kind":null,"tag":{"x":[1,"é"]},"v":[]})"), -1);
  EXPECT_EQ(verdict(g, R"({"kind":null,"tag":{"x":[1,"é"]},"v":[1,2,3]})"), -1);
  EXPECT_EQ(verdict(g, R"({"kind":4)"), -1);
}

TEST(JsonSchemaTest, ErrorsNamePointerOrPosition) {
  gemmac_status_code code;
  EXPECT_EQ(schemaError(R"({"properties":{"a/b":{"type":"strin"}}})", &code),
            "/properties/a~1b/type: unknown type 'strin'");
  EXPECT_EQ(code, GEMMAC_INVALID_ARGUMENT);
  EXPECT_EQ(schemaError(R"({"type":"string","pattern":"^a"})", &code), "/pattern: the keyword 'pattern' is not supported");
  EXPECT_EQ(code, GEMMAC_UNIMPLEMENTED);
  EXPECT_EQ(schemaError("{\"type\":\n  \"object\",}", &code), "2:12: expected a property name");
  EXPECT_EQ(code, GEMMAC_INVALID_ARGUMENT);
  EXPECT_EQ(schemaError(R"({"type":"integer","minimum":5,"maximum":4})", &code), "(root): no integer lies within the bounds");
  EXPECT_EQ(schemaError(R"({"items":{"maxLength":-1}})", &code), "/items/maxLength: expected a non-negative integer");
  EXPECT_EQ(schemaError(std::string(200, '[') + std::string(200, ']'), &code), "1:130: nested deeper than 128");
}

/// A vocabulary of tokens that cross JSON syntax; id 0 is special (never allowed).
class TrickyTokensTest : public ::testing::Test {
 protected:
  TrickyTokensTest()
      : pieces_({"", "[", "{\"", "name", "\":\"", "\":", "\"},{\"", "\"}", "]", "\"}]", "\xC3", "\xA9",
                 "\xC3\xA9", "\\\"", "\\u00e9", "\\", "u", "00", "e9", "1e5", "1.5", "e-", "3", ",", " ",
                 "\n  ", "\"", "a", "}", "x\"", "age", "-", "0"}),
        grammar_(schema(R"({"type":"array","items":{"type":"object","properties":{
            "name":{"type":"string","maxLength":4},"age":{"type":"number"}},"required":["name"],
            "additionalProperties":false}})")),
        trie_(pieces_),
        matcher_(grammar_, trie_, pieces_) {}

  int id(const std::string& piece) const {
    for (size_t i = 1; i < pieces_.size(); ++i)
      if (pieces_[i] == piece) return static_cast<int>(i);
    ADD_FAILURE() << "no piece " << piece;
    return 0;
  }

  void feed(const std::vector<std::string>& tokens) {
    for (const std::string& t : tokens) {
      ASSERT_TRUE(matcher_.allows(id(t))) << "token '" << t << "'";
      matcher_.accept(id(t));
    }
  }

  /// The mask's tokens, checked against allows() token by token.
  std::vector<std::string> allowed() {
    bool cached;
    const uint64_t* mask = matcher_.mask(&cached);
    std::vector<std::string> out;
    for (size_t i = 0; i < pieces_.size(); ++i) {
      bool bit = (mask[i >> 6] >> (i & 63)) & 1;
      EXPECT_EQ(bit, matcher_.allows(static_cast<int32_t>(i))) << "token " << i;
      if (bit) out.push_back(pieces_[i]);
    }
    return out;
  }

  static bool has(const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
  }

  std::vector<std::string> pieces_;
  Grammar grammar_;
  TokenTrie trie_;
  Matcher matcher_;
};

TEST_F(TrickyTokensTest, TokensSpanningSyntax) {
  feed({"[", "{\"", "name"});
  std::vector<std::string> a = allowed();
  EXPECT_TRUE(has(a, "\":\""));
  EXPECT_TRUE(has(a, "\":"));
  EXPECT_FALSE(has(a, "\"}"));
  feed({"\":\"", "x\""});
  a = allowed();
  EXPECT_TRUE(has(a, ","));
  EXPECT_TRUE(has(a, "}"));
  EXPECT_TRUE(has(a, " "));
  EXPECT_FALSE(has(a, "\"},{\""));  // the string is closed: no second quote
  feed({"}", ",", "{\"", "name", "\":\"", "a"});
  a = allowed();
  EXPECT_TRUE(has(a, "\"},{\""));
  EXPECT_TRUE(has(a, "\"}]"));
  feed({"\"},{\"", "name", "\":\"", "\"}]"});
  EXPECT_TRUE(matcher_.complete());
  EXPECT_FALSE(matcher_.canContinue());
  EXPECT_TRUE(allowed().empty());
}

TEST_F(TrickyTokensTest, Utf8SplitAcrossTokensAndEscapes) {
  feed({"[", "{\"", "name", "\":\"", "\xC3"});
  std::vector<std::string> a = allowed();
  EXPECT_EQ(a, std::vector<std::string>{"\xA9"});  // only the character's second byte
  feed({"\xA9", "\\u00e9", "\\"});
  a = allowed();
  EXPECT_TRUE(has(a, "\\\""));  // an escaped backslash, then the closing quote
  EXPECT_TRUE(has(a, "\"") && has(a, "u"));
  EXPECT_FALSE(has(a, "a"));
  feed({"u", "00", "e9"});  // the third character
  a = allowed();
  EXPECT_TRUE(has(a, "a") && has(a, "\xC3\xA9") && has(a, "\xC3"));
  feed({"a"});  // the fourth: maxLength 4 leaves only the closing quote
  a = allowed();
  EXPECT_TRUE(has(a, "\"}]") && has(a, "\"},{\"") && has(a, "\"}") && has(a, "\""));
  EXPECT_FALSE(has(a, "\":") || has(a, "a") || has(a, "\xC3"));
}

TEST_F(TrickyTokensTest, NumbersWithExponentsAndWhitespace) {
  feed({"[", "\n  ", "{\"", "name", "\":\"", "\"", ",", " ", "\"", "age", "\":"});
  std::vector<std::string> a = allowed();
  EXPECT_TRUE(has(a, "1e5") && has(a, "1.5") && has(a, "-") && has(a, "3") && has(a, " "));
  EXPECT_FALSE(has(a, "e-"));
  feed({"1.5"});
  a = allowed();
  EXPECT_TRUE(has(a, "e-") && has(a, "3") && has(a, "}"));
  feed({"e-", "3", "}", "]"});
  EXPECT_TRUE(matcher_.complete());
}

/// Untrusted text: mutated valid inputs and deep nesting must give a grammar or
/// an error, never a crash, a hang or unbounded memory.
TEST(GrammarHardeningTest, MutatedInputsFailCleanly) {
  const std::string gbnf_seed = "root ::= (\"a\" [b-d]* | x{2,5})+ \"\\u00e9\"?\nx ::= [^\\n\"] | \"(\" root \")\"\n";
  const std::string schema_seed =
      R"({"type":"object","properties":{"a":{"type":"array","items":{"anyOf":[{"type":"integer","minimum":-5},)"
      R"({"enum":["x",1]}]},"maxItems":3},"b":{"type":"string","minLength":1,"maxLength":9}},"required":["a"]})";
  const char kAlphabet[] = "()[]{}|*+?.\"\\:,-^0123456789abxyzu \n";
  uint64_t state = 12345;
  auto next = [&] { return (state = state * 6364136223846793005ull + 1442695040888963407ull) >> 33; };
  for (int round = 0; round < 3000; ++round) {
    for (const std::string* seed : {&gbnf_seed, &schema_seed}) {
      std::string text = *seed;
      for (int edits = 1 + next() % 4; edits-- > 0;) {
        size_t at = next() % (text.size() + 1);
        switch (next() % 3) {
          case 0: text.insert(at, 1, kAlphabet[next() % (sizeof(kAlphabet) - 1)]); break;
          case 1: if (at < text.size()) text.erase(at, 1); break;
          default: if (at < text.size()) text[at] = kAlphabet[next() % (sizeof(kAlphabet) - 1)];
        }
      }
      Grammar grammar;
      std::string error;
      gemmac_status_code code;
      bool ok = seed == &gbnf_seed ? parseGbnf(text, &grammar, &error) : compileJsonSchema(text, &grammar, &code, &error);
      if (!ok) {
        EXPECT_FALSE(error.empty()) << text;
        continue;
      }
      Automaton automaton(grammar);
      int32_t s = automaton.start();
      for (int i = 0; i < 64 && s != Automaton::kDead; ++i) s = automaton.next(s, static_cast<uint8_t>(kAlphabet[next() % (sizeof(kAlphabet) - 1)]));
    }
  }
  // Nesting beyond the stack bound is cut, not followed into unbounded memory.
  Grammar nested;
  std::string error;
  ASSERT_TRUE(parseGbnf("root ::= \"[\" root \"]\" | \"x\"", &nested, &error)) << error;
  Automaton automaton(nested);
  int32_t s = automaton.walk(automaton.start(), std::string(Automaton::kMaxStackDepth + 10, '['));
  EXPECT_EQ(s, Automaton::kDead);
}

}  // namespace
}  // namespace gemmac::grammar
