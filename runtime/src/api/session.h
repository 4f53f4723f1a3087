// The session behind the C API's gemmac_session handle: one sequence, its
// position and the executor holding its KV caches.
#ifndef GEMMAC_RUNTIME_SRC_SESSION_H_
#define GEMMAC_RUNTIME_SRC_SESSION_H_

#include <cstddef>
#include <memory>

#include "exec/compiled_executor.h"
#include "exec/executor.h"
#include "gemmac/gemmac.h"
#include "api/model.h"

struct gemmac_session_s {
  gemmac_model* model = nullptr;
  gemmac_session_options options{};  // resolved: no zeros left
  std::unique_ptr<gemmac::Executor> executor;           // NULL when the compiled one runs
  std::unique_ptr<gemmac::CompiledExecutor> compiled;  // the model's compiled forward pass, if any
  size_t position = 0;  // tokens in the KV cache
};

namespace gemmac {

/// `options` (NULL: the defaults) checked and with every 0 resolved as
/// gemmac_session_create does; failures name `call`.
gemmac_status resolveSessionOptions(const gemmac_model* model, const gemmac_session_options* options, const char* call,
                                    gemmac_session_options* resolved);

inline gemmac_kv_type kvType(const gemmac_session_options& options) {
  return options.kv_cache_f16 ? GEMMAC_KV_F16 : GEMMAC_KV_F32;
}

}  // namespace gemmac

#endif  // GEMMAC_RUNTIME_SRC_SESSION_H_
