#include "kernel_select.h"

namespace gemmac {

gemmac_linear_q_fn selectLinearKernel(schema::DType dtype) {
  return dtype == schema::DType::Q4G32 ? gemmac_linear_q4g32_generic : gemmac_linear_q8g32_generic;
}

}  // namespace gemmac
