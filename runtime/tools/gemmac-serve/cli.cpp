#include "cli.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "status_message.h"

namespace gemmac_serve {

using gemmac_run::Args;
using gemmac_run::parseInt;
using gemmac_run::UsageError;

const char kUsage[] =
    "usage:\n"
    "  gemmac-serve MODEL.gmf [options]     an OpenAI-compatible server with continuous batching:\n"
    "    POST /v1/chat/completions, /v1/completions; GET /v1/models, /health, /metrics\n"
    "    --host HOST           address to listen on (default 127.0.0.1)\n"
    "    --port N              port (default 8080; 0: a free one, printed as\n"
    "                          \"listening on http://HOST:PORT\")\n"
    "    --threads N           threads of the batch steps; 0 (default): one per core\n"
    "    --max-batch B         requests generating together (default 8)\n"
    "    --max-queue Q         accepted requests waiting for a slot (default 64); beyond: 429\n"
    "    --ctx C               tokens per request, prompt and answer (default 4096,\n"
    "                          at most the model's)\n"
    "    --step-tokens S       tokens per batch step, decode rows and prefill chunks\n"
    "                          together (default 128; at least --max-batch)\n"
    "    --timeout SEC         a request's time limit from its arrival (default 600)\n"
    "    --max-body BYTES      request body limit (default 1048576); beyond: 413\n"
    "    --api-key KEY         require \"Authorization: Bearer KEY\" on /v1/ (default:\n"
    "                          $GEMMAC_API_KEY, which keeps it off the command line)\n"
    "    --model-name NAME     the model's name in the API (default: the file's stem)\n"
    "    --int8-activations    int8 inputs to the int4/int8 matrix products: more tokens/s\n"
    "                          with many requests, logits ~0.05 off the exact mode (gemmac.h)\n"
    "    SIGTERM or SIGINT: refuse new requests (503), finish those in flight, exit 0\n"
    "  gemmac-serve bench MODEL.gmf [options]  aggregate decode speed of concurrent streams\n"
    "    --streams N,N,...     concurrent greedy streams (default 1,4,16)\n"
    "    --tokens N            new tokens per stream (default 64)\n"
    "    --repetitions R       the median of R runs (default 3)\n"
    "    --threads N           0 (default): one per core\n"
    "    --int8-activations    as the server's option\n"
    "  gemmac-serve -h         this help\n";

namespace {

std::string fileStem(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  const size_t dot = name.find_last_of('.');
  return dot == std::string::npos || dot == 0 ? name : name.substr(0, dot);
}

size_t parseSize(const std::string& flag, Args& args, int64_t min, int64_t max) {
  return static_cast<size_t>(parseInt(flag, args.value(flag), min, max));
}

/// An argument that is no known flag: the model path, once.
void positional(const std::string& flag, std::string* model_path) {
  if (!flag.empty() && flag[0] == '-') throw UsageError{"unknown option " + flag};
  if (!model_path->empty()) throw UsageError{"unexpected argument " + flag};
  *model_path = flag;
}

}  // namespace

bool loadModel(const std::string& path, gemmac_run::ModelPtr* model) {
  gemmac_model* loaded = nullptr;
  if (gemmac_status status = gemmac_model_load(path.c_str(), &loaded)) {
    std::fprintf(stderr, "gemmac-serve: load %s: %s\n", path.c_str(), takeStatusMessage(status).c_str());
    return false;
  }
  model->reset(loaded);
  return true;
}

ServeOptions parseServeArgs(int argc, char** argv) {
  ServeOptions options;
  bool step_tokens_given = false;
  Args args(argc, argv, 1);
  while (!args.done()) {
    const std::string flag = args.next();
    if (flag == "--host") {
      options.host = args.value(flag);
    } else if (flag == "--port") {
      options.port = static_cast<int>(parseInt(flag, args.value(flag), 0, 65535));
    } else if (flag == "--threads") {
      options.engine.threads = parseSize(flag, args, 0, 1024);
    } else if (flag == "--int8-activations") {
      options.engine.int8_activations = true;
    } else if (flag == "--max-batch") {
      options.engine.max_batch = parseSize(flag, args, 1, 1024);
    } else if (flag == "--max-queue") {
      options.engine.max_queue = parseSize(flag, args, 0, 1 << 20);
    } else if (flag == "--ctx") {
      options.engine.context = static_cast<int32_t>(parseInt(flag, args.value(flag), 2, INT32_MAX));
    } else if (flag == "--step-tokens") {
      options.engine.step_tokens = parseSize(flag, args, 1, 1 << 16);
      step_tokens_given = true;
    } else if (flag == "--timeout") {
      options.engine.timeout = std::chrono::seconds(parseInt(flag, args.value(flag), 1, 7 * 24 * 3600));
    } else if (flag == "--max-body") {
      options.http.max_body = parseSize(flag, args, 1, int64_t(1) << 30);
    } else if (flag == "--api-key") {
      options.http.api_key = args.value(flag);
      if (options.http.api_key.empty()) throw UsageError{"--api-key: the key is empty"};
    } else if (flag == "--model-name") {
      options.http.model_name = args.value(flag);
    } else {
      positional(flag, &options.model_path);
    }
  }
  if (options.model_path.empty()) throw UsageError{"no model file"};
  if (options.engine.step_tokens < options.engine.max_batch) {
    if (step_tokens_given)
      throw UsageError{"--step-tokens " + std::to_string(options.engine.step_tokens) + " is below --max-batch " +
                       std::to_string(options.engine.max_batch) + ": every decoding request needs its row in a step"};
    options.engine.step_tokens = options.engine.max_batch;
  }
  if (options.http.model_name.empty()) options.http.model_name = fileStem(options.model_path);
  if (options.http.api_key.empty())
    if (const char* key = std::getenv("GEMMAC_API_KEY")) options.http.api_key = key;
  options.http.timeout = options.engine.timeout;
  return options;
}

BenchOptions parseBenchArgs(int argc, char** argv) {
  BenchOptions options;
  Args args(argc, argv, 2);
  while (!args.done()) {
    const std::string flag = args.next();
    if (flag == "--streams") {
      options.streams.clear();
      const std::string list = args.value(flag);
      for (size_t start = 0; start <= list.size();) {
        size_t comma = list.find(',', start);
        if (comma == std::string::npos) comma = list.size();
        options.streams.push_back(static_cast<size_t>(parseInt(flag, list.substr(start, comma - start), 1, 1024)));
        start = comma + 1;
      }
    } else if (flag == "--tokens") {
      options.tokens = parseSize(flag, args, 2, 1 << 16);
    } else if (flag == "--repetitions") {
      options.repetitions = parseSize(flag, args, 1, 1000);
    } else if (flag == "--threads") {
      options.threads = parseSize(flag, args, 0, 1024);
    } else if (flag == "--int8-activations") {
      options.int8_activations = true;
    } else {
      positional(flag, &options.model_path);
    }
  }
  if (options.model_path.empty()) throw UsageError{"bench: no model file"};
  return options;
}

}  // namespace gemmac_serve
