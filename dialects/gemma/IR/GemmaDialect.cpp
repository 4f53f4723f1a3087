//===- GemmaDialect.cpp - gemma dialect registration and module attributes ===//
#include "dialects/gemma/IR/GemmaDialect.h"
#include "dialects/gemma/IR/GemmaOps.h"

#include "mlir/IR/BuiltinAttributes.h"

using namespace mlir;
using namespace mlir::gemma;

#include "dialects/gemma/IR/GemmaOpsDialect.cpp.inc"

void GemmaDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "dialects/gemma/IR/GemmaOps.cpp.inc"
      >();
}

/// The module attributes are read by later stages without re-checking, so
/// their kinds are verified here once.
LogicalResult GemmaDialect::verifyOperationAttribute(Operation *op,
                                                     NamedAttribute attr) {
  if (attr.getName() == kConfigAttrName) {
    if (!isa<DictionaryAttr>(attr.getValue()))
      return op->emitError() << "'" << kConfigAttrName
                             << "' must be a dictionary of model facts";
    return success();
  }
  if (attr.getName() == kWeightsAttrName) {
    auto path = dyn_cast<StringAttr>(attr.getValue());
    if (!path || path.getValue().empty())
      return op->emitError()
             << "'" << kWeightsAttrName
             << "' must be a non-empty string (the safetensors path)";
    return success();
  }
  return op->emitError() << "unknown gemma attribute '"
                         << attr.getName().getValue() << "'";
}
