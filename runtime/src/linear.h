// Matrix products through XNNPACK's f32 fully-connected operator: out = x @ W^T.
#ifndef GEMMAC_RUNTIME_SRC_LINEAR_H_
#define GEMMAC_RUNTIME_SRC_LINEAR_H_

#include <pthreadpool.h>
#include <xnnpack.h>

#include <cstddef>
#include <memory>

#include "model_file.h"

namespace gemmac {

/// A weight [out_features, in_features] packed once for XNNPACK. XNNPACK's
/// setup stores the buffer pointers in the operator, so one operator must not
/// run on two threads at once (the model serializes steps).
class Linear {
 public:
  /// A bf16 weight is widened into `scratch` (numel floats) for packing; one
  /// scratch buffer serves every weight, which saves a page-faulted allocation each.
  static gemmac_status create(const TensorView& weight, const char* name, float* scratch,
                              std::unique_ptr<Linear>* out);
  ~Linear();
  Linear(const Linear&) = delete;
  Linear& operator=(const Linear&) = delete;

  /// out[rows, out_features] = x[rows, in_features] @ W^T.
  gemmac_status run(const float* x, size_t rows, float* out, pthreadpool_t pool) const;

 private:
  explicit Linear(xnn_operator_t op) : op_(op) {}
  xnn_operator_t op_;
};

}  // namespace gemmac

#endif  // GEMMAC_RUNTIME_SRC_LINEAR_H_
