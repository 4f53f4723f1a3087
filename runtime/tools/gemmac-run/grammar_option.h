// gemmac-run's --json-schema FILE / --grammar FILE: the grammar for generate
// mode, and the report of what it cost per token.
#ifndef GEMMAC_TOOLS_GEMMAC_RUN_GRAMMAR_OPTION_H_
#define GEMMAC_TOOLS_GEMMAC_RUN_GRAMMAR_OPTION_H_

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "cli.h"

namespace gemmac_run {

struct GrammarDeleter {
  void operator()(gemmac_grammar* grammar) const { gemmac_grammar_free(grammar); }
};
using GrammarPtr = std::unique_ptr<gemmac_grammar, GrammarDeleter>;

class GrammarOption {
 public:
  /// Takes --json-schema FILE or --grammar FILE; false for any other flag.
  bool parse(const std::string& flag, Args& args);
  /// Builds the grammar (if one was asked for) into options->grammar, and
  /// wraps options->on_token to time tokens; prints the error and returns false
  /// on failure.
  bool apply(gemmac_model* model, gemmac_generate_options* options);
  /// After generation: grammar time per token against the token interval
  /// (decode step + sampling), as medians, on stderr.
  void report() const;

 private:
  static int onToken(void* user_data, int32_t id, const char* text, size_t length);

  std::string path_;
  bool is_schema_ = false;
  GrammarPtr grammar_;
  gemmac_token_callback inner_ = nullptr;
  void* inner_data_ = nullptr;
  std::vector<std::chrono::steady_clock::time_point> times_;
};

}  // namespace gemmac_run

#endif  // GEMMAC_TOOLS_GEMMAC_RUN_GRAMMAR_OPTION_H_
