#include "executor.h"

#include <algorithm>
#include <exception>

#include "kernels.h"
#include "status.h"

namespace gemmac {

gemmac_status Executor::create(const Program& program, size_t max_context, size_t prefill_chunk,
                               size_t num_threads, std::unique_ptr<Executor>* out) {
  std::unique_ptr<Executor> executor(new Executor(program));
  try {
    for (size_t width : program.bufferWidths()) executor->buffers_.emplace_back(width * prefill_chunk);
    executor->norm_scratch_.resize(program.normScratchWidth() * prefill_chunk);
    GEMMAC_RETURN_IF_ERROR(
        createKvCaches(program.plan(), max_context, prefill_chunk, &executor->caches_, &executor->max_slots_));
  } catch (const std::exception&) {  // bad_alloc, or length_error for absurd sizes
    return makeStatus(GEMMAC_RESOURCE_EXHAUSTED,
                      "out of memory allocating activations and KV caches for a context of %zu", max_context);
  }
  executor->pool_ = pthreadpool_create(num_threads);
  if (!executor->pool_) return makeStatus(GEMMAC_RESOURCE_EXHAUSTED, "cannot create a pool of %zu threads", num_threads);
  try {
    executor->scores_.resize(pthreadpool_get_threads_count(executor->pool_) * executor->max_slots_);
  } catch (const std::exception&) {
    return makeStatus(GEMMAC_RESOURCE_EXHAUSTED, "out of memory allocating attention scratch");
  }
  *out = std::move(executor);
  return nullptr;
}

Executor::~Executor() {
  if (pool_) pthreadpool_destroy(pool_);
}

void embed(const TensorView& table, float scale, const int32_t* ids, size_t count, float* out) {
  const size_t rows = static_cast<size_t>(table.shape[0]), width = static_cast<size_t>(table.shape[1]);
  switch (table.dtype) {
    case schema::DType::F32:
      gemmac_embed_f32_generic(static_cast<const float*>(table.data), width, ids, count, scale, out);
      break;
    case schema::DType::BF16:
      gemmac_embed_bf16_generic(static_cast<const uint16_t*>(table.data), width, ids, count, scale, out);
      break;
    case schema::DType::Q8G32:
      gemmac_embed_q8g32_generic(static_cast<const uint8_t*>(table.data), rows, width, ids, count, scale, out);
      break;
    case schema::DType::Q4G32:
      gemmac_embed_q4g32_generic(static_cast<const uint8_t*>(table.data), rows, width, ids, count, scale, out);
      break;
  }
}

namespace {

// Query rows [start, start + count) of one attention op, as one pool task.
struct AttentionTask {
  gemmac_attention_params params;
  const float* q;
  float* out;
  size_t q_width;
  int64_t first_position;
  const float* keys;
  const float* values;
  float* scores;  // one row of max_slots floats per tile
  size_t max_slots;
  size_t tile;

  static void run(void* context, size_t start, size_t count) {
    const AttentionTask& task = *static_cast<const AttentionTask*>(context);
    gemmac_attention_generic(&task.params, task.q + start * task.q_width, count,
                             task.first_position + static_cast<int64_t>(start), task.keys, task.values,
                             task.scores + (start / task.tile) * task.max_slots, task.out + start * task.q_width);
  }
};

}  // namespace

gemmac_status Executor::runAttention(const schema::Op& op, size_t count, int64_t first_position) {
  const schema::AttentionOp& attention = *op.kind_as_AttentionOp();
  const auto& in = *op.inputs();
  KvCache& cache = caches_[attention.cache()];
  cache.write(buffer(in[1]), buffer(in[2]), count, first_position);
  AttentionTask task;
  task.params.num_heads = static_cast<size_t>(attention.num_heads());
  task.params.num_kv_heads = static_cast<size_t>(attention.num_kv_heads());
  task.params.head_dim = static_cast<size_t>(attention.head_dim());
  task.params.scale = attention.scale();
  task.params.softcap = attention.softcap();
  task.params.window = attention.window();
  task.params.slots = cache.slots();
  task.q = buffer(in[0]);
  task.out = buffer(op.outputs()->Get(0));
  task.q_width = width(in[0]);
  task.first_position = first_position;
  task.keys = cache.keys();
  task.values = cache.values();
  task.scores = scores_.data();
  task.max_slots = max_slots_;
  // One tile of query rows per thread; the caches are only read.
  const size_t threads = pthreadpool_get_threads_count(pool_);
  task.tile = (count + threads - 1) / threads;
  pthreadpool_parallelize_1d_tile_1d(pool_, &AttentionTask::run, &task, count, task.tile, 0);
  return nullptr;
}

gemmac_status Executor::step(const int32_t* ids, size_t count, int64_t first_position, size_t first_logit_row,
                             float* logits) {
  for (const PreparedOp& prepared : program_.ops()) {
    const schema::Op& op = *prepared.op;
    const auto& in = *op.inputs();
    const uint32_t out = op.outputs()->Get(0);
    switch (prepared.kind) {
      case schema::OpKind::EmbedOp: {
        embed(*prepared.table, op.kind_as_EmbedOp()->scale(), ids, count, buffer(out));
        break;
      }
      case schema::OpKind::RmsNormOp: {
        const schema::RmsNormOp& norm = *op.kind_as_RmsNormOp();
        gemmac_rms_norm_generic(buffer(in[0]), prepared.norm_weight.data(), count, width(out),
                                prepared.norm_weight.size(), norm.eps(), norm.unit_offset() ? 1.0f : 0.0f,
                                buffer(out));
        break;
      }
      case schema::OpKind::LinearOp:
        GEMMAC_RETURN_IF_ERROR(prepared.linear->run(buffer(in[0]), count, buffer(out), pool_));
        break;
      case schema::OpKind::RopeOp: {
        const schema::RopeOp& rope = *op.kind_as_RopeOp();
        gemmac_rope_generic(buffer(in[0]), count, width(out), static_cast<size_t>(rope.head_dim()), first_position,
                            rope.theta(), buffer(out));
        break;
      }
      case schema::OpKind::AttentionOp:
        GEMMAC_RETURN_IF_ERROR(runAttention(op, count, first_position));
        break;
      case schema::OpKind::GeluTanhOp:
        gemmac_gelu_tanh_generic(buffer(in[0]), count * width(out), buffer(out));
        break;
      case schema::OpKind::MulOp:
        gemmac_mul_generic(buffer(in[0]), buffer(in[1]), count * width(out), buffer(out));
        break;
      case schema::OpKind::AddOp:
        gemmac_add_generic(buffer(in[0]), buffer(in[1]), count * width(out), buffer(out));
        break;
      case schema::OpKind::LogitsOp: {
        if (!logits || first_logit_row >= count) break;
        const size_t rows = count - first_logit_row, vocab = width(out);
        GEMMAC_RETURN_IF_ERROR(
            prepared.linear->run(buffer(in[0]) + first_logit_row * width(in[0]), rows, logits, pool_));
        float softcap = op.kind_as_LogitsOp()->softcap();
        if (softcap > 0.0f) gemmac_softcap_generic(logits, rows * vocab, softcap);
        break;
      }
      default: {
        // The compiler's fused ops live in executor_fused.cpp.
        gemmac_status status = nullptr;
        if (!runFused(prepared, count, first_position, &status))
          return makeStatus(GEMMAC_INTERNAL, "op kind %d has no kernel", static_cast<int>(prepared.kind));
        GEMMAC_RETURN_IF_ERROR(status);
        break;
      }
    }
  }
  return nullptr;
}

}  // namespace gemmac
