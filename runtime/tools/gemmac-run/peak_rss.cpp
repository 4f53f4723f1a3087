#include "peak_rss.h"

#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <vector>

#include "bench.h"
#include "cli.h"

namespace gemmac_run {
namespace {

/// The child's whole life: load, prefill, decode. Returns its exit code.
int runInChild(const std::string& model_path, const PeakRssRun& run) {
  gemmac_session_options options;
  gemmac_session_options_init(&options);
  options.max_context = run.context;
  options.num_threads = run.num_threads;
  options.kv_cache_f16 = run.kv_cache_f16;
  ModelPtr model;
  SessionPtr session;
  if (!openSession(model_path, options, &model, &session)) return 1;
  gemmac_model_info info{};
  if (reportError(gemmac_model_get_info(model.get(), &info), "peak RSS run: model info")) return 1;
  std::vector<int32_t> prompt = benchTokenIds(run.prompt_tokens, info.vocab_size, kPromptSeed);
  std::vector<int32_t> decode = benchTokenIds(run.decode_tokens, info.vocab_size, kDecodeSeed);
  std::vector<float> logits(static_cast<size_t>(info.vocab_size));
  if (reportError(gemmac_session_prefill(session.get(), prompt.data(), prompt.size(), logits.data()),
                  "peak RSS run: prefill"))
    return 1;
  for (int32_t id : decode)
    if (reportError(gemmac_session_decode(session.get(), id, logits.data()), "peak RSS run: decode"))
      return 1;
  return 0;
}

}  // namespace

uint64_t measurePeakRss(const std::string& model_path, const PeakRssRun& run) {
  // Buffered output would otherwise be written twice, once by each process.
  std::fflush(stdout);
  std::fflush(stderr);
  pid_t child = fork();
  if (child < 0) {
    std::perror("gemmac-run: fork");
    return 0;
  }
  if (child == 0) {
    int code = runInChild(model_path, run);
    std::fflush(stderr);
    _exit(code);  // not exit(): no atexit handlers or stdio buffers of the parent
  }
  int status = 0;
  struct rusage usage {};
  if (wait4(child, &status, 0, &usage) != child) {
    std::perror("gemmac-run: wait4");
    return 0;
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return 0;
  // Linux reports ru_maxrss in KiB. The child's high-water mark starts at what it
  // inherited at fork, which is why the parent forks while still small.
  return static_cast<uint64_t>(usage.ru_maxrss) * 1024;
}

}  // namespace gemmac_run
