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

class Gemma_FusionPass<string name, string passSummary>
    : Pass<name, "::mlir::ModuleOp"> {
  let summary = passSummary;
  let dependentDialects = ["::mlir::gemma::GemmaDialect"];
}

def GemmaFuseNormRope : Gemma_FusionPass<"gemma-fuse-norm-rope",
    "fuse a per-head rms_norm into the rope that follows it"> {
  let description = [{
    `rope(rms_norm(x, w))` becomes `gemma.rms_norm_rope` when the norm's
    groups are the rope's heads and the normalized value has no other user.
  }];
}

def GemmaFuseQkv : Gemma_FusionPass<"gemma-fuse-qkv",
    "fuse an attention's q, k and v projections into one gemma.fused_linear"> {
  let description = [{
    Follows each `gemma.attention` operand back through its q/k norm and RoPE
    to the `gemma.linear` that projects it; when the three projections are
    distinct and read the same input, they become one `gemma.fused_linear`
    with a [num_heads x head_dim] query and two [num_kv_heads x head_dim]
    key/value results (grouped-query attention keeps its narrower k/v).
  }];
}

def GemmaFuseGateUp : Gemma_FusionPass<"gemma-fuse-gate-up",
    "fuse the MLP's gate and up projections and its GELU-tanh gating"> {
  let description = [{
    `mul(gelu_tanh(linear(x, gate)), linear(x, up))` becomes
    `gemma.fused_linear x [gate, up]` followed by `gemma.gelu_tanh_mul`, when
    the GELU output has no other user.
  }];
}

def GemmaFuseNormLinear : Gemma_FusionPass<"gemma-fuse-norm-linear",
    "fuse an rms_norm into the linears that read it"> {
  let description = [{
    An `rms_norm` whose every user is a `gemma.linear` or an un-normalized
    `gemma.fused_linear` becomes the norm of one `gemma.fused_linear` over
    all their weights. A norm with any other user (the logits, a residual
    add) stays: its normalized value must exist.
  }];
}

def GemmaFuseAddNorm : Gemma_FusionPass<"gemma-fuse-add-norm",
    "fuse a residual add with the rms_norm of its sum"> {
  let description = [{
    `add(a, b)` with exactly one `rms_norm` user becomes
    `gemma.add_rms_norm`, which yields both the sum (for the next residual)
    and the normalized value.
  }];
}

#endif // GEMMA_PASSES
