#include "linear.h"

#include <cmath>

#include "kernel_select.h"
#include "status.h"

namespace gemmac {

gemmac_status Linear::create(const TensorView& weight, const char* name, float* scratch,
                             std::unique_ptr<Linear>* out) {
  const size_t rows = static_cast<size_t>(weight.shape[0]), cols = static_cast<size_t>(weight.shape[1]);
  std::unique_ptr<Linear> linear(new Linear);
  linear->out_features_ = rows;
  linear->in_features_ = cols;
  if (weight.dtype == schema::DType::Q4G32 || weight.dtype == schema::DType::Q8G32) {
    linear->quantized_ = static_cast<const uint8_t*>(weight.data);
    linear->kernel_ = selectLinearKernel(weight.dtype);
    *out = std::move(linear);
    return nullptr;
  }
  // xnn_initialize is idempotent; it fails only on CPUs XNNPACK cannot use.
  if (xnn_initialize(nullptr) != xnn_status_success)
    return makeStatus(GEMMAC_UNIMPLEMENTED, "XNNPACK cannot be initialized on this CPU");
  const float* kernel = static_cast<const float*>(weight.data);
  if (weight.dtype == schema::DType::BF16) {
    gemmac_bf16_to_f32_generic(static_cast<const uint16_t*>(weight.data), weight.numel, scratch);
    kernel = scratch;
  }
  xnn_status status = xnn_create_fully_connected_nc_f32(cols, rows, cols, rows, kernel, /*bias=*/nullptr,
                                                        -INFINITY, INFINITY, /*flags=*/0, &linear->op_);
  if (status != xnn_status_success)
    return makeStatus(status == xnn_status_out_of_memory ? GEMMAC_RESOURCE_EXHAUSTED : GEMMAC_INTERNAL,
                      "XNNPACK cannot create the fully-connected operator for %s [%zu, %zu] (xnn_status %d)", name,
                      rows, cols, static_cast<int>(status));
  *out = std::move(linear);
  return nullptr;
}

Linear::~Linear() {
  if (op_) xnn_delete_operator(op_);
}

namespace {

// Output features [start, start + count) of one quantized product, as one pool task.
struct QuantizedTask {
  gemmac_linear_q_fn kernel;
  const uint8_t* weight;
  size_t n, k;
  const float* x;
  size_t m;
  float* out;

  static void run(void* context, size_t start, size_t count) {
    const QuantizedTask& task = *static_cast<const QuantizedTask*>(context);
    task.kernel(task.weight, task.n, task.k, task.x, task.m, start, start + count, task.out + start, task.n);
  }
};

}  // namespace

gemmac_status Linear::runQuantized(const float* x, size_t rows, float* out, pthreadpool_t pool) const {
  QuantizedTask task{kernel_, quantized_, out_features_, in_features_, x, rows, out};
  // One contiguous range of rows per thread: decode streams each weight once.
  const size_t threads = pool ? pthreadpool_get_threads_count(pool) : 1;
  const size_t tile = (out_features_ + threads - 1) / threads;
  pthreadpool_parallelize_1d_tile_1d(pool, &QuantizedTask::run, &task, out_features_, tile, 0);
  return nullptr;
}

gemmac_status Linear::run(const float* x, size_t rows, float* out, pthreadpool_t pool) const {
  if (quantized_) return runQuantized(x, rows, out, pool);
  xnn_status status = xnn_setup_fully_connected_nc_f32(op_, rows, x, out, pool);
  if (status == xnn_status_success) status = xnn_run_operator(op_, pool);
  if (status != xnn_status_success)
    return makeStatus(GEMMAC_INTERNAL, "XNNPACK fully-connected run failed (xnn_status %d)", static_cast<int>(status));
  return nullptr;
}

}  // namespace gemmac
