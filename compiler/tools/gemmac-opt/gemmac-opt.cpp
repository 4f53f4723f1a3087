//===- gemmac-opt.cpp - mlir-opt for the gemma dialect -------------------===//
//
// Parses, verifies, transforms and prints gemma IR; the driver of the dialect,
// importer-output and pass lit tests.
//
//===----------------------------------------------------------------------===//
#include "dialects/gemma/IR/GemmaDialect.h"
#include "compiler/quantize/QuantizePass.h"
#include "dialects/gemma/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "mlir/Transforms/Passes.h"

int main(int argc, char **argv) {
  mlir::registerCanonicalizerPass();
  mlir::registerCSEPass();
  mlir::gemma::registerGemmaPasses();
  gemmac::registerQuantizePasses();

  mlir::DialectRegistry registry;
  registry.insert<mlir::gemma::GemmaDialect, mlir::func::FuncDialect>();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "gemma dialect optimizer\n", registry));
}
