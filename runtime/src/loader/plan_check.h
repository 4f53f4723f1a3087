// Well-formedness of a model's config and execution plan, so that the executor
// can run any plan that passes without bounds checks of its own.
#ifndef GEMMAC_RUNTIME_SRC_PLAN_CHECK_H_
#define GEMMAC_RUNTIME_SRC_PLAN_CHECK_H_

#include "loader/model_file.h"

namespace gemmac {

/// Checks config and plan of a file whose FlatBuffer and tensors are verified:
/// value ids in range and defined once before use, input/output counts per op,
/// widths consistent with weight shapes and head layouts, KV caches valid and
/// used by one attention op each, and the output produced by a LogitsOp and
/// read by no op. Failures are GEMMAC_DATA_LOSS naming the op.
gemmac_status checkPlan(const ModelFile& model);

}  // namespace gemmac

#endif  // GEMMAC_RUNTIME_SRC_PLAN_CHECK_H_
