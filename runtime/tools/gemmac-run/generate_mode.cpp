// gemmac-run MODEL.gmf -p PROMPT ...: stream generated text to stdout; with
// --chat and no prompt, the chat loop (chat_mode.cpp).
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "cli.h"
#include "grammar_option.h"

namespace gemmac_run {
namespace {

int printToken(void* /*user_data*/, int32_t /*id*/, const char* text, size_t length) {
  std::fwrite(text, 1, length, stdout);
  std::fflush(stdout);
  return 0;
}

}  // namespace

int runGenerate(int argc, char** argv) {
  std::string model_path, prompt;
  bool have_prompt = false;
  gemmac_generate_options options;
  gemmac_generate_options_init(&options);
  gemmac_session_options session_options;
  gemmac_session_options_init(&session_options);
  gemmac_chat_options chat_options;
  gemmac_chat_options_init(&chat_options);
  std::string system_prompt;
  std::vector<std::string> stop_strings;
  GrammarOption grammar;
  for (Args args(argc, argv, 1); !args.done();) {
    std::string flag = args.next();
    if (flag == "-p" || flag == "--prompt") {
      prompt = args.value(flag);
      have_prompt = true;
    } else if (flag == "-n") {
      options.max_new_tokens = static_cast<int32_t>(parseInt(flag, args.value(flag), 0, INT32_MAX));
    } else if (flag == "--chat") {
      options.chat = 1;
    } else if (flag == "--temperature") {
      options.sampler.temperature = parseFloat(flag, args.value(flag));
    } else if (flag == "--top-k") {
      options.sampler.top_k = static_cast<int32_t>(parseInt(flag, args.value(flag), 0, INT32_MAX));
    } else if (flag == "--top-p") {
      options.sampler.top_p = parseFloat(flag, args.value(flag));
    } else if (flag == "--system") {
      system_prompt = args.value(flag);
    } else if (flag == "--drop-old-turns") {
      chat_options.drop_old_turns = 1;
    } else if (flag == "--stop") {
      stop_strings.push_back(args.value(flag));
      if (stop_strings.back().empty()) throw UsageError{"--stop: the text is empty"};
    } else if (flag == "--min-p") {
      options.sampler.min_p = parseFloat(flag, args.value(flag));
    } else if (flag == "--repeat-penalty") {
      options.repeat_penalty = parseFloat(flag, args.value(flag));
    } else if (flag == "--presence-penalty") {
      options.presence_penalty = parseFloat(flag, args.value(flag));
    } else if (flag == "--frequency-penalty") {
      options.frequency_penalty = parseFloat(flag, args.value(flag));
    } else if (flag == "--repeat-last-n") {
      options.penalty_last_n = static_cast<int32_t>(parseInt(flag, args.value(flag), 0, INT32_MAX));
    } else if (flag == "--seed") {
      options.sampler.seed = static_cast<uint64_t>(parseInt(flag, args.value(flag), 0, INT64_MAX));
    } else if (grammar.parse(flag, args)) {
      // --json-schema / --grammar
    } else {
      parseSessionArgument(flag, args, &session_options, &model_path);
    }
  }
  if (model_path.empty()) throw UsageError{"no model file"};
  if (!have_prompt && !options.chat) throw UsageError{"no prompt (-p; or --chat for a chat on stdin)"};
  if (!system_prompt.empty() && have_prompt)
    throw UsageError{"--system is for the chat loop (--chat without -p)"};
  // Set after parsing: system_prompt's buffer may move while arguments are read.
  chat_options.system_prompt = system_prompt.c_str();
  std::vector<const char*> stops;
  for (const std::string& stop : stop_strings) stops.push_back(stop.c_str());
  options.stop_strings = stops.data();
  options.stop_string_count = stops.size();

  ModelPtr model;
  SessionPtr session;
  if (!openSession(model_path, session_options, &model, &session)) return 1;
  options.on_token = printToken;
  if (!grammar.apply(model.get(), &options)) return 1;
  if (!have_prompt) return runChat(session.get(), options, chat_options);
  size_t count = 0;
  auto start = std::chrono::steady_clock::now();
  gemmac_status status = gemmac_session_generate_text(session.get(), prompt.c_str(), &options,
                                                      &count);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  grammar.report();
  if (reportError(status, "generate")) return 1;
  std::fputc('\n', stdout);
  std::fprintf(stderr, "gemmac-run: %zu tokens generated in %.2f s (prefill included)\n", count,
               seconds);
  return 0;
}

}  // namespace gemmac_run
