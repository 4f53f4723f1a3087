#include "exec/executor.h"

#include <algorithm>
#include <exception>

#include "api/status.h"
#include "exec/kernel_select.h"
#include "kernels.h"

namespace gemmac {

gemmac_status Executor::create(const Program& program, size_t max_context, size_t prefill_chunk,
                               size_t num_threads, gemmac_kv_type kv_type, std::unique_ptr<Executor>* out,
                               std::vector<KvCache>* shared_caches) {
  std::unique_ptr<Executor> executor;
  GEMMAC_RETURN_IF_ERROR(createBuffers(program, prefill_chunk, num_threads, &executor));
  if (shared_caches) {
    executor->caches_ = shared_caches;
  } else {
    try {
      GEMMAC_RETURN_IF_ERROR(createKvCaches(program.plan(), max_context, prefill_chunk, kv_type,
                                            &executor->own_caches_, &executor->max_slots_));
    } catch (const std::exception&) {  // bad_alloc, or length_error for absurd sizes
      return makeStatus(GEMMAC_RESOURCE_EXHAUSTED, "out of memory allocating KV caches for a context of %zu",
                        max_context);
    }
  }
  *out = std::move(executor);
  return nullptr;
}

gemmac_status Executor::createForBatch(const Program& program, size_t max_rows, size_t num_threads,
                                       std::unique_ptr<Executor>* out) {
  return createBuffers(program, max_rows, num_threads, out);
}

gemmac_status Executor::createBuffers(const Program& program, size_t max_rows, size_t num_threads,
                                      std::unique_ptr<Executor>* out) {
  std::unique_ptr<Executor> executor(new Executor(program));
  try {
    for (size_t width : program.bufferWidths()) executor->buffers_.emplace_back(width * max_rows);
    executor->norm_scratch_.resize(program.normScratchWidth() * max_rows);
    executor->row_range_.resize(max_rows);
    for (size_t row = 0; row < max_rows; ++row) executor->row_range_[row] = row;
    // RoPE angles: one table of cos/sin rows per (theta, head_dim), rebuilt
    // for each step's positions and shared by every layer's q and k.
    for (const PreparedOp& prepared : program.ops()) {
      float theta = 0.0f;
      size_t head_dim = 0;
      if (prepared.kind == schema::OpKind::RopeOp) {
        theta = prepared.op->kind_as_RopeOp()->theta();
        head_dim = static_cast<size_t>(prepared.op->kind_as_RopeOp()->head_dim());
      } else if (prepared.kind == schema::OpKind::RmsNormRopeOp) {
        theta = prepared.op->kind_as_RmsNormRopeOp()->theta();
        head_dim = static_cast<size_t>(prepared.op->kind_as_RmsNormRopeOp()->head_dim());
      } else {
        if (prepared.kind == schema::OpKind::LogitsOp)
          executor->gather_.resize(executor->width(prepared.op->inputs()->Get(0)) * max_rows);
        continue;
      }
      if (!executor->ropeRows(theta, head_dim))
        executor->rope_tables_.push_back({theta, head_dim, std::vector<float>(max_rows * head_dim)});
    }
  } catch (const std::exception&) {  // bad_alloc, or length_error for absurd sizes
    return makeStatus(GEMMAC_RESOURCE_EXHAUSTED, "out of memory allocating activations for steps of %zu tokens",
                      max_rows);
  }
  executor->pool_ = pthreadpool_create(num_threads);
  if (!executor->pool_) return makeStatus(GEMMAC_RESOURCE_EXHAUSTED, "cannot create a pool of %zu threads", num_threads);
  try {
    // Decode splits one query's keys into a range per thread; each range keeps
    // its partial results (gemmac_attention_range_floats) until the merge.
    size_t range_floats = 0;
    for (const PreparedOp& prepared : program.ops())
      if (prepared.kind == schema::OpKind::AttentionOp) {
        const schema::AttentionOp& attention = *prepared.op->kind_as_AttentionOp();
        range_floats = std::max(range_floats, static_cast<size_t>(attention.num_heads()) *
                                                  (static_cast<size_t>(attention.head_dim()) + 2));
      }
    executor->sequence_scores_ = pthreadpool_get_threads_count(executor->pool_) * range_floats;
    executor->scores_.resize(executor->sequence_scores_);
    executor->attention_tasks_.resize(1);
    executor->attention_units_.resize(1);
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

/// The work units of one attention op over a step's sequences: unit u is a
/// tile of the task of the first sequence s with u < ends[s].
struct AttentionUnits {
  const gemmac_attention_task* tasks;
  const size_t* ends;
  size_t count;
};

void runAttentionUnit(void* context, size_t unit) {
  const AttentionUnits& units = *static_cast<const AttentionUnits*>(context);
  const size_t s = static_cast<size_t>(std::upper_bound(units.ends, units.ends + units.count, unit) - units.ends);
  const gemmac_attention_task& task = units.tasks[s];
  const size_t start = (unit - (s == 0 ? 0 : units.ends[s - 1])) * task.tile;
  gemmac_attention_task_run(const_cast<gemmac_attention_task*>(&task), start, std::min(task.tile, task.items - start));
}

}  // namespace

gemmac_status Executor::runAttention(const schema::Op& op, const Sequence* sequences, size_t sequence_count) {
  const schema::AttentionOp& attention = *op.kind_as_AttentionOp();
  const auto& in = *op.inputs();
  const uint32_t out = op.outputs()->Get(0);
  gemmac_attention_params params;
  params.num_heads = static_cast<size_t>(attention.num_heads());
  params.num_kv_heads = static_cast<size_t>(attention.num_kv_heads());
  params.head_dim = static_cast<size_t>(attention.head_dim());
  params.scale = attention.scale();
  params.softcap = attention.softcap();
  params.window = attention.window();
  // Each sequence's task is split as if it ran alone (decode: its keys in a
  // range per thread, merged after; prefill: tiles of query rows), so that its
  // results do not depend on the others; the tiles of all of them then share
  // one parallel loop (one per sequence left the threads waking for a few
  // keys each, a tenth of a 16-sequence step). The caches are only read.
  const size_t threads = pthreadpool_get_threads_count(pool_);
  // A batch step's sequences beyond those seen before: their tasks and scratch
  // grow here (a bad_alloc becomes the step's status), not at creation for
  // every possible sequence (one a row: max_rows copies).
  if (attention_tasks_.size() < sequence_count) {
    scores_.resize(sequence_count * sequence_scores_);
    attention_tasks_.resize(sequence_count);
    attention_units_.resize(sequence_count);
  }
  const size_t scratch = sequence_scores_;
  size_t units = 0;
  for (size_t s = 0, first_row = 0; s < sequence_count; first_row += sequences[s++].count) {
    const Sequence& sequence = sequences[s];
    KvCache& cache = (*sequence.caches)[attention.cache()];
    cache.write(buffer(in[1]) + first_row * width(in[1]), buffer(in[2]) + first_row * width(in[2]), sequence.count,
                sequence.first_position);
    params.slots = cache.slots();
    gemmac_attention_task& task = attention_tasks_[s];
    gemmac_attention_task_init(&task, selectAttentionKernel(cache.type()), &params,
                               buffer(in[0]) + first_row * width(in[0]), sequence.count, sequence.first_position,
                               cache.keys(), cache.values(), buffer(out) + first_row * width(out), threads,
                               scores_.data() + s * scratch, scratch);
    units += (task.items + task.tile - 1) / task.tile;
    attention_units_[s] = units;
  }
  AttentionUnits context = {attention_tasks_.data(), attention_units_.data(), sequence_count};
  pthreadpool_parallelize_1d(pool_, &runAttentionUnit, &context, units, 0);
  for (size_t s = 0; s < sequence_count; ++s) gemmac_attention_task_finish(&attention_tasks_[s]);
  return nullptr;
}

const float* Executor::ropeRows(float theta, size_t head_dim) const {
  for (const RopeTable& table : rope_tables_)
    if (table.theta == theta && table.head_dim == head_dim) return table.rows.data();
  return nullptr;
}

gemmac_status Executor::step(const int32_t* ids, size_t count, int64_t first_position, size_t first_logit_row,
                             float* logits) {
  return runOne(ids, count, first_position, first_logit_row, logits, nullptr);
}

gemmac_status Executor::stepHidden(const int32_t* ids, size_t count, int64_t first_position, size_t first_row,
                                   float* hidden) {
  return runOne(ids, count, first_position, first_row, nullptr, hidden);
}

gemmac_status Executor::runOne(const int32_t* ids, size_t count, int64_t first_position, size_t first_row,
                               float* logits, float* hidden) {
  const Sequence sequence = {caches_, count, first_position};
  const size_t outputs = first_row < count ? count - first_row : 0;
  return run(ids, &sequence, 1, row_range_.data() + first_row, outputs, logits, hidden);
}

gemmac_status Executor::stepBatch(const int32_t* ids, const Sequence* sequences, size_t sequence_count,
                                  const size_t* logit_rows, size_t logit_row_count, float* logits) {
  return run(ids, sequences, sequence_count, logit_rows, logit_row_count, logits, nullptr);
}

const float* Executor::outputRows(const float* final, size_t width, const size_t* rows, size_t count) {
  if (count == 0 || rows[count - 1] - rows[0] == count - 1) return final + rows[0] * width;
  for (size_t i = 0; i < count; ++i) std::copy_n(final + rows[i] * width, width, gather_.data() + i * width);
  return gather_.data();
}

gemmac_status Executor::run(const int32_t* ids, const Sequence* sequences, size_t sequence_count,
                            const size_t* output_rows, size_t output_row_count, float* logits, float* hidden) {
  size_t count = 0;
  for (size_t s = 0; s < sequence_count; ++s) {
    for (RopeTable& table : rope_tables_)
      gemmac_rope_build_table_generic(table.theta, table.head_dim, sequences[s].first_position, sequences[s].count,
                                      table.rows.data() + count * table.head_dim);
    count += sequences[s].count;
  }
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
        GEMMAC_RETURN_IF_ERROR(prepared.linear->run(buffer(in[0]), count, buffer(out), pool_, activations_));
        break;
      case schema::OpKind::RopeOp: {
        const schema::RopeOp& rope = *op.kind_as_RopeOp();
        const size_t head_dim = static_cast<size_t>(rope.head_dim());
        gemmac_rope_table_generic(buffer(in[0]), count, width(out), head_dim, ropeRows(rope.theta(), head_dim),
                                  buffer(out));
        break;
      }
      case schema::OpKind::AttentionOp:
        GEMMAC_RETURN_IF_ERROR(runAttention(op, sequences, sequence_count));
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
        if (output_row_count == 0 || (!logits && !hidden)) break;
        const size_t hidden_width = width(in[0]);
        const float* rows = outputRows(buffer(in[0]), hidden_width, output_rows, output_row_count);
        if (hidden) std::copy_n(rows, output_row_count * hidden_width, hidden);
        if (!logits) break;
        GEMMAC_RETURN_IF_ERROR(prepared.linear->run(rows, output_row_count, logits, pool_, activations_));
        const float softcap = op.kind_as_LogitsOp()->softcap();
        if (softcap > 0.0f) gemmac_softcap_generic(logits, output_row_count * width(out), softcap);
        break;
      }
      default: {
        // The compiler's fused ops live in executor_fused.cpp.
        gemmac_status status = nullptr;
        if (!runFused(prepared, count, &status))
          return makeStatus(GEMMAC_INTERNAL, "op kind %d has no kernel", static_cast<int>(prepared.kind));
        GEMMAC_RETURN_IF_ERROR(status);
        break;
      }
    }
  }
  return nullptr;
}

}  // namespace gemmac
