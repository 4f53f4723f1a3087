// llama.cpp's GBNF grammar text -> grammar IR.
#ifndef GEMMAC_RUNTIME_SRC_LLM_GRAMMAR_GBNF_H_
#define GEMMAC_RUNTIME_SRC_LLM_GRAMMAR_GBNF_H_

#include <string>
#include <string_view>

#include "llm/grammar/grammar.h"

namespace gemmac::grammar {

/// Parses rules (`name ::= ...`), alternation, sequences, "literals", [classes],
/// [^negated], `.`, groups and the repetitions * + ? {m} {m,} {m,n}; `root` is
/// the start rule. On failure *error is "line:column: what". Nesting depth and
/// repetition counts are bounded.
bool parseGbnf(std::string_view text, Grammar* out, std::string* error);

}  // namespace gemmac::grammar

#endif  // GEMMAC_RUNTIME_SRC_LLM_GRAMMAR_GBNF_H_
