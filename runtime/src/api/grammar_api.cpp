// gemmac_grammar_*: grammars from JSON Schema or GBNF text, bound to a model's
// vocabulary.
#include "api/grammar.h"

#include <string_view>

#include "api/model.h"
#include "api/status.h"
#include "llm/grammar/gbnf.h"
#include "llm/grammar/json_schema.h"

namespace {

enum class Source { kJsonSchema, kGbnf };

/// The bytes each token adds to generated text, or "" for the special ones.
gemmac_status vocabularyBytes(const gemmac_model& model, std::vector<std::string>* pieces) {
  const gemmac::Tokenizer& tokenizer = *model.tokenizer;
  const int32_t count = std::min(model.vocab_size, tokenizer.pieceCount());
  pieces->assign(static_cast<size_t>(model.vocab_size), std::string());
  for (int32_t id = 0; id < count; ++id) {
    if (tokenizer.isSpecial(id)) continue;
    // As in the middle of a text: generated text follows a prompt.
    GEMMAC_RETURN_IF_ERROR(tokenizer.pieceBytes(id, false, &(*pieces)[id]));
  }
  for (int32_t id : model.stop_ids)
    if (id >= 0 && id < model.vocab_size) (*pieces)[id].clear();
  return nullptr;
}

gemmac_status create(const gemmac_model* model, const char* text, size_t length, Source source,
                     gemmac_grammar** out) {
  const char* what = source == Source::kJsonSchema ? "JSON schema" : "grammar";
  if (model == nullptr || (text == nullptr && length != 0) || out == nullptr)
    return gemmac::makeStatus(GEMMAC_INVALID_ARGUMENT, "%s: NULL model, text or out_grammar", what);
  if (model->tokenizer == nullptr)
    return gemmac::makeStatus(GEMMAC_UNIMPLEMENTED, "%s: the model file has no tokenizer", what);
  return gemmac::guard(what, [&]() -> gemmac_status {
    auto grammar = std::make_unique<gemmac_grammar_s>();
    grammar->model = model;
    std::string error;
    gemmac_status_code code = GEMMAC_INVALID_ARGUMENT;
    std::string_view view(text ? text : "", length);
    bool ok = source == Source::kJsonSchema ? gemmac::grammar::compileJsonSchema(view, &grammar->grammar, &code, &error)
                                            : gemmac::grammar::parseGbnf(view, &grammar->grammar, &error);
    if (!ok) return gemmac::makeStatus(code, "%s %s", what, error.c_str());
    GEMMAC_RETURN_IF_ERROR(vocabularyBytes(*model, &grammar->pieces));
    grammar->trie = std::make_unique<gemmac::grammar::TokenTrie>(grammar->pieces);
    // Held so that the model check of generate cannot match another model
    // loaded at a freed one's address.
    gemmac::retainModel(model);
    *out = grammar.release();
    return nullptr;
  });
}

}  // namespace

extern "C" gemmac_status gemmac_grammar_create_from_json_schema(const gemmac_model* model, const char* schema,
                                                                size_t length, gemmac_grammar** out_grammar) {
  return create(model, schema, length, Source::kJsonSchema, out_grammar);
}

extern "C" gemmac_status gemmac_grammar_create_from_gbnf(const gemmac_model* model, const char* text, size_t length,
                                                         gemmac_grammar** out_grammar) {
  return create(model, text, length, Source::kGbnf, out_grammar);
}

extern "C" void gemmac_grammar_free(gemmac_grammar* grammar) {
  if (!grammar) return;
  const gemmac_model* model = grammar->model;
  delete grammar;
  gemmac::releaseModel(model);
}

extern "C" gemmac_status gemmac_grammar_get_stats(gemmac_grammar* grammar, gemmac_grammar_stats* out_stats) {
  if (grammar == nullptr || out_stats == nullptr)
    return gemmac::makeStatus(GEMMAC_INVALID_ARGUMENT, "grammar_get_stats: NULL argument");
  // The lock may throw std::system_error.
  return gemmac::guard("grammar_get_stats", [&]() -> gemmac_status {
    std::lock_guard<std::mutex> lock(grammar->mutex);
    *out_stats = grammar->stats;
    return nullptr;
  });
}
