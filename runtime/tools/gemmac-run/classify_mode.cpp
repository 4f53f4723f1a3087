// gemmac-run classify MODEL.gmf --labels a,b,c -p TEXT [--chat] [--bench N]:
// routes a prompt to one of N labels (gemmac_session_classify_text) and prints
// one JSON object: each label's probability and log-probability, the chosen
// label and the time taken. --bench N adds medians over N repetitions of the
// classify call, of the full-vocabulary alternative (prefilling the prompt up
// to its last logits) and of one decode step, so its cost can be read against
// a decode step.
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "bench.h"
#include "json_text.h"
#include "cli.h"

namespace gemmac_run {
namespace {

using Clock = std::chrono::steady_clock;

double millisecondsSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

/// "a,b,c" -> {"a", "b", "c"}, verbatim (spaces are part of a label).
std::vector<std::string> splitLabels(const std::string& text) {
  std::vector<std::string> labels;
  size_t start = 0;
  for (size_t comma; (comma = text.find(',', start)) != std::string::npos; start = comma + 1)
    labels.push_back(text.substr(start, comma - start));
  labels.push_back(text.substr(start));
  return labels;
}


/// The ids gemmac_session_classify_text runs for `prompt` in an empty session:
/// BOS, then the text (in a chat turn with `chat`).
bool promptIds(const gemmac_model* model, const std::string& prompt, bool chat, std::vector<int32_t>* ids) {
  std::string text = prompt;
  if (chat) {
    const gemmac_chat_message turn = {"user", prompt.c_str()};
    size_t length = 0;
    if (reportError(gemmac_chat_template_apply(&turn, 1, 1, nullptr, 0, &length), "chat template")) return false;
    text.assign(length + 1, '\0');
    if (reportError(gemmac_chat_template_apply(&turn, 1, 1, &text[0], text.size(), &length), "chat template"))
      return false;
    text.resize(length);
  }
  size_t count = 0;
  if (reportError(gemmac_model_tokenize(model, text.data(), text.size(), nullptr, 0, &count), "tokenize"))
    return false;
  gemmac_model_info info;
  if (reportError(gemmac_model_get_info(model, &info), "model info")) return false;
  ids->assign(count + 1, info.bos_id);
  return !reportError(gemmac_model_tokenize(model, text.data(), text.size(), ids->data() + 1, count, &count),
                      "tokenize");
}

struct Bench {
  Stats classify, prefill, prefill_logits, decode;
};

/// Per repetition, in a reset session: classify, then one decode step after
/// the prompt it leaves; and, reset again each time, the prompt's prefill
/// without logits (classify's share that is not label scoring) and with its
/// last logits (the full-vocabulary way to score single-token labels). One
/// untimed warm-up first.
bool bench(gemmac_model* model, gemmac_session* session, const std::string& prompt, bool chat,
           const std::vector<const char*>& labels, int64_t repetitions, Bench* out) {
  std::vector<int32_t> ids;
  if (!promptIds(model, prompt, chat, &ids)) return false;
  gemmac_model_info info;
  if (reportError(gemmac_model_get_info(model, &info), "model info")) return false;
  std::vector<float> probabilities(labels.size()), logits(static_cast<size_t>(info.vocab_size));
  std::vector<double> classify_ms, prefill_ms, prefill_logits_ms, decode_ms;
  for (int64_t rep = 0; rep <= repetitions; ++rep) {
    gemmac_session_reset(session);
    Clock::time_point start = Clock::now();
    if (reportError(gemmac_session_classify_text(session, prompt.c_str(), chat, labels.data(), labels.size(),
                                                 probabilities.data(), nullptr),
                    "classify"))
      return false;
    const double classify = millisecondsSince(start);
    start = Clock::now();
    if (reportError(gemmac_session_decode(session, ids.back(), logits.data()), "decode")) return false;
    const double decode = millisecondsSince(start);
    double prefill[2];
    for (int with_logits = 0; with_logits < 2; ++with_logits) {
      gemmac_session_reset(session);
      start = Clock::now();
      if (reportError(gemmac_session_prefill(session, ids.data(), ids.size(), with_logits ? logits.data() : nullptr),
                      "prefill"))
        return false;
      prefill[with_logits] = millisecondsSince(start);
    }
    if (rep == 0) continue;  // the warm-up
    classify_ms.push_back(classify);
    decode_ms.push_back(decode);
    prefill_ms.push_back(prefill[0]);
    prefill_logits_ms.push_back(prefill[1]);
  }
  *out = {summarize(classify_ms), summarize(prefill_ms), summarize(prefill_logits_ms), summarize(decode_ms)};
  return true;
}

}  // namespace

int runClassify(int argc, char** argv) {
  std::string model_path, prompt;
  bool have_prompt = false, chat = false;
  std::vector<std::string> labels;
  int64_t repetitions = 0;
  gemmac_session_options session_options;
  gemmac_session_options_init(&session_options);
  for (Args args(argc, argv, 2); !args.done();) {
    std::string flag = args.next();
    if (flag == "-p" || flag == "--prompt") {
      prompt = args.value(flag);
      have_prompt = true;
    } else if (flag == "--labels") {
      for (const std::string& label : splitLabels(args.value(flag))) labels.push_back(label);
    } else if (flag == "--label") {  // one label, commas and all
      labels.push_back(args.value(flag));
    } else if (flag == "--chat") {
      chat = true;
    } else if (flag == "--bench") {
      repetitions = parseInt(flag, args.value(flag), 1, 1000);
    } else {
      parseSessionArgument(flag, args, &session_options, &model_path);
    }
  }
  if (model_path.empty()) throw UsageError{"no model file"};
  if (!have_prompt) throw UsageError{"no prompt (-p)"};
  if (labels.empty()) throw UsageError{"no labels (--labels a,b,c or --label TEXT)"};

  ModelPtr model;
  SessionPtr session;
  if (!openSession(model_path, session_options, &model, &session)) return 1;
  std::vector<const char*> label_texts;
  for (const std::string& label : labels) label_texts.push_back(label.c_str());
  std::vector<float> probabilities(labels.size()), log_probs(labels.size());
  const Clock::time_point start = Clock::now();
  if (reportError(gemmac_session_classify_text(session.get(), prompt.c_str(), chat, label_texts.data(),
                                               label_texts.size(), probabilities.data(), log_probs.data()),
                  model_path.c_str()))
    return 1;
  const double milliseconds = millisecondsSince(start);
  const size_t prompt_tokens = gemmac_session_get_position(session.get());

  size_t chosen = 0;
  std::string json = "{\"labels\": [";
  for (size_t i = 0; i < labels.size(); ++i) {
    if (probabilities[i] > probabilities[chosen]) chosen = i;
    char numbers[96];
    std::snprintf(numbers, sizeof numbers, ", \"probability\": %.9g, \"log_prob\": %.9g}", probabilities[i],
                  log_probs[i]);
    json += (i ? ", {\"label\": " : "{\"label\": ") + jsonString(labels[i]) + numbers;
  }
  char tail[160];
  std::snprintf(tail, sizeof tail, "], \"chosen_index\": %zu, \"prompt_tokens\": %zu, \"milliseconds\": %.3f",
                chosen, prompt_tokens, milliseconds);
  json += tail + std::string(", \"chosen\": ") + jsonString(labels[chosen]) +
          ", \"executor\": " + jsonString(gemmac_model_get_executor(model.get()));
  if (repetitions > 0) {
    Bench result;
    if (!bench(model.get(), session.get(), prompt, chat, label_texts, repetitions, &result)) return 1;
    char numbers[400];
    std::snprintf(numbers, sizeof numbers,
                  ", \"bench\": {\"repetitions\": %lld, \"classify_ms\": %.4f, \"prefill_ms\": %.4f, "
                  "\"prefill_last_logits_ms\": %.4f, \"decode_step_ms\": %.4f, "
                  "\"label_scoring_over_decode_step\": %.3f}",
                  static_cast<long long>(repetitions), result.classify.median, result.prefill.median,
                  result.prefill_logits.median, result.decode.median,
                  (result.classify.median - result.prefill.median) / result.decode.median);
    json += numbers;
  }
  std::printf("%s}\n", json.c_str());
  return 0;
}

}  // namespace gemmac_run
