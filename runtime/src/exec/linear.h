// Matrix products out = x @ W^T for one weight of the model file: quantized
// weights (q8g32 / q4g32) run our kernels on the bytes in place in the mapped
// file; f32 and bf16 weights go through XNNPACK's f32 fully-connected operator.
#ifndef GEMMAC_RUNTIME_SRC_LINEAR_H_
#define GEMMAC_RUNTIME_SRC_LINEAR_H_

#include <pthreadpool.h>
#include <xnnpack.h>

#include <cstddef>
#include <memory>

#include "exec/kernel_select.h"
#include "kernels.h"
#include "loader/model_file.h"

namespace gemmac {

/// What a quantized product does with its activations: keeps them f32 (the
/// exact mode) or quantizes them to int8 per group (kernels.h). f32 and bf16
/// weights ignore it.
enum class Activations { kF32, kInt8 };

class Linear {
 public:
  /// A quantized weight is only referenced (zero-copy). An f32 or bf16 one is
  /// packed once for XNNPACK; a bf16 weight is widened into `scratch` (numel
  /// floats) first, one scratch buffer serving every weight.
  static gemmac_status create(const TensorView& weight, const char* name, float* scratch,
                              std::unique_ptr<Linear>* out);
  ~Linear();
  Linear(const Linear&) = delete;
  Linear& operator=(const Linear&) = delete;

  /// out[rows, out_features] = x[rows, in_features] @ W^T, split over the pool's threads.
  gemmac_status run(const float* x, size_t rows, float* out, pthreadpool_t pool,
                    Activations activations = Activations::kF32) const;
  /// The most products runAll fuses into one dispatch (q/k/v are three).
  static constexpr size_t kMaxFused = 8;
  /// outs[i] = x @ W_i^T for `count` (<= kMaxFused) linears of one input (a
  /// fused q/k/v or gate/up): quantized weights of one type run as one
  /// product, in one dispatch. Allocates nothing.
  static gemmac_status runAll(const Linear* const* linears, float* const* outs, size_t count, const float* x,
                              size_t rows, pthreadpool_t pool, Activations activations = Activations::kF32);

  /// Readies int8 activations: repacks a quantized weight into the layout of
  /// its int8 kernel when that kernel has its own (int8 tiles, kernels.h: a
  /// second copy of the weight, kept with the Linear); no-op after the first
  /// call and for other weights. Products with int8 activations need it first.
  gemmac_status prepareInt8Activations();

  /// XNNPACK's setup stores the buffer pointers in the operator, so such a
  /// product must not run on two threads at once; quantized products may.
  bool needsExclusiveRun() const { return op_ != nullptr; }

 private:
  Linear() = default;
  gemmac_linear_q_fn kernel(Activations activations) const {
    return activations == Activations::kInt8 ? int8_.run : kernel_;
  }
  const uint8_t* weights(Activations activations) const {
    return activations == Activations::kInt8 ? int8_weights_ : quantized_;
  }

  xnn_operator_t op_ = nullptr;       // f32 / bf16 weights
  const uint8_t* quantized_ = nullptr;  // q8g32 / q4g32 weights, in the mapped file
  bool q8_ = false;                     // quantized_ is q8g32
  gemmac_linear_q_fn kernel_ = nullptr;
  Int8ActivationKernel int8_ = {};
  uint8_t* int8_tiles_ = nullptr;           // owned (64-byte aligned): the weights in int8_'s layout
  const uint8_t* int8_weights_ = nullptr;  // what int8_.run reads: null until prepared
  size_t out_features_ = 0, in_features_ = 0;
};

}  // namespace gemmac

#endif  // GEMMAC_RUNTIME_SRC_LINEAR_H_
