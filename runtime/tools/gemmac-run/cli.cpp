#include "cli.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace gemmac_run {

const char kUsage[] =
    "usage:\n"
    "  gemmac-run MODEL.gmf -p PROMPT [options]   generate text, streamed to stdout\n"
    "  gemmac-run MODEL.gmf --chat [options]      chat: one user turn per line of stdin,\n"
    "                          each reply streamed; /reset starts over, /quit or EOF ends,\n"
    "                          Ctrl-C stops a reply\n"
    "    -p, --prompt TEXT     the prompt\n"
    "    -n N                  new tokens at most (default 128; per reply in chat)\n"
    "    --chat                wrap the prompt in a Gemma user turn; without -p: chat\n"
    "    --system TEXT         chat: the system prompt\n"
    "    --drop-old-turns      chat: drop the oldest turns when the context is full\n"
    "                          (default: the turn fails, naming the numbers)\n"
    "    --stop TEXT           stop when the text contains TEXT (not printed); repeatable\n"
    "    --temperature T       0 (default): greedy\n"
    "    --top-k K             0 (default): no limit\n"
    "    --top-p P             in (0, 1]; 1 (default): no limit\n"
    "    --min-p P             in [0, 1]: drop tokens below P x the top token's\n"
    "                          probability; 0 (default): off\n"
    "    --repeat-penalty R    > 0: divide positive (multiply negative) logits of recent\n"
    "                          tokens by R; 1 (default): off\n"
    "    --presence-penalty P  subtract P from the logits of recent tokens; 0 (default): off\n"
    "    --frequency-penalty F subtract F x its count from each recent token's logit;\n"
    "                          0 (default): off\n"
    "    --repeat-last-n N     recent tokens: the last N in the context (default 64)\n"
    "    --seed S              sampler seed (default 0)\n"
    "    --json-schema FILE    output JSON that validates against this JSON Schema\n"
    "    --grammar FILE        output text that follows this GBNF grammar (llama.cpp's);\n"
    "                          with either, exit 1 if -n runs out before the text is\n"
    "                          complete, and the grammar's cost per token is reported\n"    "    --threads N           0 (default): one per core\n"
    "    --ctx N               context length; 0 (default): the model's\n"
    "    --kv f32|f16          KV-cache rows: f32 (default, exact) or IEEE f16 (half\n"
    "                          the memory; logits move by ~1e-3)\n"
    "  gemmac-run score MODEL.gmf --ids 2,818,5279 [--topk 8] [--chunk N] [--threads N] [--kv T]\n"
    "    prints one JSON object: topk_ids, topk_logits and logsumexp at every position\n"
    "  gemmac-run inspect MODEL.gmf [--ctx N] [--chunk C] [--kv T]\n"
    "    KV-cache slots and bytes of a session of context N (default: the model's),\n"
    "    prefill chunk C (default 128) and KV rows of type T (default f32)\n"
    "  gemmac-run bench MODEL.gmf [options]      prefill and decode speed, like llama-bench\n"
    "    -p N,N,...            prefill tests: prompt lengths (default 64,512; 0: none)\n"
    "    -n N                  decode test: tokens decoded after a prompt of -d tokens\n"
    "                          (default 128; 0: none)\n"
    "    -d N                  decode test: prompt tokens in the cache before it\n"
    "                          (default 8; the context attention reads)\n"
    "    -t N,N,...            thread counts (default 1,2)\n"
    "    -r N                  timed repetitions, after one warm-up (default 5)\n"
    "    --ctx N               session context (default: the smallest that holds the tests)\n"
    "    --kv f32|f16          KV-cache rows (default f32)\n"
    "    --bandwidth-mib N     read-bandwidth buffer (default 2048)\n"
    "    --rss-run P,N         the peak-RSS run: prefill P, decode N, context P + N\n"
    "                          (default 512,128)\n"
    "    --json                one JSON object instead of the table\n"
    "    also reports load time, peak RSS in a fresh process, read bandwidth, and\n"
    "    decode as a share of its bound: read bandwidth / weight bytes\n"
    "  gemmac-run classify MODEL.gmf --labels A,B,C -p TEXT [--chat] [--bench N] [--threads N] [--ctx N]\n"
    "    prints one JSON object: each label's probability and log_prob as the prompt's\n"
    "    continuation (gemmac_session_classify), the chosen label and the milliseconds taken\n"
    "    --labels A,B,C        labels, split at commas, spaces kept (\" yes, no\" is \" yes\", \" no\")\n"
    "    --label TEXT          one more label, verbatim\n"
    "    --chat                wrap the prompt in a Gemma user turn; labels follow the model turn's start\n"
    "    --bench N             add medians of N repetitions: classify, the prompt's prefill\n"
    "                          without and with its last logits, one decode step, and\n"
    "                          (classify - prefill) / decode step: the labels' cost in decode steps\n"
    "  gemmac-run -h          this help\n";

std::string Args::value(const std::string& name) {
  if (done()) throw UsageError{name + " needs a value"};
  return next();
}

int64_t parseInt(const std::string& flag, const std::string& text, int64_t min, int64_t max) {
  errno = 0;
  char* end = nullptr;
  long long value = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno != 0 || value < min || value > max)
    throw UsageError{flag + ": expected an integer in [" + std::to_string(min) + ", " +
                     std::to_string(max) + "], got \"" + text + "\""};
  return value;
}

float parseFloat(const std::string& flag, const std::string& text) {
  char* end = nullptr;
  float value = std::strtof(text.c_str(), &end);
  if (text.empty() || *end != '\0' || !std::isfinite(value))
    throw UsageError{flag + ": expected a number, got \"" + text + "\""};
  return value;
}

std::vector<int32_t> parseIds(const std::string& text) {
  std::vector<int32_t> ids;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    ids.push_back(static_cast<int32_t>(
        parseInt("--ids", text.substr(start, comma - start), 0, INT32_MAX)));
    start = comma + 1;
  }
  return ids;
}

int32_t parseKvCacheType(const std::string& flag, const std::string& text) {
  if (text == "f32") return 0;
  if (text == "f16") return 1;
  throw UsageError{flag + ": expected f32 or f16, got \"" + text + "\""};
}

const char* kvCacheTypeName(int32_t kv_cache_f16) { return kv_cache_f16 ? "f16" : "f32"; }

void parseSessionArgument(const std::string& flag, Args& args, gemmac_session_options* options,
                          std::string* model_path) {
  if (flag == "--kv") {
    options->kv_cache_f16 = parseKvCacheType(flag, args.value(flag));
  } else if (flag == "--threads") {
    options->num_threads = static_cast<int32_t>(parseInt(flag, args.value(flag), 0, 1024));
  } else if (flag == "--ctx") {
    options->max_context = static_cast<int32_t>(parseInt(flag, args.value(flag), 0, INT32_MAX));
  } else if (!flag.empty() && flag[0] == '-') {
    throw UsageError{"unknown option " + flag};
  } else if (model_path->empty()) {
    *model_path = flag;
  } else {
    throw UsageError{"unexpected argument " + flag};
  }
}

bool reportError(gemmac_status status, const char* context) {
  if (status == nullptr) return false;
  std::fprintf(stderr, "gemmac-run: %s: %s\n", context, gemmac_status_get_message(status));
  gemmac_status_free(status);
  return true;
}

bool openSession(const std::string& path, const gemmac_session_options& options, ModelPtr* model,
                 SessionPtr* session) {
  gemmac_model* raw_model = nullptr;
  if (reportError(gemmac_model_load(path.c_str(), &raw_model), "load")) return false;
  model->reset(raw_model);
  gemmac_session* raw_session = nullptr;
  if (reportError(gemmac_session_create(raw_model, &options, &raw_session), "session"))
    return false;
  session->reset(raw_session);
  return true;
}

}  // namespace gemmac_run
