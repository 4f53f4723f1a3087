// Peak resident memory of one typical run, measured in a fresh child process so
// that nothing the benchmark itself allocated (bandwidth buffer, other
// sessions) is counted.
#ifndef GEMMAC_TOOLS_GEMMAC_RUN_PEAK_RSS_H_
#define GEMMAC_TOOLS_GEMMAC_RUN_PEAK_RSS_H_

#include <cstdint>
#include <string>

namespace gemmac_run {

struct PeakRssRun {
  int32_t context;         // session max_context
  int32_t prompt_tokens;   // prefilled first
  int32_t decode_tokens;   // then decoded one at a time
  int32_t num_threads;     // 0: the session default (one per core)
  int32_t kv_cache_f16;    // gemmac_session_options.kv_cache_f16
};

/// Forks a child that loads `model_path`, runs `run` and exits; returns the
/// child's peak RSS in bytes, or 0 when the child failed (it says why on stderr).
/// Call it while this process has no threads of its own: fork copies only the
/// calling thread, and a lock another thread held would stay held in the child.
uint64_t measurePeakRss(const std::string& model_path, const PeakRssRun& run);

}  // namespace gemmac_run

#endif  // GEMMAC_TOOLS_GEMMAC_RUN_PEAK_RSS_H_
