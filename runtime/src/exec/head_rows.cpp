#include "exec/head_rows.h"

#include <vector>

#include "api/status.h"
#include "exec/kernel_select.h"
#include "kernels.h"

namespace gemmac {

gemmac_status HeadRows::create(const ModelFile& file, const Program& program, HeadRows* out) {
  for (const PreparedOp& prepared : program.ops()) {
    if (prepared.kind != schema::OpKind::LogitsOp) continue;
    const schema::LogitsOp& head = *prepared.op->kind_as_LogitsOp();
    HeadRows rows;
    rows.weight_ = &file.tensors[head.weight()];
    rows.softcap_ = head.softcap();
    rows.vocab_ = static_cast<size_t>(rows.weight_->shape[0]);
    rows.hidden_ = static_cast<size_t>(rows.weight_->shape[1]);
    if (rows.weight_->dtype == schema::DType::Q4G32 || rows.weight_->dtype == schema::DType::Q8G32)
      rows.kernel_ = selectLinearKernel(rows.weight_->dtype);
    *out = rows;
    return nullptr;
  }
  return makeStatus(GEMMAC_INTERNAL, "the plan has no logits op");
}

void HeadRows::logits(const float* hidden, const int32_t* ids, size_t count, float* out) const {
  std::vector<float> widened;
  for (size_t i = 0; i < count; ++i) {
    const size_t row = static_cast<size_t>(ids[i]);
    if (kernel_) {
      // The full head's kernel over the one output feature [row, row + 1): the
      // same arithmetic as the logits op, on one row of the weight in place.
      kernel_(static_cast<const uint8_t*>(weight_->data), vocab_, hidden_, hidden, 1, row, row + 1, &out[i], 1);
      continue;
    }
    const float* w = static_cast<const float*>(weight_->data) + row * hidden_;
    if (weight_->dtype == schema::DType::BF16) {
      widened.resize(hidden_);
      gemmac_bf16_to_f32_generic(static_cast<const uint16_t*>(weight_->data) + row * hidden_, hidden_,
                                 widened.data());
      w = widened.data();
    }
    float sum = 0.0f;
    for (size_t j = 0; j < hidden_; ++j) sum += hidden[j] * w[j];
    out[i] = sum;
  }
  if (softcap_ > 0.0f) gemmac_softcap_generic(out, count, softcap_);
}

}  // namespace gemmac
