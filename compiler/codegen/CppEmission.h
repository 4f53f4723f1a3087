//===- CppEmission.h - EmitC -> C++ source and a target library -*- C++ -*-===//
#ifndef GEMMAC_COMPILER_CODEGEN_CPPEMISSION_H
#define GEMMAC_COMPILER_CODEGEN_CPPEMISSION_H

#include "targets/Targets.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/raw_ostream.h"

namespace gemmac {

/// Writes the C++ of an EmitC module, after a header comment saying it is
/// generated and by which command (`command`).
mlir::LogicalResult emitCpp(mlir::ModuleOp emitcModule, llvm::StringRef command,
                            llvm::raw_ostream &os);

/// Builds `source` into `library` for `target` with clang++-22 (the LLVM
/// tools dir, else PATH), freestanding, with the kernel library compiled in:
/// a shared library, or for GEMMAC_TARGET_STATIC an archive of one object whose
/// only global definition is gemmac_compiled_model_get. Errors name the
/// missing tool or show its output.
mlir::LogicalResult buildTargetLibrary(const gemmac_target &target, llvm::StringRef source,
                                       llvm::StringRef library);

} // namespace gemmac

#endif // GEMMAC_COMPILER_CODEGEN_CPPEMISSION_H
