// What every fuzz target of the compiler's readers checks of a refusal.
#ifndef GEMMAC_TEST_FUZZ_REFUSAL_H
#define GEMMAC_TEST_FUZZ_REFUSAL_H

#include "llvm/Support/Error.h"

#include <cstdlib>

namespace gemmac::fuzz {

/// True when `result` is a refusal (consuming its error); a refusal that does
/// not say why is a finding.
template <typename T> bool isRefusal(llvm::Expected<T> &result) {
  if (result)
    return false;
  if (llvm::toString(result.takeError()).empty())
    std::abort();
  return true;
}

} // namespace gemmac::fuzz

#endif // GEMMAC_TEST_FUZZ_REFUSAL_H
