#include "exec/program.h"

#include <algorithm>

#include "kernels.h"
#include "api/status.h"

namespace gemmac {
namespace {

const char* tensorName(const ModelFile& file, uint32_t index) {
  const schema::Tensor* tensor = file.root->tensors()->Get(index);
  return tensor->name() ? tensor->name()->c_str() : "?";
}

/// Norm gains are small: widened once to f32 at load.
void widenNormWeight(const TensorView& weight, std::vector<float>* out) {
  out->resize(weight.numel);
  if (weight.dtype == schema::DType::BF16)
    gemmac_bf16_to_f32_generic(static_cast<const uint16_t*>(weight.data), weight.numel, out->data());
  else
    out->assign(static_cast<const float*>(weight.data), static_cast<const float*>(weight.data) + weight.numel);
}

}  // namespace

gemmac_status Program::create(const ModelFile& file, std::unique_ptr<Program>* out) {
  std::unique_ptr<Program> program(new Program);
  program->plan_ = file.root->plan();
  program->segment_base_ = file.file->data() + file.root->segment_base();
  // Widening scratch for the largest bf16 linear weight (uninitialized: it is
  // overwritten); quantized weights are used in place and need none.
  size_t scratch_size = 0;
  auto needScratch = [&](uint32_t index) {
    if (file.tensors[index].dtype == schema::DType::BF16)
      scratch_size = std::max(scratch_size, file.tensors[index].numel);
  };
  for (const schema::Op* op : *program->plan_->ops()) {
    if (op->kind_type() == schema::OpKind::LinearOp) needScratch(op->kind_as_LinearOp()->weight());
    if (op->kind_type() == schema::OpKind::LogitsOp) needScratch(op->kind_as_LogitsOp()->weight());
    if (op->kind_type() == schema::OpKind::FusedLinearOp)
      for (uint32_t index : *op->kind_as_FusedLinearOp()->weights()) needScratch(index);
  }
  std::unique_ptr<float[]> scratch(new float[scratch_size]);
  for (const schema::Op* op : *program->plan_->ops()) {
    PreparedOp prepared;
    prepared.op = op;
    prepared.kind = op->kind_type();
    switch (prepared.kind) {
      case schema::OpKind::EmbedOp:
        prepared.table = &file.tensors[op->kind_as_EmbedOp()->table()];
        break;
      case schema::OpKind::RmsNormOp:
        widenNormWeight(file.tensors[op->kind_as_RmsNormOp()->weight()], &prepared.norm_weight);
        break;
      case schema::OpKind::AddRmsNormOp:
        widenNormWeight(file.tensors[op->kind_as_AddRmsNormOp()->weight()], &prepared.norm_weight);
        break;
      case schema::OpKind::RmsNormRopeOp:
        widenNormWeight(file.tensors[op->kind_as_RmsNormRopeOp()->weight()], &prepared.norm_weight);
        break;
      case schema::OpKind::FusedLinearOp: {
        const schema::FusedLinearOp& fused = *op->kind_as_FusedLinearOp();
        if (fused.has_norm()) {
          widenNormWeight(file.tensors[fused.norm_weight()], &prepared.norm_weight);
          size_t width = static_cast<size_t>(program->plan_->values()->Get(op->inputs()->Get(0))->width());
          program->norm_scratch_width_ = std::max(program->norm_scratch_width_, width);
        }
        for (uint32_t index : *fused.weights()) {
          prepared.linears.emplace_back();
          GEMMAC_RETURN_IF_ERROR(
              Linear::create(file.tensors[index], tensorName(file, index), scratch.get(), &prepared.linears.back()));
        }
        break;
      }
      case schema::OpKind::LinearOp:
      case schema::OpKind::LogitsOp: {
        uint32_t index = prepared.kind == schema::OpKind::LinearOp ? op->kind_as_LinearOp()->weight()
                                                                    : op->kind_as_LogitsOp()->weight();
        GEMMAC_RETURN_IF_ERROR(Linear::create(file.tensors[index], tensorName(file, index), scratch.get(),
                                                &prepared.linear));
        break;
      }
      default:
        break;  // no weights
    }
    if (prepared.linear && prepared.linear->needsExclusiveRun()) program->exclusive_runs_ = true;
    for (const std::unique_ptr<Linear>& linear : prepared.linears)
      if (linear->needsExclusiveRun()) program->exclusive_runs_ = true;
    program->ops_.push_back(std::move(prepared));
  }
  program->assignBuffers();
  *out = std::move(program);
  return nullptr;
}

gemmac_status Program::prepareInt8Activations() {
  std::lock_guard<std::mutex> lock(int8_mutex_);
  for (PreparedOp& op : ops_) {
    if (op.linear) GEMMAC_RETURN_IF_ERROR(op.linear->prepareInt8Activations());
    for (std::unique_ptr<Linear>& linear : op.linears) GEMMAC_RETURN_IF_ERROR(linear->prepareInt8Activations());
  }
  return nullptr;
}

// Greedy liveness-based reuse: a value's buffer returns to the pool after its
// last reader, so memory follows the widest live set rather than the layer count.
void Program::assignBuffers() {
  const uint32_t value_count = plan_->values()->size();
  std::vector<size_t> last_use(value_count, 0);
  for (size_t i = 0; i < ops_.size(); ++i) {
    for (uint32_t id : *ops_[i].op->inputs()) last_use[id] = i;
    for (uint32_t id : *ops_[i].op->outputs()) last_use[id] = std::max(last_use[id], i);
  }
  value_buffers_.assign(value_count, kOutputBuffer);
  std::vector<bool> released(value_count, false);
  std::vector<int32_t> free_buffers;
  for (size_t i = 0; i < ops_.size(); ++i) {
    for (uint32_t id : *ops_[i].op->outputs()) {
      if (id == plan_->output()) continue;
      size_t width = static_cast<size_t>(plan_->values()->Get(id)->width());
      // The smallest free buffer that fits, else the widest free one (grown).
      size_t best = free_buffers.size();
      for (size_t f = 0; f < free_buffers.size(); ++f) {
        if (best == free_buffers.size()) {
          best = f;
          continue;
        }
        size_t w = buffer_widths_[free_buffers[f]], best_w = buffer_widths_[free_buffers[best]];
        if (w >= width ? (best_w < width || w < best_w) : (best_w < width && w > best_w)) best = f;
      }
      int32_t buffer;
      if (best == free_buffers.size()) {
        buffer = static_cast<int32_t>(buffer_widths_.size());
        buffer_widths_.push_back(width);
      } else {
        buffer = free_buffers[best];
        free_buffers.erase(free_buffers.begin() + static_cast<ptrdiff_t>(best));
        buffer_widths_[buffer] = std::max(buffer_widths_[buffer], width);
      }
      value_buffers_[id] = buffer;
    }
    auto release = [&](uint32_t id) {
      if (last_use[id] != i || released[id] || value_buffers_[id] == kOutputBuffer) return;
      released[id] = true;
      free_buffers.push_back(value_buffers_[id]);
    };
    for (uint32_t id : *ops_[i].op->inputs()) release(id);
    for (uint32_t id : *ops_[i].op->outputs()) release(id);
  }
}

}  // namespace gemmac
