//===- Passes.td - gemma dialect passes --------------------*- tablegen -*-===//
//
// Model-level decisions made in the IR, each a pass with its own flag so that
// the pipeline can run with any one of them disabled.
//
//===----------------------------------------------------------------------===//
#ifndef GEMMA_PASSES
#define GEMMA_PASSES

include "mlir/Pass/PassBase.td"

def GemmaSpecializeAttention
    : Pass<"gemma-specialize-attention", "::mlir::ModuleOp"> {
  let summary = "choose each attention op's KV-cache storage (ring or full)";
  let description = [{
    Reads the module's `gemma.config` and gives every `gemma.attention` its
    `kv_kind` and `kv_slots`. Sliding-window layers (window W > 0) get a ring
    buffer of W + prefill_chunk - 1 slots: a chunk writes its rows before its
    first query reads, and that query still needs the W - 1 keys before it.
    Global layers get a full cache of max_context slots. A ring that would not
    be smaller than the full cache becomes a full cache. RoPE bases are already
    per op (`gemma.rope` theta) and no mask is ever materialized: attention
    reads the window from its attribute.
  }];
  let options = [
    Option<"prefillChunk", "prefill-chunk", "int64_t", /*default=*/"128",
           "largest number of tokens one prefill step processes">,
    Option<"maxContext", "max-context", "int64_t", /*default=*/"0",
           "context the full caches hold; 0: the config's max_context. "
           "A smaller value also lowers the config's max_context">,
  ];
}

#endif // GEMMA_PASSES
