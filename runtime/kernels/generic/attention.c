/* Causal grouped-query attention over a (possibly ring-buffer) KV cache: the
 * generic partial pass (the definition the x86_64/attention_* variants follow)
 * and the shared row / key-range / task bookkeeping every variant runs under. */
#include "kernels.h"

/* Keys scored per block: the scores of a block live on the stack; the online
 * softmax rescales the running sums once per block (not per key). */
enum { kBlock = 64 };

/* q . k in 8 independent partial sums (a fixed order any compiler may vectorize). */
static float dot(const float* a, const float* b, size_t n) {
  float lanes[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  size_t d = 0;
  for (; d + 8 <= n; d += 8)
    for (size_t l = 0; l < 8; ++l) lanes[l] += a[d + l] * b[d + l];
  float s = ((lanes[0] + lanes[4]) + (lanes[1] + lanes[5])) + ((lanes[2] + lanes[6]) + (lanes[3] + lanes[7]));
  for (; d < n; ++d) s += a[d] * b[d];
  return s;
}

void gemmac_attention_partial_generic(const gemmac_attention_params* params, size_t kv_head, const float* q, size_t n,
                                      int64_t key_begin, int64_t key_end, const float* k_cache, const float* v_cache,
                                      float* max, float* sum, float* acc) {
  const size_t dim = params->head_dim, stride = params->num_kv_heads * dim;
  const float cap = params->softcap;
  float scores[GEMMAC_ATTENTION_MAX_GROUP][kBlock];
  size_t row[2], count[2];
  gemmac_attention_ring_runs(params->slots, key_begin, key_end, row, count);
  for (int run = 0; run < 2; ++run)
    for (size_t j0 = 0; j0 < count[run]; j0 += kBlock) {
      const size_t keys = count[run] - j0 < kBlock ? count[run] - j0 : kBlock;
      const float* k = k_cache + (row[run] + j0) * stride + kv_head * dim;
      const float* v = v_cache + (row[run] + j0) * stride + kv_head * dim;
      for (size_t h = 0; h < n; ++h) {
        float* s = scores[h];
        float block_max = -__builtin_inff();
        for (size_t j = 0; j < keys; ++j) {
          float x = dot(q + h * dim, k + j * stride, dim) * params->scale;
          if (cap > 0.0f) x = cap * __builtin_tanhf(x / cap);
          s[j] = x;
          if (x > block_max) block_max = x;
        }
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
        const float* vj = v + j * stride;
        for (size_t h = 0; h < n; ++h) {
          const float p = scores[h][j];
          float* o = acc + h * dim;
          for (size_t d = 0; d < dim; ++d) o[d] += p * vj[d];
        }
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
                              const float* q, int64_t key_begin, int64_t key_end, const float* k_cache,
                              const float* v_cache, float* max, float* sum, float* acc) {
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
                           size_t tokens, int64_t first_position, const float* k_cache, const float* v_cache,
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
                            const float* q, int64_t position, size_t ranges, size_t range, const float* k_cache,
                            const float* v_cache, float* scratch) {
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
                                int64_t first_position, const float* k_cache, const float* v_cache, float* out,
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
