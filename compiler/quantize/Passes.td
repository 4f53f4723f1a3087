//===- Passes.td - passes that read the checkpoint's weights -*- tablegen -*-===//
//
// Passes over the gemma dialect that need the weight values, not only their
// names and shapes; they live with the compiler, which owns the checkpoint
// readers, rather than with the dialect.
//
//===----------------------------------------------------------------------===//
#ifndef GEMMAC_QUANTIZE_PASSES
#define GEMMAC_QUANTIZE_PASSES

include "mlir/Pass/PassBase.td"

def GemmaQuantize : Pass<"gemma-quantize", "::mlir::ModuleOp"> {
  let summary = "choose each 2-D weight's storage; int4/int8 groups of 32, QAT grids kept exactly";
  let description = [{
    Reads every 2-D `gemma.weight` from the safetensors file named by the
    module's `gemma.weights` and records its `storage`. Projections take the
    `weights` option; the token embedding, which is also the tied LM head,
    takes `head` ("auto": int4 when every group of the table lies on an int4
    grid, int8 otherwise). Quantized groups keep an exact int4 grid bit for
    bit (levels in [-8, 7] times one f16 scale, found from the group's values,
    not assumed to be a power of two); groups without one are rounded with the
    scale of least squared error, or with the plain Q4_0 rule under
    `quant=naive`. Each quantized weight records `groups` and `exact_groups`.
  }];
  let options = [
    Option<"weights", "weights", "std::string", /*default=*/"\"int4\"",
           "storage of the projections: int4, int8, bf16 or f32">,
    Option<"head", "head", "std::string", /*default=*/"\"auto\"",
           "storage of the embedding / tied LM head: auto, int4, int8 or bf16">,
    Option<"quant", "quant", "std::string", /*default=*/"\"qat\"",
           "rounding of groups: qat (exact grids kept, least-error scale elsewhere) "
           "or naive (the Q4_0 rule scale = max / -8)">,
  ];
}

#endif // GEMMAC_QUANTIZE_PASSES
