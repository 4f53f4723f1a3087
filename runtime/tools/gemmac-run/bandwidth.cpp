#include "bandwidth.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

namespace gemmac_run {
namespace {

// A plain reduction: the optimizer turns it into vector loads and adds over
// several independent accumulators, so the loop waits on memory, not on adds.
// The caller publishes the sum, so the loads cannot be dropped.
uint64_t sumWords(const uint64_t* words, size_t count) {
  uint64_t sum = 0;
  for (size_t i = 0; i < count; ++i) sum += words[i];
  return sum;
}

// Written by every pass: a result the optimizer must assume is read.
std::atomic<uint64_t> g_sink{0};

/// Runs `work(begin, end)` on `threads` threads over contiguous slices of [0, count).
template <typename Work>
void forEachSlice(size_t count, int threads, Work work) {
  std::vector<std::thread> workers;
  const size_t slice = (count + threads - 1) / threads;
  for (int t = 0; t < threads; ++t) {
    size_t begin = std::min(count, slice * t), end = std::min(count, begin + slice);
    workers.emplace_back([=] { work(begin, end); });
  }
  for (std::thread& worker : workers) worker.join();
}

}  // namespace

ReadBandwidthBuffer::ReadBandwidthBuffer(size_t bytes)
    : words_(new uint64_t[bytes / sizeof(uint64_t)]), count_(bytes / sizeof(uint64_t)) {
  // Filled in parallel: first-touch page faults dominate and they scale with threads.
  const int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  uint64_t* words = words_.get();
  forEachSlice(count_, threads, [words](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) words[i] = i * 0x9E3779B97F4A7C15ull;
  });
}

double ReadBandwidthBuffer::measure(int threads, int passes) const {
  const uint64_t* words = words_.get();
  auto pass = [&] {
    auto start = std::chrono::steady_clock::now();
    forEachSlice(count_, threads, [words](size_t begin, size_t end) {
      g_sink.fetch_add(sumWords(words + begin, end - begin), std::memory_order_relaxed);
    });
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  pass();  // warm-up: threads, TLB
  std::vector<double> seconds;
  for (int i = 0; i < passes; ++i) seconds.push_back(pass());
  std::sort(seconds.begin(), seconds.end());
  return static_cast<double>(count_ * sizeof(uint64_t)) / seconds[seconds.size() / 2];
}

}  // namespace gemmac_run
