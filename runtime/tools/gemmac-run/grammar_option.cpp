#include "grammar_option.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iterator>

namespace gemmac_run {

bool GrammarOption::parse(const std::string& flag, Args& args) {
  if (flag != "--json-schema" && flag != "--grammar") return false;
  if (!path_.empty()) throw UsageError{"--json-schema and --grammar: give one of them, once"};
  path_ = args.value(flag);
  is_schema_ = flag == "--json-schema";
  return true;
}

bool GrammarOption::apply(gemmac_model* model, gemmac_generate_options* options) {
  if (path_.empty()) return true;
  std::ifstream in(path_, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "gemmac-run: cannot read %s\n", path_.c_str());
    return false;
  }
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  gemmac_grammar* grammar = nullptr;
  gemmac_status status = is_schema_
                             ? gemmac_grammar_create_from_json_schema(model, text.data(), text.size(), &grammar)
                             : gemmac_grammar_create_from_gbnf(model, text.data(), text.size(), &grammar);
  if (reportError(status, path_.c_str())) return false;
  grammar_.reset(grammar);
  options->grammar = grammar;
  inner_ = options->on_token;
  inner_data_ = options->user_data;
  options->on_token = onToken;
  options->user_data = this;
  return true;
}

int GrammarOption::onToken(void* user_data, int32_t id, const char* text, size_t length) {
  auto* self = static_cast<GrammarOption*>(user_data);
  if (id >= 0) self->times_.push_back(std::chrono::steady_clock::now());
  return self->inner_ ? self->inner_(self->inner_data_, id, text, length) : 0;
}

void GrammarOption::report() const {
  if (!grammar_) return;
  gemmac_grammar_stats stats;
  if (reportError(gemmac_grammar_get_stats(grammar_.get(), &stats), "grammar stats")) return;
  // The first interval starts after prefill: the later ones are decode steps.
  std::vector<double> steps;
  for (size_t i = 1; i < times_.size(); ++i)
    steps.push_back(std::chrono::duration<double, std::milli>(times_[i] - times_[i - 1]).count());
  std::sort(steps.begin(), steps.end());
  double step = steps.empty() ? 0 : steps[steps.size() / 2];
  std::fprintf(stderr,
               "gemmac-run: grammar: %.3f ms/token median (max %.3f), %.1f%% of a %.2f ms step (median "
               "token interval); %lld of %lld tokens needed a full mask (%lld reused)\n",
               stats.median_ms, stats.max_ms, step > 0 ? 100.0 * stats.median_ms / step : 0.0, step,
               static_cast<long long>(stats.masks), static_cast<long long>(stats.tokens),
               static_cast<long long>(stats.masks_cached));
}

}  // namespace gemmac_run
