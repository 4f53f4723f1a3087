// Read bandwidth of this machine: the ceiling a memory-bound decode step runs into.
#ifndef GEMMAC_TOOLS_GEMMAC_RUN_BANDWIDTH_H_
#define GEMMAC_TOOLS_GEMMAC_RUN_BANDWIDTH_H_

#include <cstddef>
#include <cstdint>
#include <memory>

namespace gemmac_run {

/// A buffer far larger than any cache, written once so every page is really
/// backed (an untouched allocation would read the shared zero page).
class ReadBandwidthBuffer {
 public:
  /// Throws std::bad_alloc when `bytes` cannot be allocated.
  explicit ReadBandwidthBuffer(size_t bytes);

  /// Bytes per second summing the whole buffer with `threads` threads, each
  /// over its own slice: the median of `passes` timed passes, after one warm pass.
  double measure(int threads, int passes) const;

 private:
  std::unique_ptr<uint64_t[]> words_;
  size_t count_;
};

}  // namespace gemmac_run

#endif  // GEMMAC_TOOLS_GEMMAC_RUN_BANDWIDTH_H_
