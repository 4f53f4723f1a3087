#include "llm/grammar/json_schema.h"

#include <algorithm>
#include <cmath>
#include <optional>

#include "llm/grammar/json_value.h"

namespace gemmac::grammar {
namespace {

using Type = JsonValue::Type;

/// Digits an unbounded integer may have: keeps a sampled number from running
/// on until the token budget is gone (and within double precision).
constexpr int kMaxDigits = 16;
constexpr double kMaxBound = 1e15;

struct SchemaError {
  gemmac_status_code code;
  std::string pointer;
  std::string message;
};

std::string child(const std::string& pointer, std::string_view key) {
  std::string out = pointer + "/";
  for (char c : key) {
    if (c == '~') out += "~0";
    else if (c == '/') out += "~1";
    else out.push_back(c);
  }
  return out;
}

bool isUnsupported(std::string_view key) {
  static const char* const kKeys[] = {
      "pattern", "multipleOf", "minProperties", "maxProperties", "patternProperties", "propertyNames",
      "dependentRequired", "dependentSchemas", "dependencies", "unevaluatedProperties", "unevaluatedItems",
      "prefixItems", "contains", "minContains", "maxContains", "oneOf", "not", "if", "then", "else", "$ref",
      "additionalItems", "$dynamicRef"};
  for (const char* k : kKeys)
    if (key == k) return true;
  return false;
}

class SchemaCompiler {
 public:
  Symbol compile(const JsonValue& schema, const std::string& pointer) {
    if (schema.type == Type::kBool) {
      if (!schema.boolean) fail(GEMMAC_INVALID_ARGUMENT, pointer, "the schema false accepts no document");
      return anyValue();
    }
    if (schema.type != Type::kObject) fail(GEMMAC_INVALID_ARGUMENT, pointer, "a schema must be an object or a boolean");
    for (const auto& [key, value] : schema.members) {
      if (isUnsupported(key) && !(key == "uniqueItems"))
        fail(GEMMAC_UNIMPLEMENTED, child(pointer, key), "the keyword '" + key + "' is not supported");
      if (key == "uniqueItems" && value.type == Type::kBool && value.boolean)
        fail(GEMMAC_UNIMPLEMENTED, child(pointer, key), "uniqueItems true is not supported");
      if (key == "allOf" && !(value.type == Type::kArray && value.items.size() == 1))
        fail(GEMMAC_UNIMPLEMENTED, child(pointer, key), "allOf is supported with exactly one schema");
    }
    if (const JsonValue* all = schema.find("allOf")) {
      if (schema.members.size() != 1)
        fail(GEMMAC_UNIMPLEMENTED, pointer, "allOf beside other keywords is not supported");
      return compile(all->items[0], child(child(pointer, "allOf"), "0"));
    }
    if (const JsonValue* any = schema.find("anyOf")) return compileAnyOf(schema, *any, pointer);
    if (schema.find("const") || schema.find("enum")) return compileEnum(schema, pointer);
    std::vector<std::string> types = declaredTypes(schema, pointer);
    std::vector<Sequence> alternatives;
    for (const std::string& type : types) alternatives.push_back({compileType(schema, type, pointer)});
    if (alternatives.size() == 1) return alternatives[0][0];
    return builder_.group(pointer, std::move(alternatives));
  }

  Builder& builder() { return builder_; }

 private:
  [[noreturn]] void fail(gemmac_status_code code, const std::string& pointer, std::string message) {
    throw SchemaError{code, pointer.empty() ? "(root)" : pointer, std::move(message)};
  }

  void checkSize(const std::string& pointer) {
    if (builder_.tooLarge()) fail(GEMMAC_RESOURCE_EXHAUSTED, pointer, "the schema's grammar is too large");
  }

  std::vector<std::string> declaredTypes(const JsonValue& schema, const std::string& pointer) {
    const JsonValue* type = schema.find("type");
    if (type == nullptr) {
      for (const char* key : {"properties", "required", "additionalProperties"})
        if (schema.find(key)) return {"object"};
      for (const char* key : {"items", "minItems", "maxItems"})
        if (schema.find(key)) return {"array"};
      for (const char* key : {"minLength", "maxLength"})
        if (schema.find(key)) return {"string"};
      for (const char* key : {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"})
        if (schema.find(key)) return {"number"};
      return {"any"};
    }
    std::vector<std::string> types;
    if (type->type == Type::kString) types.push_back(type->text);
    if (type->type == Type::kArray)
      for (const JsonValue& t : type->items) {
        if (t.type != Type::kString) fail(GEMMAC_INVALID_ARGUMENT, child(pointer, "type"), "type names must be strings");
        types.push_back(t.text);
      }
    if (types.empty()) fail(GEMMAC_INVALID_ARGUMENT, child(pointer, "type"), "expected a type name or a list of them");
    for (const std::string& t : types)
      if (t != "object" && t != "array" && t != "string" && t != "number" && t != "integer" && t != "boolean" &&
          t != "null")
        fail(GEMMAC_INVALID_ARGUMENT, child(pointer, "type"), "unknown type '" + t + "'");
    return types;
  }

  Symbol compileType(const JsonValue& schema, const std::string& type, const std::string& pointer) {
    checkSize(pointer);
    if (type == "any") return anyValue();
    if (type == "object") return compileObject(schema, pointer);
    if (type == "array") return compileArray(schema, pointer);
    if (type == "string") {
      uint32_t min = count(schema, "minLength", pointer, 0);
      int64_t max = schema.find("maxLength") ? int64_t{count(schema, "maxLength", pointer, 0)} : -1;
      if (max >= 0 && max < min) fail(GEMMAC_INVALID_ARGUMENT, pointer, "maxLength is below minLength");
      return stringOf(min, max, pointer);
    }
    if (type == "boolean") return builder_.group("boolean", {builder_.literal("true"), builder_.literal("false")});
    if (type == "null") return builder_.group("null", {builder_.literal("null")});
    return compileNumber(schema, type == "integer", pointer);
  }

  uint32_t count(const JsonValue& schema, const char* key, const std::string& pointer, uint32_t fallback) {
    const JsonValue* value = schema.find(key);
    if (value == nullptr) return fallback;
    if (value->type != Type::kNumber || value->number < 0 || value->number != std::floor(value->number))
      fail(GEMMAC_INVALID_ARGUMENT, child(pointer, key), "expected a non-negative integer");
    if (value->number > kMaxRepetition)
      fail(GEMMAC_UNIMPLEMENTED, child(pointer, key), "counts above " + std::to_string(kMaxRepetition) + " are not supported");
    return static_cast<uint32_t>(value->number);
  }

  std::optional<double> bound(const JsonValue& schema, const char* key, const std::string& pointer) {
    const JsonValue* value = schema.find(key);
    if (value == nullptr) return std::nullopt;
    if (value->type != Type::kNumber) fail(GEMMAC_UNIMPLEMENTED, child(pointer, key), "expected a number");
    if (std::fabs(value->number) > kMaxBound)
      fail(GEMMAC_UNIMPLEMENTED, child(pointer, key), "bounds beyond 1e15 are not supported");
    return value->number;
  }

  Symbol compileNumber(const JsonValue& schema, bool integer, const std::string& pointer) {
    std::optional<double> min = bound(schema, "minimum", pointer), max = bound(schema, "maximum", pointer);
    std::optional<double> xmin = bound(schema, "exclusiveMinimum", pointer);
    std::optional<double> xmax = bound(schema, "exclusiveMaximum", pointer);
    if (!min && !max && !xmin && !xmax) return integer ? anyInteger() : anyNumber();
    // Bounded numbers are generated as integers: always valid, always in range.
    std::optional<int64_t> lo, hi;
    if (min) lo = static_cast<int64_t>(std::ceil(*min));
    if (xmin) lo = std::max(lo.value_or(INT64_MIN), static_cast<int64_t>(std::floor(*xmin)) + 1);
    if (max) hi = static_cast<int64_t>(std::floor(*max));
    if (xmax) hi = std::min(hi.value_or(INT64_MAX), static_cast<int64_t>(std::ceil(*xmax)) - 1);
    if (lo && hi && *lo > *hi) fail(GEMMAC_INVALID_ARGUMENT, pointer, "no integer lies within the bounds");
    return integerRange(lo, hi, pointer);
  }

  Symbol compileObject(const JsonValue& schema, const std::string& pointer) {
    const JsonValue* properties = schema.find("properties");
    const JsonValue* required = schema.find("required");
    const JsonValue* additional = schema.find("additionalProperties");
    if (properties && properties->type != Type::kObject)
      fail(GEMMAC_INVALID_ARGUMENT, child(pointer, "properties"), "expected an object");
    if (required && required->type != Type::kArray)
      fail(GEMMAC_INVALID_ARGUMENT, child(pointer, "required"), "expected an array of names");
    bool closed = additional && additional->type == Type::kBool && !additional->boolean;
    struct Property {
      std::string name;
      const JsonValue* schema;
      std::string pointer;
      bool required;
    };
    std::vector<Property> list;
    if (properties)
      for (const auto& [name, sub] : properties->members)
        list.push_back({name, &sub, child(child(pointer, "properties"), name), false});
    if (required)
      for (size_t i = 0; i < required->items.size(); ++i) {
        const JsonValue& name = required->items[i];
        std::string at = child(child(pointer, "required"), std::to_string(i));
        if (name.type != Type::kString) fail(GEMMAC_INVALID_ARGUMENT, at, "expected a property name");
        auto it = std::find_if(list.begin(), list.end(), [&](const Property& p) { return p.name == name.text; });
        if (it != list.end()) {
          it->required = true;
        } else if (closed) {
          fail(GEMMAC_INVALID_ARGUMENT, at, "required property '" + name.text + "' is excluded by additionalProperties false");
        } else {
          list.push_back({name.text, additional, child(pointer, "additionalProperties"), true});
        }
      }
    Symbol ws = whitespace();
    Sequence open = builder_.literal("{");
    open.push_back(ws);
    Sequence close = {ws};
    for (Symbol s : builder_.literal("}")) close.push_back(s);
    if (list.empty()) {
      if (closed) return builder_.group(pointer, {concat(open, close)});
      Symbol value = additional && additional->type == Type::kObject
                         ? compile(*additional, child(pointer, "additionalProperties"))
                         : anyValue();
      return objectOf(value, pointer);
    }
    // Declared order, optional ones skippable: first_i has emitted nothing yet,
    // rest_i already has and so prefixes a comma.
    Sequence comma = {ws};
    for (Symbol s : builder_.literal(",")) comma.push_back(s);
    comma.push_back(ws);
    const size_t n = list.size();
    std::vector<Sequence> pairs(n);
    for (size_t i = 0; i < n; ++i) {
      JsonValue key{Type::kString, false, 0, list[i].name, {}, {}};
      pairs[i] = builder_.literal(toJson(key));
      pairs[i].push_back(ws);
      for (Symbol s : builder_.literal(":")) pairs[i].push_back(s);
      pairs[i].push_back(ws);
      pairs[i].push_back(list[i].schema ? compile(*list[i].schema, list[i].pointer) : anyValue());
    }
    std::vector<Symbol> rests(n + 1), firsts(n + 1);
    rests[n] = firsts[n] = builder_.group(pointer + "/end", {{}});
    for (size_t i = n; i-- > 0;) {
      Sequence with_comma = concat(comma, pairs[i]);
      with_comma.push_back(rests[i + 1]);
      Sequence with_pair = pairs[i];
      with_pair.push_back(rests[i + 1]);
      if (list[i].required) {
        rests[i] = builder_.group(pointer + "/rest", {with_comma});
        firsts[i] = builder_.group(pointer + "/first", {with_pair});
      } else {
        rests[i] = builder_.group(pointer + "/rest", {with_comma, {rests[i + 1]}});
        firsts[i] = builder_.group(pointer + "/first", {with_pair, {firsts[i + 1]}});
      }
    }
    Sequence body = open;
    body.push_back(firsts[0]);
    return builder_.group(pointer, {concat(body, close)});
  }

  Symbol compileArray(const JsonValue& schema, const std::string& pointer) {
    const JsonValue* items = schema.find("items");
    if (items && items->type != Type::kObject && items->type != Type::kBool)
      fail(GEMMAC_UNIMPLEMENTED, child(pointer, "items"), "items must be one schema (tuple forms are not supported)");
    uint32_t min = count(schema, "minItems", pointer, 0);
    int64_t max = schema.find("maxItems") ? int64_t{count(schema, "maxItems", pointer, 0)} : -1;
    if (max >= 0 && max < min) fail(GEMMAC_INVALID_ARGUMENT, pointer, "maxItems is below minItems");
    Symbol item = items ? compile(*items, child(pointer, "items")) : anyValue();
    return arrayOf(item, min, max, pointer);
  }

  Symbol compileAnyOf(const JsonValue& schema, const JsonValue& any, const std::string& pointer) {
    std::string at = child(pointer, "anyOf");
    for (const auto& [key, value] : schema.members)
      if (key != "anyOf" && !isAnnotation(key))
        fail(GEMMAC_UNIMPLEMENTED, child(pointer, key), "keywords beside anyOf are not supported");
    if (any.type != Type::kArray || any.items.empty())
      fail(GEMMAC_INVALID_ARGUMENT, at, "expected a non-empty array of schemas");
    std::vector<Sequence> alternatives;
    for (size_t i = 0; i < any.items.size(); ++i)
      alternatives.push_back({compile(any.items[i], child(at, std::to_string(i)))});
    return builder_.group(at, std::move(alternatives));
  }

  static bool isAnnotation(std::string_view key) {
    for (const char* k : {"$schema", "$id", "$comment", "title", "description", "default", "examples", "format",
                          "readOnly", "writeOnly", "deprecated", "$defs", "definitions"})
      if (key == k) return true;
    return false;
  }

  Symbol compileEnum(const JsonValue& schema, const std::string& pointer) {
    for (const auto& [key, value] : schema.members)
      if (key != "enum" && key != "const" && key != "type" && !isAnnotation(key))
        fail(GEMMAC_UNIMPLEMENTED, child(pointer, key), "keywords beside enum/const (other than type) are not supported");
    std::vector<const JsonValue*> values;
    std::string at = child(pointer, schema.find("const") ? "const" : "enum");
    if (const JsonValue* c = schema.find("const")) {
      values.push_back(c);
    } else {
      const JsonValue& e = *schema.find("enum");
      if (e.type != Type::kArray) fail(GEMMAC_INVALID_ARGUMENT, at, "expected an array of values");
      for (const JsonValue& v : e.items) values.push_back(&v);
    }
    std::vector<std::string> types = schema.find("type") ? declaredTypes(schema, pointer) : std::vector<std::string>{};
    std::vector<Sequence> alternatives;
    for (const JsonValue* v : values)
      if (types.empty() || std::any_of(types.begin(), types.end(), [&](const std::string& t) { return hasType(*v, t); }))
        alternatives.push_back(builder_.literal(toJson(*v)));
    if (alternatives.empty()) fail(GEMMAC_INVALID_ARGUMENT, at, "no value is of the schema's type");
    return builder_.group(at, std::move(alternatives));
  }

  static bool hasType(const JsonValue& v, const std::string& type) {
    switch (v.type) {
      case Type::kNull: return type == "null";
      case Type::kBool: return type == "boolean";
      case Type::kString: return type == "string";
      case Type::kArray: return type == "array";
      case Type::kObject: return type == "object";
      case Type::kNumber: return type == "number" || (type == "integer" && v.number == std::floor(v.number));
    }
    return false;
  }

  // ---- Building blocks shared by every schema (made once) ----

  static Sequence concat(Sequence a, const Sequence& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
  }

  Symbol digits(char lo, char hi) {
    ByteSet set;
    set.add(static_cast<unsigned char>(lo), static_cast<unsigned char>(hi));
    return builder_.bytes(set);
  }

  Symbol repeatOf(Symbol item, uint32_t min, int64_t max, const std::string& pointer) {
    Symbol out;
    if (!builder_.repeat(item, min, max, &out)) fail(GEMMAC_UNIMPLEMENTED, pointer, "a repetition count is too large");
    return out;
  }

  Symbol whitespace() {
    if (!ws_) {
      ByteSet set;
      set.add(' ', ' ');
      set.add('\n', '\n');
      set.add('\t', '\t');
      ws_ = repeatOf(builder_.bytes(set), 0, 3, "");
    }
    return *ws_;
  }

  /// One JSON string character: unescaped, or an escape (\u without
  /// surrogates, so each is exactly one code point for minLength/maxLength).
  Symbol stringChar() {
    if (!char_) {
      Symbol hex = builder_.codePoints({{'0', '9'}, {'a', 'f'}, {'A', 'F'}}, false);
      Symbol u = builder_.group("\\u", {{builder_.codePoints({{'0', '9'}, {'a', 'c'}, {'A', 'C'}, {'e', 'f'}, {'E', 'F'}}, false), hex, hex, hex},
                                        {builder_.codePoints({{'d', 'd'}, {'D', 'D'}}, false), digits('0', '7'), hex, hex}});
      Sequence escape = builder_.literal("\\");
      Sequence escaped = {builder_.codePoints({{'"', '"'}, {'\\', '\\'}, {'/', '/'}, {'b', 'b'}, {'f', 'f'}, {'n', 'n'}, {'r', 'r'}, {'t', 't'}}, false)};
      Sequence unicode = builder_.literal("u");
      unicode.push_back(u);
      char_ = builder_.group("char", {{builder_.codePoints({{'"', '"'}, {'\\', '\\'}, {0, 0x1F}}, true)},
                                      concat(escape, escaped), concat(escape, unicode)});
    }
    return *char_;
  }

  Symbol stringOf(uint32_t min, int64_t max, const std::string& pointer) {
    Sequence quote = builder_.literal("\"");
    Sequence body = quote;
    body.push_back(repeatOf(stringChar(), min, max, pointer));
    return builder_.group("string", {concat(body, quote)});
  }

  Symbol anyInteger() {
    if (!integer_) integer_ = integerRange(std::nullopt, std::nullopt, "");
    return *integer_;
  }

  Symbol anyNumber() {
    if (!number_) {
      Sequence fraction = builder_.literal(".");
      fraction.push_back(repeatOf(digits('0', '9'), 1, kMaxDigits, ""));
      Sequence exponent = {builder_.codePoints({{'e', 'e'}, {'E', 'E'}}, false),
                           repeatOf(builder_.codePoints({{'+', '+'}, {'-', '-'}}, false), 0, 1, ""),
                           repeatOf(digits('0', '9'), 1, 2, "")};
      // The integer part as JSON writes it: "-0.5" needs "-0", which integers leave out.
      Symbol natural = builder_.group("natural", {builder_.literal("0"), {digits('1', '9'), repeatOf(digits('0', '9'), 0, kMaxDigits - 1, "")}});
      Symbol sign = repeatOf(builder_.group("-", {builder_.literal("-")}), 0, 1, "");
      number_ = builder_.group("number", {{sign, natural, repeatOf(builder_.group("fraction", {fraction}), 0, 1, ""),
                                           repeatOf(builder_.group("exponent", {exponent}), 0, 1, "")}});
    }
    return *number_;
  }

  /// Decimal strings of exactly lo.size() digits between lo and hi.
  void fixedWidth(const std::string& lo, const std::string& hi, Sequence prefix, std::vector<Sequence>* out) {
    if (lo.empty()) return out->push_back(std::move(prefix));
    size_t rest = lo.size() - 1;
    if (lo.substr(1) == std::string(rest, '0') && hi.substr(1) == std::string(rest, '9')) {
      prefix.push_back(digits(lo[0], hi[0]));
      for (size_t i = 0; i < rest; ++i) prefix.push_back(digits('0', '9'));
      return out->push_back(std::move(prefix));
    }
    if (lo[0] == hi[0]) {
      prefix.push_back(digits(lo[0], lo[0]));
      return fixedWidth(lo.substr(1), hi.substr(1), std::move(prefix), out);
    }
    Sequence low = prefix;
    low.push_back(digits(lo[0], lo[0]));
    fixedWidth(lo.substr(1), std::string(rest, '9'), std::move(low), out);
    if (lo[0] + 1 <= hi[0] - 1) fixedWidth(std::string(1, static_cast<char>(lo[0] + 1)) + std::string(rest, '0'),
                                           std::string(1, static_cast<char>(hi[0] - 1)) + std::string(rest, '9'), prefix, out);
    Sequence high = prefix;
    high.push_back(digits(hi[0], hi[0]));
    fixedWidth(std::string(rest, '0'), hi.substr(1), std::move(high), out);
  }

  /// Non-negative integers in [lo, hi] without leading zeros; hi absent: up to kMaxDigits digits.
  void naturals(int64_t lo, std::optional<int64_t> hi, Sequence prefix, std::vector<Sequence>* out) {
    const int lo_digits = static_cast<int>(std::to_string(lo).size());
    const int hi_digits = hi ? static_cast<int>(std::to_string(*hi).size()) : kMaxDigits;
    for (int n = lo_digits; n <= hi_digits; ++n) {
      std::string low = n == lo_digits ? std::to_string(lo) : (n == 1 ? "0" : "1" + std::string(n - 1, '0'));
      std::string high = hi && n == hi_digits ? std::to_string(*hi) : std::string(n, '9');
      if (low.size() == high.size() && low <= high) fixedWidth(low, high, prefix, out);
    }
  }

  Symbol integerRange(std::optional<int64_t> lo, std::optional<int64_t> hi, const std::string& pointer) {
    std::vector<Sequence> alternatives;
    if (!lo || *lo < 0) {  // negatives: "-" then |x| in [max(1, -hi), -lo]
      int64_t from = hi && *hi < 0 ? -*hi : 1;
      std::optional<int64_t> to;
      if (lo) to = -*lo;
      naturals(from, to, builder_.literal("-"), &alternatives);
    }
    if (!hi || *hi >= 0) naturals(lo && *lo > 0 ? *lo : 0, hi, {}, &alternatives);
    checkSize(pointer);
    return builder_.group(pointer.empty() ? "integer" : pointer, std::move(alternatives));
  }

  Symbol arrayOf(Symbol item, uint32_t min, int64_t max, const std::string& pointer) {
    Symbol ws = whitespace();
    Sequence open = builder_.literal("[");
    open.push_back(ws);
    Sequence close = {ws};
    for (Symbol s : builder_.literal("]")) close.push_back(s);
    if (max == 0) return builder_.group(pointer, {concat(open, close)});
    Sequence next = {ws};
    for (Symbol s : builder_.literal(",")) next.push_back(s);
    next.push_back(ws);
    next.push_back(item);
    Symbol more = repeatOf(builder_.group(pointer + "/next", {next}), min > 0 ? min - 1 : 0, max < 0 ? -1 : max - 1, pointer);
    Symbol items = builder_.group(pointer + "/items", {{item, more}});
    if (min == 0) items = repeatOf(items, 0, 1, pointer);
    Sequence body = open;
    body.push_back(items);
    return builder_.group(pointer, {concat(body, close)});
  }

  Symbol objectOf(Symbol value, const std::string& pointer) {
    Symbol ws = whitespace();
    Sequence pair = {stringOf(0, -1, pointer), ws};
    for (Symbol s : builder_.literal(":")) pair.push_back(s);
    pair.push_back(ws);
    pair.push_back(value);
    Symbol member = builder_.group(pointer + "/member", {pair});
    Sequence open = builder_.literal("{");
    open.push_back(ws);
    Sequence next = {ws};
    for (Symbol s : builder_.literal(",")) next.push_back(s);
    next.push_back(ws);
    next.push_back(member);
    Symbol members = repeatOf(builder_.group(pointer + "/members", {{member, repeatOf(builder_.group("next", {next}), 0, -1, pointer)}}), 0, 1, pointer);
    Sequence body = open;
    body.push_back(members);
    body.push_back(ws);
    for (Symbol s : builder_.literal("}")) body.push_back(s);
    return builder_.group(pointer, {body});
  }

  /// Any JSON value: the rule refers to itself through arrays and objects.
  Symbol anyValue() {
    if (!value_) {
      uint32_t rule = builder_.addRule("value");
      value_ = Builder::ref(rule);
      for (const char* word : {"true", "false", "null"}) builder_.addAlternative(rule, builder_.literal(word));
      builder_.addAlternative(rule, {stringOf(0, -1, "")});
      builder_.addAlternative(rule, {anyNumber()});
      builder_.addAlternative(rule, {arrayOf(*value_, 0, -1, "array")});
      builder_.addAlternative(rule, {objectOf(*value_, "object")});
    }
    return *value_;
  }

  Builder builder_;
  std::optional<Symbol> ws_, char_, integer_, number_, value_;
};

}  // namespace

bool compileJsonSchema(std::string_view text, Grammar* out, gemmac_status_code* code, std::string* error) {
  JsonValue schema;
  if (!parseJson(text, &schema, error)) {
    *code = GEMMAC_INVALID_ARGUMENT;
    return false;
  }
  SchemaCompiler compiler;
  Symbol root;
  try {
    root = compiler.compile(schema, "");
  } catch (const SchemaError& e) {
    *code = e.code;
    *error = e.pointer + ": " + e.message;
    return false;
  }
  // The root must be a rule for the matcher to start from.
  uint32_t start = root.kind == SymbolKind::kRule ? root.index : compiler.builder().group("root", {{root}}).index;
  if (!compiler.builder().finish(start, out, error)) {
    *code = GEMMAC_INTERNAL;
    return false;
  }
  return true;
}

}  // namespace gemmac::grammar
