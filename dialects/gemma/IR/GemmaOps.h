//===- GemmaOps.h - gemma dialect operations ----------------------*- C++
//-*-===//
#ifndef GEMMAC_DIALECTS_GEMMA_IR_GEMMAOPS_H
#define GEMMAC_DIALECTS_GEMMA_IR_GEMMAOPS_H

#include "dialects/gemma/IR/GemmaDialect.h"

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#define GET_OP_CLASSES
#include "dialects/gemma/IR/GemmaOps.h.inc"

#endif // GEMMAC_DIALECTS_GEMMA_IR_GEMMAOPS_H
