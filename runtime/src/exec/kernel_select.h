// The portable executor's choice among kernel variants: the fastest one this
// CPU runs (compiled code fixes its choice ahead of time, by target).
#ifndef GEMMAC_RUNTIME_SRC_KERNEL_SELECT_H_
#define GEMMAC_RUNTIME_SRC_KERNEL_SELECT_H_

#include "kernels.h"
#include "model_generated.h"

namespace gemmac {

/// The matrix-product kernel for a Q8G32 or Q4G32 weight.
gemmac_linear_q_fn selectLinearKernel(schema::DType dtype);
/// The same product with int8 activations (kernels.h) and the layout it reads:
/// VNNI on int8 tiles when the CPU has it, else the generic definition on the
/// file's layout.
struct Int8ActivationKernel {
  gemmac_linear_q_fn run;
  /// Packs the file's weight [n, k] into int8 tiles, the layout `run` reads
  /// (null: `run` reads the file's).
  void (*pack)(const uint8_t* w, size_t n, size_t k, uint8_t* tiles);
};
Int8ActivationKernel selectInt8ActivationKernel(schema::DType dtype);

/// The attention partial pass for K/V rows of `type`.
gemmac_attention_partial_fn selectAttentionKernel(gemmac_kv_type type);

}  // namespace gemmac

#endif  // GEMMAC_RUNTIME_SRC_KERNEL_SELECT_H_
