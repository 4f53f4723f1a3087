// Test driver for the JSON-schema property test: loads a model once, then for
// each schema (one per line of a file) generates with seeded sampling and
// prints one JSON line: {"status": "complete"|"unfinished"|"error",
// "text_hex": the generated text's bytes in hex, "message": ...}. Judging the
// output is left to an independent validator (property_test.py).
//
//   grammar_generate_json MODEL.gmf SCHEMAS.jsonl MAX_NEW_TOKENS SEED [TEMPERATURE]
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "gemmac/gemmac.h"

namespace {

int collect(void* user_data, int32_t, const char* text, size_t length) {
  static_cast<std::string*>(user_data)->append(text, length);
  return 0;
}

std::string hex(const std::string& bytes) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

/// The message as a JSON string body: only what gemmac messages can hold needs escaping.
std::string escaped(const char* message) {
  std::string out;
  for (const char* p = message; *p; ++p) {
    if (*p == '"' || *p == '\\') out.push_back('\\');
    out.push_back(static_cast<unsigned char>(*p) < 0x20 ? ' ' : *p);
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: %s MODEL.gmf SCHEMAS.jsonl MAX_NEW_TOKENS SEED [TEMPERATURE]\n", argv[0]);
    return 2;
  }
  gemmac_model* model = nullptr;
  gemmac_session* session = nullptr;
  gemmac_status status = gemmac_model_load(argv[1], &model);
  gemmac_session_options session_options;
  gemmac_session_options_init(&session_options);
  session_options.num_threads = 1;  // the suite runs tests side by side
  session_options.max_context = 256;
  if (status == nullptr) status = gemmac_session_create(model, &session_options, &session);
  if (status != nullptr) {
    std::fprintf(stderr, "%s\n", gemmac_status_get_message(status));
    return 1;
  }
  std::ifstream schemas(argv[2]);
  std::string schema;
  for (uint64_t index = 0; std::getline(schemas, schema); ++index) {
    gemmac_grammar* grammar = nullptr;
    std::string text;
    status = gemmac_grammar_create_from_json_schema(model, schema.data(), schema.size(), &grammar);
    if (status == nullptr) {
      gemmac_generate_options options;
      gemmac_generate_options_init(&options);
      options.max_new_tokens = std::atoi(argv[3]);
      options.sampler.temperature = argc > 5 ? std::strtof(argv[5], nullptr) : 1.0f;
      options.sampler.seed = std::strtoull(argv[4], nullptr, 10) + index;
      options.grammar = grammar;
      options.on_token = collect;
      options.user_data = &text;
      gemmac_session_reset(session);
      status = gemmac_session_generate_text(session, "JSON:", &options, nullptr);
    }
    const char* kind = status == nullptr                                          ? "complete"
                       : gemmac_status_get_code(status) == GEMMAC_OUT_OF_RANGE ? "unfinished"
                                                                                  : "error";
    std::printf("{\"status\": \"%s\", \"text_hex\": \"%s\", \"message\": \"%s\"}\n", kind, hex(text).c_str(),
                escaped(gemmac_status_get_message(status)).c_str());
    std::fflush(stdout);
    gemmac_status_free(status);
    gemmac_grammar_free(grammar);
  }
  gemmac_session_free(session);
  gemmac_model_free(model);
  return 0;
}
