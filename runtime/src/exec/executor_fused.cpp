// The compiler's fused ops (gemma-fuse-* passes), executed by composing the
// generic kernels: each fused op saves a round trip of its intermediate
// through a plan value; a compiled (EmitC) forward pass can do better.
#include <algorithm>

#include "api/status.h"
#include "exec/executor.h"
#include "kernels.h"

namespace gemmac {

namespace {

/// gelu_tanh(gate) * up over element ranges of the pool's threads: elementwise,
/// so the same bits however it is split.
struct GeluTanhMulTask {
  const float* gate;
  const float* up;
  float* out;
};

void runGeluTanhMulTile(void* context, size_t start, size_t count) {
  const GeluTanhMulTask& task = *static_cast<const GeluTanhMulTask*>(context);
  gemmac_gelu_tanh_mul_generic(task.gate + start, task.up + start, count, task.out + start);
}

/// Below this many elements one thread is quicker than waking the others
/// (a decode row is 2048; a 16-row batch step's were a twentieth of the step
/// on one thread).
constexpr size_t kParallelGeluElements = 16384;

}  // namespace

bool Executor::runFused(const PreparedOp& prepared, size_t count, gemmac_status* status) {
  const schema::Op& op = *prepared.op;
  const auto& in = *op.inputs();
  const auto& out = *op.outputs();
  switch (prepared.kind) {
    case schema::OpKind::FusedLinearOp: {
      const schema::FusedLinearOp& fused = *op.kind_as_FusedLinearOp();
      const float* x = buffer(in[0]);
      if (fused.has_norm()) {
        // The normalized input is read by every linear, so it is kept once.
        gemmac_rms_norm_generic(x, prepared.norm_weight.data(), count, width(in[0]), prepared.norm_weight.size(),
                                fused.norm_eps(), fused.norm_unit_offset() ? 1.0f : 0.0f, norm_scratch_.data());
        x = norm_scratch_.data();
      }
      // In groups of up to Linear::kMaxFused products (q/k/v: one group).
      for (size_t first = 0; first < prepared.linears.size() && !*status; first += Linear::kMaxFused) {
        const Linear* linears[Linear::kMaxFused];
        float* outs[Linear::kMaxFused];
        const size_t n = std::min(Linear::kMaxFused, prepared.linears.size() - first);
        for (size_t i = 0; i < n; ++i) {
          linears[i] = prepared.linears[first + i].get();
          outs[i] = buffer(out[static_cast<uint32_t>(first + i)]);
        }
        *status = Linear::runAll(linears, outs, n, x, count, pool_, activations_);
      }
      return true;
    }
    case schema::OpKind::GeluTanhMulOp: {
      const size_t elements = count * width(out[0]);
      GeluTanhMulTask task = {buffer(in[0]), buffer(in[1]), buffer(out[0])};
      const size_t threads = elements < kParallelGeluElements ? 1 : pthreadpool_get_threads_count(pool_);
      pthreadpool_parallelize_1d_tile_1d(threads > 1 ? pool_ : nullptr, &runGeluTanhMulTile, &task, elements,
                                         (elements + threads - 1) / threads, 0);
      return true;
    }
    case schema::OpKind::AddRmsNormOp: {
      const schema::AddRmsNormOp& add_norm = *op.kind_as_AddRmsNormOp();
      gemmac_add_rms_norm_generic(buffer(in[0]), buffer(in[1]), prepared.norm_weight.data(), count, width(out[0]),
                                  prepared.norm_weight.size(), add_norm.eps(), add_norm.unit_offset() ? 1.0f : 0.0f,
                                  buffer(out[0]), buffer(out[1]));
      return true;
    }
    case schema::OpKind::RmsNormRopeOp: {
      const schema::RmsNormRopeOp& norm_rope = *op.kind_as_RmsNormRopeOp();
      float* result = buffer(out[0]);
      gemmac_rms_norm_generic(buffer(in[0]), prepared.norm_weight.data(), count, width(out[0]),
                              prepared.norm_weight.size(), norm_rope.eps(), norm_rope.unit_offset() ? 1.0f : 0.0f,
                              result);
      const size_t head_dim = static_cast<size_t>(norm_rope.head_dim());
      gemmac_rope_table_generic(result, count, width(out[0]), head_dim, ropeRows(norm_rope.theta(), head_dim), result);
      return true;
    }
    default:
      return false;
  }
}

}  // namespace gemmac
