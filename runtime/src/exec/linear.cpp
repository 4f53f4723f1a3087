#include "exec/linear.h"

#include <algorithm>
#include <cmath>
#include <new>

#include "exec/kernel_select.h"
#include "api/status.h"

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
    linear->int8_ = selectInt8ActivationKernel(weight.dtype);
    linear->q8_ = weight.dtype == schema::DType::Q8G32;
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
  if (int8_tiles_) ::operator delete(int8_tiles_, std::align_val_t{64});
}

gemmac_status Linear::prepareInt8Activations() {
  if (!quantized_ || int8_weights_) return nullptr;
  if (!int8_.pack) {
    int8_weights_ = quantized_;
    return nullptr;
  }
  const size_t bytes = gemmac_int8_tiles_bytes(q8_, out_features_, in_features_);
  int8_tiles_ = static_cast<uint8_t*>(::operator new(bytes, std::align_val_t{64}, std::nothrow));
  if (!int8_tiles_)
    return makeStatus(GEMMAC_RESOURCE_EXHAUSTED,
                      "cannot allocate %zu bytes to repack a [%zu, %zu] weight for int8 activations", bytes,
                      out_features_, in_features_);
  int8_.pack(quantized_, out_features_, in_features_, int8_tiles_);
  int8_weights_ = int8_tiles_;
  return nullptr;
}

namespace {

// Runs the products over the pool, one contiguous range of output features per
// thread: decode then streams each weight row exactly once.
void runProducts(const gemmac_q_products& products, pthreadpool_t pool) {
  const size_t features = gemmac_q_products_features(&products);
  const size_t threads = pool ? pthreadpool_get_threads_count(pool) : 1;
  // Ranges start on 16-row boundaries: the int8 tiles' (rows of other layouts split anywhere).
  const size_t tile = ((features + threads - 1) / threads + 15) / 16 * 16;
  pthreadpool_parallelize_1d_tile_1d(pool, gemmac_q_products_run, const_cast<gemmac_q_products*>(&products), features,
                                     tile, 0);
}

}  // namespace

gemmac_status Linear::runAll(const Linear* const* linears, float* const* outs, size_t count, const float* x,
                             size_t rows, pthreadpool_t pool, Activations activations) {
  for (size_t i = 0; i < count; ++i)
    if (linears[i]->quantized_ && !linears[i]->weights(activations))
      return makeStatus(GEMMAC_INTERNAL, "int8 activations were not prepared for the model");
  const bool fusable = count > 0 && count <= kMaxFused && std::all_of(linears, linears + count, [&](const Linear* l) {
    return l->quantized_ && l->kernel(activations) == linears[0]->kernel(activations) &&
           l->in_features_ == linears[0]->in_features_;
  });
  if (!fusable) {
    for (size_t i = 0; i < count; ++i) GEMMAC_RETURN_IF_ERROR(linears[i]->run(x, rows, outs[i], pool, activations));
    return nullptr;
  }
  gemmac_q_product parts[kMaxFused];
  for (size_t i = 0; i < count; ++i) parts[i] = {linears[i]->weights(activations), linears[i]->out_features_, outs[i]};
  runProducts({linears[0]->kernel(activations), linears[0]->in_features_, x, rows, parts, count}, pool);
  return nullptr;
}

gemmac_status Linear::run(const float* x, size_t rows, float* out, pthreadpool_t pool,
                          Activations activations) const {
  if (quantized_) {
    if (!weights(activations))
      return makeStatus(GEMMAC_INTERNAL, "int8 activations were not prepared for the model");
    const gemmac_q_product part = {weights(activations), out_features_, out};
    runProducts({kernel(activations), in_features_, x, rows, &part, 1}, pool);
    return nullptr;
  }
  xnn_status status = xnn_setup_fully_connected_nc_f32(op_, rows, x, out, pool);
  if (status == xnn_status_success) status = xnn_run_operator(op_, pool);
  if (status != xnn_status_success)
    return makeStatus(GEMMAC_INTERNAL, "XNNPACK fully-connected run failed (xnn_status %d)", static_cast<int>(status));
  return nullptr;
}

}  // namespace gemmac
