// Token sampler: greedy, or temperature + top-k + min-p + top-p with a portable
// PRNG so that a seed gives the same tokens on every platform.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <new>
#include <utility>
#include <vector>

#include "gemmac/gemmac.h"
#include "api/status.h"

struct gemmac_sampler_s {
  gemmac_sampler_options options;
  uint64_t state;                                  // splitmix64 state
  std::vector<std::pair<float, int32_t>> candidates;  // reused across calls
  std::vector<double> weights;                        // reused across calls
};

namespace {

uint64_t splitmix64(uint64_t* state) {
  uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/// Uniform in [0, 1) from the top 53 bits.
double uniform(uint64_t* state) { return static_cast<double>(splitmix64(state) >> 11) * 0x1p-53; }

/// Higher logit first, lower id first among equal logits: a total, portable order.
bool before(const std::pair<float, int32_t>& a, const std::pair<float, int32_t>& b) {
  return a.first != b.first ? a.first > b.first : a.second < b.second;
}

bool isGreedy(const gemmac_sampler_options& options) {
  return options.temperature <= 0.0f || options.top_k == 1;
}

/// What one pass over the logits finds: whether one is NaN or +inf (the
/// forward pass went wrong), whether one is finite (-inf masks a token), the
/// largest and the lowest id holding it. Kept per lane and merged after, so
/// that the loop vectorizes: a 262k vocabulary read a logit at a time, or
/// twice, was a tenth of a 16-row batch step (the logits are not in cache).
struct LogitScan {
  bool invalid = false;
  bool any_finite = false;
  float max = -INFINITY;
  int32_t argmax = 0;
};

// Four lanes (SSE2, NEON) in the compilers' vector extensions: the plain
// loop of lane arrays, with its first ids, was left scalar.
typedef float F32x4 __attribute__((vector_size(16)));
typedef int32_t I32x4 __attribute__((vector_size(16)));

LogitScan scanLogits(const float* logits, size_t vocab_size) {
  constexpr size_t kSets = 2;  // independent lane sets, for the latency of the compares
  F32x4 maxima[kSets];
  I32x4 first[kSets], invalid[kSets], finite[kSets];
  for (size_t k = 0; k < kSets; ++k) {
    maxima[k] = F32x4{} - INFINITY;
    first[k] = invalid[k] = finite[k] = I32x4{};
  }
  I32x4 ids = {0, 1, 2, 3};
  size_t i = 0;
  for (; i + 4 * kSets <= vocab_size; i += 4 * kSets)
    for (size_t k = 0; k < kSets; ++k, ids += 4) {
      F32x4 v;
      std::memcpy(&v, logits + i + 4 * k, sizeof v);
      const I32x4 greater = v > maxima[k];  // all ones where true; a lane keeps its first maximum
      invalid[k] |= ~(v < INFINITY);        // NaN compares false
      finite[k] |= (v > -INFINITY) & (v < INFINITY);
      first[k] = (ids & greater) | (first[k] & ~greater);
      maxima[k] = greater ? v : maxima[k];
    }
  LogitScan scan;
  uint32_t best = UINT32_MAX;
  auto merge = [&](float v, uint32_t id, bool bad, bool ok) {
    scan.invalid |= bad;
    scan.any_finite |= ok;
    if (v > scan.max || (v == scan.max && id < best)) scan.max = v, best = id;
  };
  for (size_t k = 0; k < kSets; ++k)
    for (size_t l = 0; l < 4; ++l)
      if (maxima[k][l] > -INFINITY || invalid[k][l] || finite[k][l])  // lanes that saw a -inf only add nothing
        merge(maxima[k][l], static_cast<uint32_t>(first[k][l]), invalid[k][l] != 0, finite[k][l] != 0);
  for (; i < vocab_size; ++i)
    merge(logits[i], static_cast<uint32_t>(i), !(logits[i] < INFINITY), std::isfinite(logits[i]));
  scan.argmax = static_cast<int32_t>(best == UINT32_MAX ? 0 : best);
  return scan;
}

/// Fills *candidates with the ids that survive min-p and top-k, ordered by
/// `before` when a cut (top-k or top-p) needs that order, in id order otherwise.
void selectCandidates(const gemmac_sampler_options& options, const float* logits,
                      size_t vocab_size, float max_logit,
                      std::vector<std::pair<float, int32_t>>* candidates) {
  candidates->clear();
  // min-p in the logit domain: p_i >= min_p * p_max  <=>  l_i >= l_max + ln(min_p).
  const float floor = options.min_p > 0.0f ? max_logit + std::log(options.min_p) : -INFINITY;
  for (size_t i = 0; i < vocab_size; ++i)
    if (logits[i] >= floor) candidates->emplace_back(logits[i], static_cast<int32_t>(i));
  size_t keep = candidates->size();
  if (options.top_k > 0 && static_cast<size_t>(options.top_k) < keep) {
    keep = static_cast<size_t>(options.top_k);
    std::nth_element(candidates->begin(), candidates->begin() + keep, candidates->end(), before);
    candidates->resize(keep);
  }
  if (keep < vocab_size || options.top_p < 1.0f)
    std::sort(candidates->begin(), candidates->end(), before);
}

/// Temperature sampling among the candidates that survive the cuts.
void sampleCandidates(gemmac_sampler* sampler, const float* logits, size_t vocab_size, float max_logit,
                      int32_t* out_id) {
  const gemmac_sampler_options& options = sampler->options;
  auto& candidates = sampler->candidates;
  selectCandidates(options, logits, vocab_size, max_logit, &candidates);
  // Softmax weights relative to the largest logit: exp never overflows; double
  // keeps the sums of 262144 tiny terms accurate.
  auto& weights = sampler->weights;
  weights.resize(candidates.size());
  double total = 0.0;
  for (size_t i = 0; i < candidates.size(); ++i) {
    weights[i] = std::exp((static_cast<double>(candidates[i].first) - max_logit) /
                          options.temperature);
    total += weights[i];
  }
  size_t count = candidates.size();
  if (options.top_p < 1.0f) {
    // The smallest prefix (in probability order) holding at least top_p of the mass.
    double kept = 0.0;
    size_t i = 0;
    while (i < count && kept < options.top_p * total) kept += weights[i++];
    count = i;
    total = kept;
  }
  double target = uniform(&sampler->state) * total;
  double cumulative = 0.0;
  for (size_t i = 0; i < count; ++i) {
    cumulative += weights[i];
    if (target < cumulative) {
      *out_id = candidates[i].second;
      return;
    }
  }
  *out_id = candidates[count - 1].second;  // rounding left target at the very top
}

}  // namespace

extern "C" {

void gemmac_sampler_options_init(gemmac_sampler_options* options) {
  if (options == nullptr) return;
  options->temperature = 0.0f;
  options->top_k = 0;
  options->top_p = 1.0f;
  options->seed = 0;
  options->min_p = 0.0f;
}

gemmac_status gemmac_sampler_create(const gemmac_sampler_options* options,
                                    gemmac_sampler** out_sampler) {
  if (options == nullptr || out_sampler == nullptr)
    return gemmac::makeStatus(GEMMAC_INVALID_ARGUMENT, "sampler: NULL options or out_sampler");
  if (std::isnan(options->temperature) || std::isinf(options->temperature))
    return gemmac::makeStatus(GEMMAC_INVALID_ARGUMENT, "sampler: temperature %g is not finite",
                              options->temperature);
  if (options->top_k < 0)
    return gemmac::makeStatus(GEMMAC_INVALID_ARGUMENT,
                              "sampler: top_k %d is negative (0 means no limit)", options->top_k);
  if (!(options->top_p > 0.0f && options->top_p <= 1.0f))
    return gemmac::makeStatus(GEMMAC_INVALID_ARGUMENT,
                              "sampler: top_p %g is outside (0, 1] (1 means no limit)",
                              options->top_p);
  if (!(options->min_p >= 0.0f && options->min_p <= 1.0f))
    return gemmac::makeStatus(GEMMAC_INVALID_ARGUMENT,
                              "sampler: min_p %g is outside [0, 1] (0 means no limit)",
                              options->min_p);
  auto* sampler = new (std::nothrow) gemmac_sampler_s{*options, options->seed, {}, {}};
  if (sampler == nullptr)
    return gemmac::makeStatus(GEMMAC_RESOURCE_EXHAUSTED, "sampler: out of memory");
  *out_sampler = sampler;
  return nullptr;
}

void gemmac_sampler_free(gemmac_sampler* sampler) { delete sampler; }

gemmac_status gemmac_sampler_sample(gemmac_sampler* sampler, const float* logits,
                                    size_t vocab_size, int32_t* out_id) {
  if (sampler == nullptr || logits == nullptr || out_id == nullptr)
    return gemmac::makeStatus(GEMMAC_INVALID_ARGUMENT, "sampler: NULL argument");
  if (vocab_size == 0 || vocab_size > static_cast<size_t>(INT32_MAX))
    return gemmac::makeStatus(GEMMAC_INVALID_ARGUMENT, "sampler: vocab_size %zu", vocab_size);
  // -inf masks a token; NaN or +inf mean the forward pass went wrong.
  const LogitScan scan = scanLogits(logits, vocab_size);
  if (scan.invalid) {
    size_t i = 0;
    while (logits[i] < INFINITY) ++i;
    return gemmac::makeStatus(GEMMAC_INVALID_ARGUMENT, "sampler: logit %zu is %g", i, logits[i]);
  }
  if (!scan.any_finite)
    return gemmac::makeStatus(GEMMAC_INVALID_ARGUMENT, "sampler: every logit is -inf");

  const gemmac_sampler_options& options = sampler->options;
  if (isGreedy(options)) {
    *out_id = scan.argmax;
    return nullptr;
  }
  // The candidate buffers grow on the first call for a vocabulary size.
  return gemmac::guard("sampler", [&]() -> gemmac_status {
    sampleCandidates(sampler, logits, vocab_size, scan.max, out_id);
    return nullptr;
  });
}

}  // extern "C"
