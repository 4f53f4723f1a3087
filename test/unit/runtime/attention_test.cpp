// Every attention variant, on f32 and on f16 KV rows, against a
// double-precision reference on odd shapes, ring caches that wrap, the
// split-key (flash-decoding) path and the task helper both executors run; the
// f16 passes against the f32 ones on the same rounded rows; the KV store.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "kernels.h"

namespace {

using WholeFn = void (*)(const gemmac_attention_params*, const float*, size_t, int64_t, const float*, const float*,
                         float*, float*);

struct Variant {
  const char* name;
  gemmac_attention_partial_fn partial;
  bool f16;        // reads f16 rows
  WholeFn whole;   // gemmac_attention_<variant> (f32 rows only), else NULL
  bool supported;
  gemmac_attention_partial_fn f32_partial;  // the same variant on f32 rows
};

// Under emulation (the aarch64 suite runs under qemu, 40-850x slower) the
// generic passes, the same C the host run tests, are left to the host run.
bool genericRunsHere() { return std::getenv("GEMMAC_TEST_UNDER_EMULATION") == nullptr; }

// Every variant on f32 rows, then on f16 rows.
std::vector<Variant> variants() {
  const bool generic = genericRunsHere();
  std::vector<Variant> all = {{"generic", gemmac_attention_partial_generic, false, gemmac_attention_generic, generic,
                               gemmac_attention_partial_generic}};
#if defined(__x86_64__)
  __builtin_cpu_init();
  const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
  const bool avx512 = __builtin_cpu_supports("avx512f");
  all.push_back({"x86_avx2", gemmac_attention_partial_x86_avx2, false, gemmac_attention_x86_avx2, avx2,
                 gemmac_attention_partial_x86_avx2});
  all.push_back({"x86_avx512", gemmac_attention_partial_x86_avx512, false, gemmac_attention_x86_avx512, avx512,
                 gemmac_attention_partial_x86_avx512});
#elif defined(__aarch64__)
  all.push_back({"arm64_neon", gemmac_attention_partial_arm64_neon, false, gemmac_attention_arm64_neon, true,
                 gemmac_attention_partial_arm64_neon});
#endif
  all.push_back({"f16_generic", gemmac_attention_partial_f16_generic, true, nullptr, generic,
                 gemmac_attention_partial_generic});
#if defined(__x86_64__)
  all.push_back({"f16_x86_avx2", gemmac_attention_partial_f16_x86_avx2, true, nullptr, avx2,
                 gemmac_attention_partial_x86_avx2});
  all.push_back({"f16_x86_avx512", gemmac_attention_partial_f16_x86_avx512, true, nullptr, avx512,
                 gemmac_attention_partial_x86_avx512});
#elif defined(__aarch64__)
  all.push_back({"f16_arm64_neon", gemmac_attention_partial_f16_arm64_neon, true, nullptr, true,
                 gemmac_attention_partial_arm64_neon});
#endif
  return all;
}

float roundToF16(float x) { return gemmac_f16_to_f32_generic(gemmac_f32_to_f16_generic(x)); }

struct Shape {
  size_t heads, kv_heads, dim;
  int64_t window;  // 0: global
  float softcap;
  float scale_factor;  // scale = factor / sqrt(dim): larger means peakier softmax
};

std::string describe(const Shape& s) {
  return "heads " + std::to_string(s.heads) + " kv " + std::to_string(s.kv_heads) + " dim " + std::to_string(s.dim) +
         " window " + std::to_string(s.window) + " softcap " + std::to_string(s.softcap) + " scale x" +
         std::to_string(s.scale_factor);
}

// A session's cache after positions [0, seq): the K/V rows of every position,
// and the ring (or full) cache of `slots` rows holding the latest of them, as
// f32 and (with f16 rows) as IEEE f16.
struct Session {
  Shape shape;
  gemmac_attention_params params;
  size_t seq;
  std::vector<float> k, v;              // [seq, kv_heads * dim]; f16-rounded with f16 rows
  std::vector<float> k_cache, v_cache;  // [slots, kv_heads * dim]
  std::vector<uint16_t> k_cache16, v_cache16;  // the same rows as f16, with f16 rows

  Session(const Shape& s, size_t seq_, size_t slots, uint32_t seed, bool f16 = false) : shape(s), seq(seq_) {
    params = {s.heads, s.kv_heads, s.dim, s.scale_factor / std::sqrt(static_cast<float>(s.dim)), s.softcap, s.window,
              slots};
    std::mt19937 rng(seed);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    const size_t row = s.kv_heads * s.dim;
    k.resize(seq * row);
    v.resize(seq * row);
    // f16 rows: the reference and the f32 cache see the values the f16 cache holds.
    for (float& x : k) x = f16 ? roundToF16(normal(rng)) : normal(rng);
    for (float& x : v) x = f16 ? roundToF16(normal(rng)) : normal(rng);
    k_cache.assign(slots * row, std::nanf(""));  // rows never written must never be read
    v_cache.assign(slots * row, std::nanf(""));
    for (size_t p = 0; p < seq; ++p)
      for (size_t i = 0; i < row; ++i) {
        k_cache[(p % slots) * row + i] = k[p * row + i];
        v_cache[(p % slots) * row + i] = v[p * row + i];
      }
    if (f16) {
      k_cache16.resize(k_cache.size());
      v_cache16.resize(v_cache.size());
      for (size_t i = 0; i < k_cache.size(); ++i) {
        k_cache16[i] = gemmac_f32_to_f16_generic(k_cache[i]);  // NaN stays NaN
        v_cache16[i] = gemmac_f32_to_f16_generic(v_cache[i]);
      }
    }
  }
  // The caches a variant reads.
  const void* keys(const Variant& variant) const {
    return variant.f16 ? static_cast<const void*>(k_cache16.data()) : k_cache.data();
  }
  const void* values(const Variant& variant) const {
    return variant.f16 ? static_cast<const void*>(v_cache16.data()) : v_cache.data();
  }

  // The double reference for the query rows q [tokens, heads * dim] at
  // positions first..; mag[i] = sum_j p_j |v_j[d]|, the scale of output i.
  void reference(const std::vector<float>& q, size_t tokens, int64_t first, std::vector<double>* out,
                 std::vector<double>* mag) const {
    const size_t dim = shape.dim, group = shape.heads / shape.kv_heads, width = shape.heads * dim;
    const size_t row = shape.kv_heads * dim;
    out->assign(tokens * width, 0.0);
    mag->assign(tokens * width, 0.0);
    for (size_t t = 0; t < tokens; ++t)
      for (size_t h = 0; h < shape.heads; ++h) {
        const int64_t pos = first + static_cast<int64_t>(t);
        const int64_t begin = shape.window > 0 ? std::max<int64_t>(0, pos - shape.window + 1) : 0;
        const size_t kv = h / group;
        std::vector<double> s;
        for (int64_t j = begin; j <= pos; ++j) {
          double dot = 0;
          for (size_t d = 0; d < dim; ++d)
            dot += double(q[t * width + h * dim + d]) * k[j * row + kv * dim + d];
          dot *= double(params.scale);
          if (shape.softcap > 0) dot = shape.softcap * std::tanh(dot / shape.softcap);
          s.push_back(dot);
        }
        const double m = *std::max_element(s.begin(), s.end());
        double sum = 0;
        for (double& x : s) sum += (x = std::exp(x - m));
        for (int64_t j = begin; j <= pos; ++j)
          for (size_t d = 0; d < dim; ++d) {
            const double p = s[j - begin] / sum, value = v[j * row + kv * dim + d];
            (*out)[t * width + h * dim + d] += p * value;
            (*mag)[t * width + h * dim + d] += p * std::abs(value);
          }
      }
  }
};

std::vector<float> randomQueries(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> q(n);
  for (float& x : q) x = normal(rng);
  return q;
}

// Max over outputs of |got - want| / mag (relative to the output's own scale).
double relativeError(const std::vector<float>& got, const std::vector<double>& want, const std::vector<double>& mag) {
  double worst = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    if (!std::isfinite(got[i])) return INFINITY;
    worst = std::max(worst, std::abs(got[i] - want[i]) / std::max(mag[i], 1e-30));
  }
  return worst;
}

constexpr double kTolerance = 1e-5;

const Shape kShapes[] = {
    {1, 1, 8, 0, 0.0f, 1.0f},    {2, 1, 64, 3, 0.0f, 1.0f},    {3, 1, 256, 17, 0.0f, 2.0f},
    {4, 1, 256, 0, 0.0f, 1.0f},  {4, 1, 256, 17, 50.0f, 1.0f}, {5, 1, 64, 3, 1.5f, 3.0f},
    {6, 2, 8, 17, 0.0f, 1.0f},   {7, 1, 64, 0, 0.0f, 8.0f},    {8, 2, 256, 3, 0.0f, 1.0f},
    {8, 1, 64, 17, 1.5f, 1.0f},  {2, 2, 256, 0, 1.5f, 2.0f},   {4, 2, 24, 17, 0.0f, 1.0f},
    {4, 1, 40, 3, 0.0f, 1.0f},   {16, 1, 64, 17, 0.0f, 1.0f},  {1, 1, 256, 17, 0.0f, 12.0f},
    // Not a multiple of 8: the generic pass's last elements, AVX2's fallback to it.
    {3, 1, 76, 17, 1.5f, 2.0f},
    // Not a multiple of 4: NEON's scalar last elements after whole chunks and single vectors.
    {5, 1, 70, 3, 0.0f, 1.0f},   {3, 1, 13, 17, 1.5f, 2.0f},
};

TEST(Attention, RingRunsSplitAtTheWrap) {
  size_t row[2], count[2];
  gemmac_attention_ring_runs(10, 7, 13, row, count);
  EXPECT_EQ(row[0], 7u);
  EXPECT_EQ(count[0], 3u);
  EXPECT_EQ(row[1], 0u);
  EXPECT_EQ(count[1], 3u);
  gemmac_attention_ring_runs(10, 20, 30, row, count);  // exactly the whole ring
  EXPECT_EQ(row[0], 0u);
  EXPECT_EQ(count[0], 10u);
  EXPECT_EQ(count[1], 0u);
  gemmac_attention_ring_runs(10, 5, 5, row, count);
  EXPECT_EQ(count[0] + count[1], 0u);
}

// Prefill-like steps of several query rows at many positions, every variant.
TEST(Attention, VariantsMatchDoubleReference) {
  for (const Variant& variant : variants()) {
    if (!variant.supported) {
      std::printf("(%s not run here: this CPU lacks its features, or generic under emulation)\n", variant.name);
      continue;
    }
    uint32_t seed = 1;
    for (const Shape& shape : kShapes) {
      // (first position, tokens): position 0, block boundaries (64 keys), long
      // contexts, and more rows than a tile (16) over several key chunks.
      const std::pair<int64_t, size_t> steps[] = {{0, 1},   {0, 5},   {1, 3},   {15, 2},  {62, 4},
                                                  {64, 1},  {127, 3}, {200, 5}, {299, 1}, {260, 40}};
      for (auto [first, tokens] : steps) {
        const size_t seq = static_cast<size_t>(first) + tokens;
        // A ring just big enough for the step (window + tokens - 1, wraps for
        // long contexts), plus 2 so that not every row is visible; a full cache otherwise.
        const size_t slots = shape.window > 0 ? static_cast<size_t>(shape.window) + tokens - 1 + 2 : seq + 3;
        Session session(shape, seq, slots, seed++, variant.f16);
        std::vector<float> q = randomQueries(tokens * shape.heads * shape.dim, seed++);
        std::vector<double> want, mag;
        session.reference(q, tokens, first, &want, &mag);
        std::vector<float> out(q.size());
        if (variant.whole)
          variant.whole(&session.params, q.data(), tokens, first, session.k_cache.data(), session.v_cache.data(),
                        nullptr, out.data());
        else
          gemmac_attention_rows(variant.partial, &session.params, q.data(), tokens, first, session.keys(variant),
                                session.values(variant), out.data());
        EXPECT_LT(relativeError(out, want, mag), kTolerance)
            << variant.name << " " << describe(shape) << " first " << first << " tokens " << tokens;
      }
    }
  }
}

// Decode at one position, split into 1..4 key ranges and merged, equals the unsplit pass.
TEST(Attention, SplitKeysEqualUnsplit) {
  for (const Variant& variant : variants()) {
    if (!variant.supported) continue;
    uint32_t seed = 100;
    for (const Shape& shape : kShapes) {
      for (int64_t position : {0, 5, 70, 300, 1000}) {
        const size_t seq = static_cast<size_t>(position) + 1;
        const size_t slots = shape.window > 0 ? static_cast<size_t>(shape.window) + 7 : seq;
        Session session(shape, seq, slots, seed++, variant.f16);
        std::vector<float> q = randomQueries(shape.heads * shape.dim, seed++);
        std::vector<double> want, mag;
        session.reference(q, 1, position, &want, &mag);
        std::vector<float> unsplit(q.size());
        gemmac_attention_rows(variant.partial, &session.params, q.data(), 1, position, session.keys(variant),
                              session.values(variant), unsplit.data());
        std::vector<double> unsplit_d(unsplit.begin(), unsplit.end());
        for (size_t ranges = 1; ranges <= 4; ++ranges) {
          std::vector<float> scratch(ranges * gemmac_attention_range_floats(&session.params));
          std::vector<float> out(q.size());
          for (size_t r = 0; r < ranges; ++r)
            gemmac_attention_split(variant.partial, &session.params, q.data(), position, ranges, r,
                                   session.keys(variant), session.values(variant), scratch.data());
          gemmac_attention_merge(&session.params, ranges, scratch.data(), out.data());
          const std::string where = std::string(variant.name) + " " + describe(shape) + " position " +
                                    std::to_string(position) + " ranges " + std::to_string(ranges);
          // Only the online-softmax block boundaries move: rounding-level differences.
          EXPECT_LT(relativeError(out, unsplit_d, mag), 2e-6) << where;
          EXPECT_LT(relativeError(out, want, mag), kTolerance) << where;
        }
      }
    }
  }
}

// The one task helper both executors use, run serially tile by tile the way
// pthreadpool would, for 1..4 threads: decode splits keys, prefill splits rows.
TEST(Attention, TaskSplitsDecodeKeysAndPrefillRows) {
  const Shape shape{4, 1, 256, 0, 0.0f, 1.0f};
  const Shape ring{4, 1, 64, 512, 0.0f, 1.0f};
  for (const Variant& variant : variants()) {
    if (!variant.supported) continue;
    uint32_t seed = 500;
    for (const Shape& s : {shape, ring}) {
      for (size_t tokens : {size_t{1}, size_t{7}}) {
        for (size_t threads = 1; threads <= 4; ++threads) {
          const int64_t first = 1300;
          const size_t seq = static_cast<size_t>(first) + tokens;
          const size_t slots = s.window > 0 ? static_cast<size_t>(s.window) + tokens - 1 : seq;
          Session session(s, seq, slots, seed++, variant.f16);
          std::vector<float> q = randomQueries(tokens * s.heads * s.dim, seed++);
          std::vector<double> want, mag;
          session.reference(q, tokens, first, &want, &mag);
          std::vector<float> scratch(threads * gemmac_attention_range_floats(&session.params));
          std::vector<float> out(q.size());
          gemmac_attention_task task;
          gemmac_attention_task_init(&task, variant.partial, &session.params, q.data(), tokens, first,
                                     session.keys(variant), session.values(variant), out.data(), threads,
                                     scratch.data(), scratch.size());
          if (tokens == 1 && threads > 1) {
            EXPECT_EQ(task.ranges, threads) << "decode over " << slots << " keys should split";
            EXPECT_EQ(task.items, threads);
          } else {
            EXPECT_LE(task.ranges, 1u);
            EXPECT_EQ(task.items, tokens);
          }
          for (size_t start = 0; start < task.items; start += task.tile)
            gemmac_attention_task_run(&task, start, std::min(task.tile, task.items - start));
          gemmac_attention_task_finish(&task);
          EXPECT_LT(relativeError(out, want, mag), kTolerance)
              << variant.name << " " << describe(s) << " tokens " << tokens << " threads " << threads;
        }
      }
    }
  }
}

// On the same (f16-rounded) rows an f16 pass computes what the f32 pass of its
// variant does: the inputs are identical once widened, so only f32 rounding
// may differ. Against the unrounded rows the difference is the cost of f16
// storage, printed for the record.
TEST(Attention, F16PassesEqualF32PassesOnRoundedRows) {
  for (const Variant& variant : variants()) {
    if (!variant.supported || !variant.f16) continue;
    uint32_t seed = 900;
    double worst = 0, storage = 0;
    for (const Shape& shape : kShapes) {
      for (auto [first, tokens] : {std::pair<int64_t, size_t>{0, 3}, {63, 2}, {299, 1}, {260, 40}}) {
        const size_t seq = static_cast<size_t>(first) + tokens;
        const size_t slots = shape.window > 0 ? static_cast<size_t>(shape.window) + tokens - 1 : seq;
        Session rounded(shape, seq, slots, seed, /*f16=*/true);
        Session exact(shape, seq, slots, seed++);
        std::vector<float> q = randomQueries(tokens * shape.heads * shape.dim, seed++);
        std::vector<float> f16(q.size()), f32(q.size());
        gemmac_attention_rows(variant.partial, &rounded.params, q.data(), tokens, first, rounded.k_cache16.data(),
                              rounded.v_cache16.data(), f16.data());
        gemmac_attention_rows(variant.f32_partial, &rounded.params, q.data(), tokens, first, rounded.k_cache.data(),
                              rounded.v_cache.data(), f32.data());
        std::vector<double> want, mag;
        rounded.reference(q, tokens, first, &want, &mag);
        const double difference = relativeError(f16, std::vector<double>(f32.begin(), f32.end()), mag);
        EXPECT_LT(difference, 1e-6) << variant.name << " " << describe(shape) << " first " << first;
        worst = std::max(worst, difference);
        exact.reference(q, tokens, first, &want, &mag);
        storage = std::max(storage, relativeError(f16, want, mag));
      }
    }
    std::printf("%s: max |f16 - f32 pass| %.2g, |f16 - double on f32 rows| %.2g (of each output's scale)\n",
                variant.name, worst, storage);
    // Rows rounded to 11 significant bits; scores up to 12 / sqrt(dim) q.k move the weights by more.
    EXPECT_LT(storage, 2e-2) << variant.name;
  }
}

// The store puts position p in row p % slots, f32 as is and f16 rounded to nearest even.
TEST(Attention, KvStoreWritesRingRowsOfEitherType) {
  const size_t row = 5, slots = 3, tokens = 4;
  std::vector<float> k(tokens * row), v(tokens * row);
  for (size_t i = 0; i < k.size(); ++i) {
    k[i] = 1.0f + static_cast<float>(i) * 0x1p-12f;  // between f16 neighbours: rounds
    v[i] = -65520.0f + static_cast<float>(i);        // ties to inf, then below it
  }
  std::vector<float> k32(slots * row, -1.0f), v32(slots * row, -1.0f);
  gemmac_kv_store_generic(GEMMAC_KV_F32, k.data(), v.data(), tokens, row, 7, slots, k32.data(), v32.data());
  std::vector<uint16_t> k16(slots * row), v16(slots * row);
  gemmac_kv_store_generic(GEMMAC_KV_F16, k.data(), v.data(), tokens, row, 7, slots, k16.data(), v16.data());
  for (size_t t = 0; t < tokens; ++t) {
    const size_t slot = (7 + t) % slots;  // positions 7..10: rows 1, 2, 0, 1 (the last overwrites the first)
    if (t == 0) continue;
    for (size_t i = 0; i < row; ++i) {
      EXPECT_EQ(k32[slot * row + i], k[t * row + i]);
      EXPECT_EQ(v32[slot * row + i], v[t * row + i]);
      EXPECT_EQ(k16[slot * row + i], gemmac_f32_to_f16_generic(k[t * row + i]));
      EXPECT_EQ(v16[slot * row + i], gemmac_f32_to_f16_generic(v[t * row + i]));
    }
  }
  EXPECT_EQ(gemmac_kv_element_bytes(GEMMAC_KV_F16), 2u);
  EXPECT_EQ(gemmac_kv_element_bytes(GEMMAC_KV_F32), 4u);
}

// Too little scratch, or too few keys, leaves decode unsplit.
TEST(Attention, TaskDoesNotSplitWithoutScratchOrKeys) {
  gemmac_attention_params params{4, 1, 256, 0.0625f, 0.0f, 0, 2048};
  float q[4 * 256] = {}, out[4 * 256];
  std::vector<float> cache(2048 * 256, 0.0f);
  std::vector<float> scratch(4 * gemmac_attention_range_floats(&params));
  gemmac_attention_task task;
  gemmac_attention_task_init(&task, gemmac_attention_partial_generic, &params, q, 1, 1000, cache.data(),
                             cache.data(), out, 4, scratch.data(), gemmac_attention_range_floats(&params));
  EXPECT_LE(task.ranges, 1u);
  gemmac_attention_task_init(&task, gemmac_attention_partial_generic, &params, q, 1, 10, cache.data(), cache.data(),
                             out, 4, scratch.data(), scratch.size());
  EXPECT_LE(task.ranges, 1u);
  gemmac_attention_task_init(&task, gemmac_attention_partial_generic, &params, q, 1, 1000, cache.data(),
                             cache.data(), out, 4, nullptr, 0);
  EXPECT_LE(task.ranges, 1u);
}

}  // namespace
