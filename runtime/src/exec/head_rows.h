// Logits of a few vocabulary rows: the LM head (the plan's logits op) applied
// to one hidden state, but only for the token ids asked for, so scoring a
// handful of candidates reads a handful of the head's rows, not all of them.
#ifndef GEMMAC_RUNTIME_SRC_HEAD_ROWS_H_
#define GEMMAC_RUNTIME_SRC_HEAD_ROWS_H_

#include <cstddef>
#include <cstdint>

#include "exec/program.h"
#include "gemmac/gemmac.h"

namespace gemmac {

class HeadRows {
 public:
  /// The head of `program`'s logits op, whose weight is `file`'s tensor.
  static gemmac_status create(const ModelFile& file, const Program& program, HeadRows* out);

  size_t hiddenSize() const { return hidden_; }

  /// out[i] = the logit of token ids[i] (valid ids) for the hidden state
  /// `hidden` (the logits op's input row): what the full head would give in
  /// column ids[i], softcap included, up to f32 summation order. May throw
  /// std::bad_alloc (a bf16 head widens each row it reads).
  void logits(const float* hidden, const int32_t* ids, size_t count, float* out) const;

 private:
  const TensorView* weight_ = nullptr;
  gemmac_linear_q_fn kernel_ = nullptr;  // quantized heads: the product kernel, over one row at a time
  float softcap_ = 0.0f;
  size_t vocab_ = 0, hidden_ = 0;
};

}  // namespace gemmac

#endif  // GEMMAC_RUNTIME_SRC_HEAD_ROWS_H_
