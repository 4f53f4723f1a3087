// JSON Schema -> grammar IR: the grammar accepts a subset of the documents
// that validate (fixed property order, bounded whitespace and digit counts), so
// whatever the matcher lets through validates.
#ifndef GEMMAC_RUNTIME_SRC_LLM_GRAMMAR_JSON_SCHEMA_H_
#define GEMMAC_RUNTIME_SRC_LLM_GRAMMAR_JSON_SCHEMA_H_

#include <string>
#include <string_view>

#include "llm/grammar/grammar.h"

namespace gemmac::grammar {

/// Supported: type (or a list of types), properties, required,
/// additionalProperties, items, minItems, maxItems, minLength, maxLength,
/// minimum, maximum, exclusiveMinimum, exclusiveMaximum (numeric), enum, const,
/// anyOf, allOf of one schema, boolean schemas; annotations (title,
/// description, format, default, ...) are ignored. A number with bounds is
/// generated as an integer in them. Keywords that constrain in ways not
/// supported (pattern, multipleOf, oneOf, $ref, ...) fail with
/// GEMMAC_UNIMPLEMENTED rather than risk output that does not validate.
/// On failure *code and *error ("/json/pointer: what", or "line:column: what"
/// for text that is not JSON) say why.
bool compileJsonSchema(std::string_view text, Grammar* out, gemmac_status_code* code, std::string* error);

}  // namespace gemmac::grammar

#endif  // GEMMAC_RUNTIME_SRC_LLM_GRAMMAR_JSON_SCHEMA_H_
