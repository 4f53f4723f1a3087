#include "linear.h"

#include <cmath>

#include "kernels.h"
#include "status.h"

namespace gemmac {

gemmac_status Linear::create(const TensorView& weight, const char* name, float* scratch,
                             std::unique_ptr<Linear>* out) {
  // xnn_initialize is idempotent; it fails only on CPUs XNNPACK cannot use.
  if (xnn_initialize(nullptr) != xnn_status_success)
    return makeStatus(GEMMAC_UNIMPLEMENTED, "XNNPACK cannot be initialized on this CPU");
  const size_t rows = static_cast<size_t>(weight.shape[0]), cols = static_cast<size_t>(weight.shape[1]);
  const float* kernel = static_cast<const float*>(weight.data);
  if (weight.dtype == schema::DType::BF16) {
    gemmac_bf16_to_f32_generic(static_cast<const uint16_t*>(weight.data), weight.numel, scratch);
    kernel = scratch;
  }
  xnn_operator_t op = nullptr;
  xnn_status status = xnn_create_fully_connected_nc_f32(cols, rows, cols, rows, kernel, /*bias=*/nullptr,
                                                        -INFINITY, INFINITY, /*flags=*/0, &op);
  if (status != xnn_status_success)
    return makeStatus(status == xnn_status_out_of_memory ? GEMMAC_RESOURCE_EXHAUSTED : GEMMAC_INTERNAL,
                      "XNNPACK cannot create the fully-connected operator for %s [%zu, %zu] (xnn_status %d)", name,
                      rows, cols, static_cast<int>(status));
  out->reset(new Linear(op));
  return nullptr;
}

Linear::~Linear() { xnn_delete_operator(op_); }

gemmac_status Linear::run(const float* x, size_t rows, float* out, pthreadpool_t pool) const {
  xnn_status status = xnn_setup_fully_connected_nc_f32(op_, rows, x, out, pool);
  if (status == xnn_status_success) status = xnn_run_operator(op_, pool);
  if (status != xnn_status_success)
    return makeStatus(GEMMAC_INTERNAL, "XNNPACK fully-connected run failed (xnn_status %d)", static_cast<int>(status));
  return nullptr;
}

}  // namespace gemmac
