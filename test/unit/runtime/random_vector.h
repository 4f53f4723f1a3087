// Seeded normal random test data for the kernel tests.
#ifndef GEMMAC_TEST_UNIT_RUNTIME_RANDOM_VECTOR_H_
#define GEMMAC_TEST_UNIT_RUNTIME_RANDOM_VECTOR_H_

#include <cstddef>
#include <cstdint>
#include <random>
#include <vector>

inline std::vector<float> randomVector(size_t n, uint32_t seed, float stddev = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, stddev);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

#endif  // GEMMAC_TEST_UNIT_RUNTIME_RANDOM_VECTOR_H_
