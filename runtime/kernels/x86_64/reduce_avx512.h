/* Horizontal sums of AVX-512 f32 accumulators, four at a time (shared by the
 * AVX-512 kernel files, each built with at least -mavx512f). */
#ifndef GEMMAC_KERNELS_X86_64_REDUCE_AVX512_H_
#define GEMMAC_KERNELS_X86_64_REDUCE_AVX512_H_

#include <immintrin.h>

/* [sum(a), sum(b), sum(c), sum(d)]. */
static inline __m128 reduce4(__m512 a, __m512 b, __m512 c, __m512 d) {
  const __m512 ab = _mm512_add_ps(_mm512_shuffle_f32x4(a, b, _MM_SHUFFLE(1, 0, 1, 0)),
                                  _mm512_shuffle_f32x4(a, b, _MM_SHUFFLE(3, 2, 3, 2)));
  const __m512 cd = _mm512_add_ps(_mm512_shuffle_f32x4(c, d, _MM_SHUFFLE(1, 0, 1, 0)),
                                  _mm512_shuffle_f32x4(c, d, _MM_SHUFFLE(3, 2, 3, 2)));
  /* 128-bit lane q holds four partial sums of a, b, c, d for q = 0..3. */
  __m512 v = _mm512_add_ps(_mm512_shuffle_f32x4(ab, cd, _MM_SHUFFLE(2, 0, 2, 0)),
                           _mm512_shuffle_f32x4(ab, cd, _MM_SHUFFLE(3, 1, 3, 1)));
  v = _mm512_add_ps(v, _mm512_permute_ps(v, _MM_SHUFFLE(2, 3, 0, 1)));
  v = _mm512_add_ps(v, _mm512_permute_ps(v, _MM_SHUFFLE(1, 0, 3, 2)));
  return _mm512_castps512_ps128(
      _mm512_permutexvar_ps(_mm512_setr_epi32(0, 4, 8, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), v));
}

/* sums[a] = the sum of the lanes of acc[a], a < count. */
static inline __attribute__((always_inline)) void reduce(const __m512* acc, size_t count, float* sums) {
  size_t a = 0;
#pragma clang loop unroll(full)
  for (; a + 4 <= count; a += 4) _mm_storeu_ps(sums + a, reduce4(acc[a], acc[a + 1], acc[a + 2], acc[a + 3]));
#pragma clang loop unroll(full)
  for (; a < count; ++a) sums[a] = _mm512_reduce_add_ps(acc[a]);
}

/* As reduce, but every sum by the same tree (reduce4's) whatever count and
 * its place: a kernel whose results must not depend on the tile a token
 * shares (int8 activations) uses this. sums has room for count rounded up to 4. */
static inline __attribute__((always_inline)) void reduce_alike(const __m512* acc, size_t count, float* sums) {
  const __m512 zero = _mm512_setzero_ps();
#pragma clang loop unroll(full)
  for (size_t a = 0; a < count; a += 4)
    _mm_storeu_ps(sums + a, reduce4(acc[a], a + 1 < count ? acc[a + 1] : zero, a + 2 < count ? acc[a + 2] : zero,
                                    a + 3 < count ? acc[a + 3] : zero));
}

#endif /* GEMMAC_KERNELS_X86_64_REDUCE_AVX512_H_ */
