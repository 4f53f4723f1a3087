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
    size_t max_slots = 0;
    if (program.plan().kv_caches())
      for (const schema::KvCache* spec : *program.plan().kv_caches()) {
        executor->caches_.emplace_back(*spec, max_context, prefill_chunk);
        max_slots = std::max(max_slots, executor->caches_.back().slots());
      }
    executor->scores_.resize(max_slots);
  } catch (const std::exception&) {  // bad_alloc, or length_error for absurd sizes
    return makeStatus(GEMMAC_RESOURCE_EXHAUSTED,
                      "out of memory allocating activations and KV caches for a context of %zu", max_context);
  }
  executor->pool_ = pthreadpool_create(num_threads);
  if (!executor->pool_) return makeStatus(GEMMAC_RESOURCE_EXHAUSTED, "cannot create a pool of %zu threads", num_threads);
  *out = std::move(executor);
  return nullptr;
}

Executor::~Executor() {
  if (pool_) pthreadpool_destroy(pool_);
}

gemmac_status Executor::runAttention(const schema::Op& op, size_t count, int64_t first_position) {
  const schema::AttentionOp& attention = *op.kind_as_AttentionOp();
  const auto& in = *op.inputs();
  KvCache& cache = caches_[attention.cache()];
  cache.write(buffer(in[1]), buffer(in[2]), count, first_position);
  gemmac_attention_params params;
  params.num_heads = static_cast<size_t>(attention.num_heads());
  params.num_kv_heads = static_cast<size_t>(attention.num_kv_heads());
  params.head_dim = static_cast<size_t>(attention.head_dim());
  params.scale = attention.scale();
  params.softcap = attention.softcap();
  params.window = attention.window();
  params.slots = cache.slots();
  gemmac_attention_generic(&params, buffer(in[0]), count, first_position, cache.keys(), cache.values(),
                           scores_.data(), buffer(op.outputs()->Get(0)));
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
        const TensorView& table = *prepared.table;
        float scale = op.kind_as_EmbedOp()->scale();
        if (table.dtype == schema::DType::BF16)
          gemmac_embed_bf16_generic(static_cast<const uint16_t*>(table.data), width(out), ids, count, scale,
                                    buffer(out));
        else
          gemmac_embed_f32_generic(static_cast<const float*>(table.data), width(out), ids, count, scale,
                                   buffer(out));
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
      default:
        return makeStatus(GEMMAC_INTERNAL, "op kind %d has no kernel", static_cast<int>(prepared.kind));
    }
  }
  return nullptr;
}

}  // namespace gemmac
