/* Causal grouped-query attention over a (possibly ring-buffer) KV cache of f32
 * or f16 rows: the store of a step's rows, the generic partial pass (the
 * definition the x86_64/attention_* variants follow) and the shared row /
 * key-range / task bookkeeping every variant runs under. */
#include "kernels.h"

/* Keys scored per block: the scores of a block live on the stack; the online
 * softmax rescales the running sums once per block (not per key). A K/V row
 * is read kChunk elements at a time (a multiple of 8, the dot product's lanes). */
enum { kBlock = 64, kChunk = 64 };

#define ALWAYS_INLINE inline __attribute__((always_inline))

/* The address of element i of a cache of f32 or f16 elements. */
static ALWAYS_INLINE const void* element_at(const void* cache, size_t i, const int f16) {
  return (const char*)cache + i * (f16 ? sizeof(uint16_t) : sizeof(float));
}

/* Elements [d, d + count) of a K/V row as f32 (count <= kChunk): the f32 row
 * itself, or the f16 one widened into buf. The one place the generic pass
 * reads the cache, so both element types share all the arithmetic, and a row
 * is widened once for all the heads that read it. */
static ALWAYS_INLINE const float* load_row(const void* row, size_t d, size_t count, float* buf, const int f16) {
  if (!f16) return (const float*)row + d;
  const uint16_t* h = (const uint16_t*)row + d;
  for (size_t i = 0; i < count; ++i) buf[i] = gemmac_f16_to_f32(h[i]);
  return buf;
}

/* scores[h][j] = softcap(scale * q_h . k) for the n heads q[n][dim], each dot
 * product in 8 independent partial sums (a fixed order any compiler may
 * vectorize) and then the elements past the last multiple of 8. */
static ALWAYS_INLINE void score_key(const gemmac_attention_params* params, const float* q, size_t n, const void* k,
                                    float scores[][kBlock], size_t j, const int f16) {
  const size_t dim = params->head_dim, whole = dim & ~(size_t)7;
  float lanes[GEMMAC_ATTENTION_MAX_GROUP][8], buf[kChunk];
  for (size_t h = 0; h < n; ++h)
    for (size_t l = 0; l < 8; ++l) lanes[h][l] = 0.0f;
  const float* kd = NULL;
  size_t d0 = 0;
  for (; d0 < dim; d0 += kChunk) {
    const size_t count = dim - d0 < kChunk ? dim - d0 : kChunk;
    kd = load_row(k, d0, count, buf, f16);
    for (size_t h = 0; h < n; ++h)
      for (size_t d = 0; d + 8 <= count; d += 8)
        for (size_t l = 0; l < 8; ++l) lanes[h][l] += q[h * dim + d0 + d + l] * kd[d + l];
  }
  d0 -= kChunk; /* the last chunk, which holds any elements past `whole` */
  for (size_t h = 0; h < n; ++h) {
    const float* a = lanes[h];
    float s = ((a[0] + a[4]) + (a[1] + a[5])) + ((a[2] + a[6]) + (a[3] + a[7]));
    for (size_t d = whole; d < dim; ++d) s += q[h * dim + d] * kd[d - d0];
    float x = s * params->scale;
    if (params->softcap > 0.0f) x = params->softcap * __builtin_tanhf(x / params->softcap);
    scores[h][j] = x;
  }
}

static ALWAYS_INLINE void partial(const gemmac_attention_params* params, size_t kv_head, const float* q, size_t n,
                                  int64_t key_begin, int64_t key_end, const void* k_cache, const void* v_cache,
                                  float* max, float* sum, float* acc, const int f16) {
  const size_t dim = params->head_dim, stride = params->num_kv_heads * dim;
  float scores[GEMMAC_ATTENTION_MAX_GROUP][kBlock], buf[kChunk];
  size_t row[2], count[2];
  gemmac_attention_ring_runs(params->slots, key_begin, key_end, row, count);
  for (int run = 0; run < 2; ++run)
    for (size_t j0 = 0; j0 < count[run]; j0 += kBlock) {
      const size_t keys = count[run] - j0 < kBlock ? count[run] - j0 : kBlock;
      const void* k = element_at(k_cache, (row[run] + j0) * stride + kv_head * dim, f16);
      const void* v = element_at(v_cache, (row[run] + j0) * stride + kv_head * dim, f16);
      /* Each key row is read once for all n heads. */
      for (size_t j = 0; j < keys; ++j) score_key(params, q, n, element_at(k, j * stride, f16), scores, j, f16);
      for (size_t h = 0; h < n; ++h) {
        float* s = scores[h];
        float block_max = -__builtin_inff();
        for (size_t j = 0; j < keys; ++j)
          if (s[j] > block_max) block_max = s[j];
        /* Online softmax: a larger maximum rescales what was summed so far. */
        if (block_max > max[h]) {
          if (max[h] > -__builtin_inff()) {
            const float c = __builtin_expf(max[h] - block_max);
            sum[h] *= c;
            for (size_t d = 0; d < dim; ++d) acc[h * dim + d] *= c;
          }
          max[h] = block_max;
        }
        float block_sum = 0.0f;
        for (size_t j = 0; j < keys; ++j) {
          s[j] = __builtin_expf(s[j] - max[h]);
          block_sum += s[j];
        }
        sum[h] += block_sum;
      }
      /* Each value row is read once for all n heads. */
      for (size_t j = 0; j < keys; ++j) {
        const void* vj = element_at(v, j * stride, f16);
        for (size_t d0 = 0; d0 < dim; d0 += kChunk) {
          const size_t width = dim - d0 < kChunk ? dim - d0 : kChunk;
          const float* vd = load_row(vj, d0, width, buf, f16);
          for (size_t h = 0; h < n; ++h) {
            const float p = scores[h][j];
            float* o = acc + h * dim + d0;
            for (size_t d = 0; d < width; ++d) o[d] += p * vd[d];
          }
        }
      }
    }
}

void gemmac_attention_partial_generic(const gemmac_attention_params* params, size_t kv_head, const float* q, size_t n,
                                      int64_t key_begin, int64_t key_end, const void* k_cache, const void* v_cache,
                                      float* max, float* sum, float* acc) {
  partial(params, kv_head, q, n, key_begin, key_end, k_cache, v_cache, max, sum, acc, 0);
}

void gemmac_attention_partial_f16_generic(const gemmac_attention_params* params, size_t kv_head, const float* q,
                                          size_t n, int64_t key_begin, int64_t key_end, const void* k_cache,
                                          const void* v_cache, float* max, float* sum, float* acc) {
  partial(params, kv_head, q, n, key_begin, key_end, k_cache, v_cache, max, sum, acc, 1);
}

void gemmac_kv_store_generic(gemmac_kv_type type, const float* k, const float* v, size_t tokens, size_t row,
                             int64_t first_position, size_t slots, void* k_cache, void* v_cache) {
  const size_t bytes = gemmac_kv_element_bytes(type);
  for (size_t t = 0; t < tokens; ++t) {
    const size_t slot = (size_t)(first_position + (int64_t)t) % slots;
    char* k_row = (char*)k_cache + slot * row * bytes;
    char* v_row = (char*)v_cache + slot * row * bytes;
    if (type == GEMMAC_KV_F16) {
      for (size_t i = 0; i < row; ++i) ((uint16_t*)k_row)[i] = gemmac_f32_to_f16(k[t * row + i]);
      for (size_t i = 0; i < row; ++i) ((uint16_t*)v_row)[i] = gemmac_f32_to_f16(v[t * row + i]);
    } else {
      __builtin_memcpy(k_row, k + t * row, row * sizeof(float));
      __builtin_memcpy(v_row, v + t * row, row * sizeof(float));
    }
  }
}

void gemmac_attention_start(size_t n, size_t head_dim, float* max, float* sum, float* acc) {
  for (size_t h = 0; h < n; ++h) {
    max[h] = -__builtin_inff();
    sum[h] = 0.0f;
  }
  for (size_t i = 0; i < n * head_dim; ++i) acc[i] = 0.0f;
}

/* Calls `partial` for every KV head and every group of at most
 * GEMMAC_ATTENTION_MAX_GROUP of its query heads; max/sum/acc are indexed by
 * query head. */
static void partial_all_heads(gemmac_attention_partial_fn partial, const gemmac_attention_params* params,
                              const float* q, int64_t key_begin, int64_t key_end, const void* k_cache,
                              const void* v_cache, float* max, float* sum, float* acc) {
  const size_t dim = params->head_dim, group = params->num_heads / params->num_kv_heads;
  for (size_t kv = 0; kv < params->num_kv_heads; ++kv)
    for (size_t h0 = 0; h0 < group; h0 += GEMMAC_ATTENTION_MAX_GROUP) {
      const size_t n = group - h0 < GEMMAC_ATTENTION_MAX_GROUP ? group - h0 : GEMMAC_ATTENTION_MAX_GROUP;
      const size_t h = kv * group + h0;
      partial(params, kv, q + h * dim, n, key_begin, key_end, k_cache, v_cache, max + h, sum + h, acc + h * dim);
    }
}

/* Query rows per tile, and the key chunk a tile visits before the next: the
 * K and V rows of one KV head in a chunk take about 256 KiB, so the rows of a
 * tile after the first read the chunk from L2 (Zen 4/5, Skylake-SP and later
 * have >= 1 MiB per core). */
enum { kRowTile = 16, kChunkBytes = 256 * 1024 };

void gemmac_attention_rows(gemmac_attention_partial_fn partial, const gemmac_attention_params* params, const float* q,
                           size_t tokens, int64_t first_position, const void* k_cache, const void* v_cache,
                           float* out) {
  const size_t dim = params->head_dim, group = params->num_heads / params->num_kv_heads;
  const size_t width = params->num_heads * dim;
  int64_t chunk = (int64_t)(kChunkBytes / (2 * dim * sizeof(float)));
  if (chunk < 64) chunk = 64;
  float max[kRowTile][GEMMAC_ATTENTION_MAX_GROUP], sum[kRowTile][GEMMAC_ATTENTION_MAX_GROUP];
  for (size_t t0 = 0; t0 < tokens; t0 += kRowTile) {
    const size_t rows = tokens - t0 < kRowTile ? tokens - t0 : kRowTile;
    const int64_t first = first_position + (int64_t)t0, last = first + (int64_t)rows - 1;
    /* One row: nothing to share, so no chunks (one pass over its keys). */
    const int64_t step = rows == 1 ? last + 1 : chunk;
    for (size_t kv = 0; kv < params->num_kv_heads; ++kv)
      for (size_t h0 = 0; h0 < group; h0 += GEMMAC_ATTENTION_MAX_GROUP) {
        const size_t n = group - h0 < GEMMAC_ATTENTION_MAX_GROUP ? group - h0 : GEMMAC_ATTENTION_MAX_GROUP;
        const size_t head = kv * group + h0;
        /* The unnormalized sums go straight to the output rows. */
        for (size_t r = 0; r < rows; ++r)
          gemmac_attention_start(n, dim, max[r], sum[r], out + (t0 + r) * width + head * dim);
        for (int64_t c = gemmac_attention_first_key(params, first); c <= last; c += step)
          for (size_t r = 0; r < rows; ++r) {
            const int64_t position = first + (int64_t)r, row_first = gemmac_attention_first_key(params, position);
            const int64_t begin = c > row_first ? c : row_first;
            const int64_t end = c + step < position + 1 ? c + step : position + 1;
            if (begin < end)
              partial(params, kv, q + (t0 + r) * width + head * dim, n, begin, end, k_cache, v_cache, max[r], sum[r],
                      out + (t0 + r) * width + head * dim);
          }
        for (size_t r = 0; r < rows; ++r)
          for (size_t i = 0; i < n; ++i) {
            float* o = out + (t0 + r) * width + (head + i) * dim;
            const float inv = 1.0f / sum[r][i]; /* >= 1: the maximum's own term */
            for (size_t d = 0; d < dim; ++d) o[d] *= inv;
          }
      }
  }
}

void gemmac_attention_generic(const gemmac_attention_params* params, const float* q, size_t tokens,
                              int64_t first_position, const float* k_cache, const float* v_cache, float* scores,
                              float* out) {
  (void)scores;
  gemmac_attention_rows(gemmac_attention_partial_generic, params, q, tokens, first_position, k_cache, v_cache, out);
}

void gemmac_attention_split(gemmac_attention_partial_fn partial, const gemmac_attention_params* params,
                            const float* q, int64_t position, size_t ranges, size_t range, const void* k_cache,
                            const void* v_cache, float* scratch) {
  const int64_t first_key = gemmac_attention_first_key(params, position);
  const size_t keys = (size_t)(position + 1 - first_key);
  /* Ranges of equal length, a multiple of 16 keys so that vector tiles stay full. */
  size_t per = (keys + ranges - 1) / ranges;
  per = (per + 15) / 16 * 16;
  const size_t begin = range * per < keys ? range * per : keys;
  const size_t end = begin + per < keys ? begin + per : keys;
  const size_t heads = params->num_heads;
  float* base = scratch + range * gemmac_attention_range_floats(params);
  gemmac_attention_start(heads, params->head_dim, base, base + heads, base + 2 * heads);
  partial_all_heads(partial, params, q, first_key + (int64_t)begin, first_key + (int64_t)end, k_cache, v_cache,
                    base, base + heads, base + 2 * heads);
}

void gemmac_attention_merge(const gemmac_attention_params* params, size_t ranges, const float* scratch, float* out) {
  const size_t heads = params->num_heads, dim = params->head_dim;
  const size_t stride = gemmac_attention_range_floats(params);
  for (size_t h = 0; h < heads; ++h) {
    float max = -__builtin_inff();
    for (size_t r = 0; r < ranges; ++r)
      if (scratch[r * stride + h] > max) max = scratch[r * stride + h];
    /* Weights exp(max_r - max): 0 for an empty range (max_r = -inf). */
    float weight[16], total = 0.0f;
    float* o = out + h * dim;
    for (size_t d = 0; d < dim; ++d) o[d] = 0.0f;
    for (size_t r0 = 0; r0 < ranges; r0 += 16) {
      const size_t count = ranges - r0 < 16 ? ranges - r0 : 16;
      for (size_t i = 0; i < count; ++i) {
        const float* base = scratch + (r0 + i) * stride;
        weight[i] = base[h] > -__builtin_inff() ? __builtin_expf(base[h] - max) : 0.0f;
        total += weight[i] * base[heads + h];
      }
      for (size_t i = 0; i < count; ++i) {
        const float* acc = scratch + (r0 + i) * stride + 2 * heads + h * dim;
        for (size_t d = 0; d < dim; ++d) o[d] += weight[i] * acc[d];
      }
    }
    const float inv = 1.0f / total;
    for (size_t d = 0; d < dim; ++d) o[d] *= inv;
  }
}

void gemmac_attention_task_init(gemmac_attention_task* task, gemmac_attention_partial_fn partial,
                                const gemmac_attention_params* params, const float* q, size_t tokens,
                                int64_t first_position, const void* k_cache, const void* v_cache, float* out,
                                size_t threads, float* scratch, size_t scratch_floats) {
  task->params = *params;
  task->partial = partial;
  task->q = q;
  task->out = out;
  task->tokens = tokens;
  task->first_position = first_position;
  task->k_cache = k_cache;
  task->v_cache = v_cache;
  task->scratch = scratch;
  task->ranges = 0;
  if (threads < 1) threads = 1;
  if (tokens == 1 && threads > 1 && scratch) {
    /* Decode: one query, its keys split across the threads (flash-decoding). */
    const size_t keys = (size_t)(first_position + 1 - gemmac_attention_first_key(params, first_position));
    size_t ranges = threads;
    if (ranges > keys / GEMMAC_ATTENTION_MIN_RANGE_KEYS) ranges = keys / GEMMAC_ATTENTION_MIN_RANGE_KEYS;
    if (ranges > scratch_floats / gemmac_attention_range_floats(params))
      ranges = scratch_floats / gemmac_attention_range_floats(params);
    if (ranges > 1) {
      task->ranges = ranges;
      task->items = ranges;
      task->tile = 1;
      return;
    }
  }
  /* Query rows: later rows see more keys, so several tiles per thread let
   * the pool balance them. */
  task->items = tokens;
  task->tile = threads == 1 ? tokens : (tokens + 4 * threads - 1) / (4 * threads);
  if (task->tile == 0) task->tile = 1;
}

void gemmac_attention_task_run(void* context, size_t start, size_t count) {
  const gemmac_attention_task* task = (const gemmac_attention_task*)context;
  if (task->ranges > 1) {
    for (size_t r = start; r < start + count; ++r)
      gemmac_attention_split(task->partial, &task->params, task->q, task->first_position, task->ranges, r,
                             task->k_cache, task->v_cache, task->scratch);
    return;
  }
  const size_t width = task->params.num_heads * task->params.head_dim;
  gemmac_attention_rows(task->partial, &task->params, task->q + start * width, count,
                        task->first_position + (int64_t)start, task->k_cache, task->v_cache,
                        task->out + start * width);
}

void gemmac_attention_task_finish(const gemmac_attention_task* task) {
  if (task->ranges > 1) gemmac_attention_merge(&task->params, task->ranges, task->scratch, task->out);
}
