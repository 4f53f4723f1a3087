//===- GemmaOps.td - gemma dialect operations --------------*- tablegen -*-===//
//
// One op per step of the Hugging Face Gemma 3 forward pass. Ops are kept
// unfused and single-purpose so that fusion passes (norm->linear, q/k/v into
// one linear, gate/up + GELU, residual add + norm, q/k-norm + RoPE) match
// short, verified op chains and introduce fused ops of their own.
//
//===----------------------------------------------------------------------===//
#ifndef GEMMA_OPS
#define GEMMA_OPS

include "GemmaBase.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

// The per-layer key/value caches that gemma.attention appends to and reads.
def Gemma_KvCacheResource : Resource<"::mlir::gemma::KvCacheResource">;

//===----------------------------------------------------------------------===//
// Weights
//===----------------------------------------------------------------------===//

def Gemma_WeightOp : Gemma_Op<"weight", [Pure]> {
  let summary = "a checkpoint tensor, referenced by name";
  let description = [{
    Names one tensor of the safetensors file in the module's `gemma.weights`
    attribute. The data is never inlined into the IR: later stages read the
    bytes from the (mmapped) file, which keeps the IR small.

    ```mlir
    %w = gemma.weight "model.embed_tokens.weight" : tensor<262144x640xbf16>
    ```

    The tensor type is the checkpoint's. `gemma-quantize` records how the
    model file stores it: `storage` is "f32", "bf16", "q8g32" or "q4g32" (the
    runtime's quantized layouts: groups of 32 inputs with one f16 scale), and
    for the quantized ones `groups` and `exact_groups`, the groups whose values
    the stored levels and scale reproduce bit for bit. Without `storage` the
    file keeps the checkpoint's type (f16 widened to f32).

    ```mlir
    %w = gemma.weight "model.layers.0.mlp.up_proj.weight"
        {exact_groups = 40960 : i64, groups = 40960 : i64, storage = "q4g32"}
        : tensor<2048x640xbf16>
    ```
  }];
  let arguments = (ins StrAttr:$name, OptionalAttr<StrAttr>:$storage,
                       OptionalAttr<I64Attr>:$groups,
                       OptionalAttr<I64Attr>:$exact_groups);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$name attr-dict `:` type($result)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Embedding and output
//===----------------------------------------------------------------------===//

def Gemma_EmbedOp : Gemma_Op<"embed", [Pure]> {
  let summary = "token embedding lookup, scaled";
  let description = [{
    `result[t] = table[ids[t]] * scale`, computed in f32. Gemma scales the
    embeddings by sqrt(hidden_size); the importer computes `scale` from the
    config.

    ```mlir
    %x = gemma.embed %ids, %table {scale = 25.2982216 : f32}
        : (tensor<?xi32>, tensor<262144x640xbf16>) -> tensor<?x640xf32>
    ```
  }];
  let arguments = (ins Gemma_TokenIds:$ids, Gemma_WeightTensor:$table,
                       F32Attr:$scale);
  let results = (outs Gemma_Activation:$result);
  let assemblyFormat = [{
    $ids `,` $table attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Gemma_LogitsOp : Gemma_Op<"logits", [Pure]> {
  let summary = "output projection onto the vocabulary (tied embeddings)";
  let description = [{
    `result = input tableᵀ`, then `softcap * tanh(result / softcap)` when `softcap`
    is present (Gemma's final_logit_softcapping).

    ```mlir
    %l = gemma.logits %x, %table
        : (tensor<?x640xf32>, tensor<262144x640xbf16>) -> tensor<?x262144xf32>
    ```
  }];
  let arguments = (ins Gemma_Activation:$input, Gemma_WeightTensor:$table,
                       OptionalAttr<F32Attr>:$softcap);
  let results = (outs Gemma_Activation:$result);
  let assemblyFormat = [{
    $input `,` $table attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Normalization and projections
//===----------------------------------------------------------------------===//

def Gemma_RmsNormOp : Gemma_Op<"rms_norm",
    [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "grouped RMS normalization with a (1 + w) gain";
  let description = [{
    Splits each row of `input` into groups of `len(weight)` features and computes,
    per group, `x * rsqrt(mean(x^2) + eps) * (1 + w)` (or `* w` when
    `unit_offset` is false). With one group it is a layer norm; with groups of
    head_dim it is Gemma 3's per-head q/k norm.

    ```mlir
    %h = gemma.rms_norm %x, %w {eps = 1.0e-06 : f32}
        : tensor<?x640xf32>, tensor<640xbf16>
    ```
  }];
  let arguments = (ins Gemma_Activation:$input, Gemma_WeightTensor:$weight,
                       F32Attr:$eps,
                       DefaultValuedAttr<BoolAttr, "true">:$unit_offset);
  let results = (outs Gemma_Activation:$result);
  let assemblyFormat = [{
    $input `,` $weight attr-dict `:` type($input) `,` type($weight)
  }];
  let hasVerifier = 1;
}

def Gemma_LinearOp : Gemma_Op<"linear", [Pure]> {
  let summary = "matrix product with a [out, in] weight";
  let description = [{
    `result = input weightᵀ` with the weight in Hugging Face layout `[out, in]`
    (no bias: Gemma 3 has none).

    ```mlir
    %q = gemma.linear %h, %wq
        : (tensor<?x640xf32>, tensor<1024x640xbf16>) -> tensor<?x1024xf32>
    ```
  }];
  let arguments = (ins Gemma_Activation:$input, Gemma_WeightTensor:$weight);
  let results = (outs Gemma_Activation:$result);
  let assemblyFormat = [{
    $input `,` $weight attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Gemma_RopeOp : Gemma_Op<"rope",
    [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "rotary position embedding (rotate-half form), per head";
  let description = [{
    Splits each row of `input` into heads of `head_dim` features and rotates each
    head by its token's position: with `half = head_dim / 2` and
    `f_i = theta^(-2i / head_dim)`, feature pairs `(i, i + half)` are rotated by
    the angle `position * f_i` (Hugging Face's `rotate_half` convention).

    ```mlir
    %r = gemma.rope %q, %positions {head_dim = 256 : i64, theta = 1.0e+04 : f64}
        : tensor<?x1024xf32>, tensor<?xi32>
    ```
  }];
  let arguments = (ins Gemma_Activation:$input, Gemma_TokenIds:$positions,
                       I64Attr:$head_dim, F64Attr:$theta);
  let results = (outs Gemma_Activation:$result);
  let assemblyFormat = [{
    $input `,` $positions attr-dict `:` type($input) `,` type($positions)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Attention
//===----------------------------------------------------------------------===//

def Gemma_AttentionOp : Gemma_Op<"attention",
    [MemoryEffects<[MemRead<Gemma_KvCacheResource>,
                    MemWrite<Gemma_KvCacheResource>]>]> {
  let summary = "causal grouped-query attention over a layer's KV cache";
  let description = [{
    Stores this call's keys and values at their `positions` in KV cache
    binding `kv_cache` (one per layer), then lets each query token t attend to
    the cached keys s with `s <= t` and, when `window` is W > 0, `s > t - W`
    (sliding-window layers; `window = 0` means global attention). Query head h
    uses key/value head `h / (num_heads / num_kv_heads)`. Scores are
    `scale * q.k`, optionally `softcap * tanh(score / softcap)`, then softmax.

    The op reads and writes the cache, so it is neither pure nor CSE-able; the
    cache binding is an attribute because each layer owns exactly one cache and
    the runtime allocates it (ring buffer for windowed layers).

    `gemma-specialize-attention` decides the cache's storage: `kv_kind` is
    `"ring"` (window > 0: a ring buffer of `kv_slots` = window + prefill chunk
    - 1 rows, so memory does not grow with the context) or `"full"` (global:
    one row per context position). Both are absent before the pass and the
    runtime then sizes the cache itself.

    ```mlir
    %a = gemma.attention %q, %k, %v, %positions {head_dim = 256 : i64,
        kv_cache = 0 : i64, num_heads = 4 : i64, num_kv_heads = 1 : i64,
        scale = 6.250000e-02 : f32, window = 512 : i64}
        : (tensor<?x1024xf32>, tensor<?x256xf32>, tensor<?x256xf32>,
           tensor<?xi32>) -> tensor<?x1024xf32>
    ```
  }];
  let arguments = (ins Gemma_Activation:$q, Gemma_Activation:$k,
                       Gemma_Activation:$v, Gemma_TokenIds:$positions,
                       I64Attr:$num_heads, I64Attr:$num_kv_heads,
                       I64Attr:$head_dim, F32Attr:$scale, I64Attr:$window,
                       I64Attr:$kv_cache, OptionalAttr<F32Attr>:$softcap,
                       OptionalAttr<StrAttr>:$kv_kind,
                       OptionalAttr<I64Attr>:$kv_slots);
  let results = (outs Gemma_Activation:$result);
  let extraClassDeclaration = [{
    static constexpr llvm::StringLiteral kRingKind = "ring";
    static constexpr llvm::StringLiteral kFullKind = "full";

  private:
    LogicalResult verifyKvStorage();
  public:
  }];
  let assemblyFormat = [{
    $q `,` $k `,` $v `,` $positions attr-dict `:`
    functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Element-wise
//===----------------------------------------------------------------------===//

class Gemma_ElementwiseOp<string mnemonic, list<Trait> traits = []>
    : Gemma_Op<mnemonic, !listconcat([Pure, SameOperandsAndResultType],
                                     traits)> {
  let results = (outs Gemma_Activation:$result);
  let assemblyFormat = "operands attr-dict `:` type($result)";
}

def Gemma_GeluTanhOp : Gemma_ElementwiseOp<"gelu_tanh"> {
  let summary = "GELU, tanh approximation";
  let description = [{
    `0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))` (PyTorch's
    `gelu(approximate="tanh")`, Gemma's `gelu_pytorch_tanh`).
  }];
  let arguments = (ins Gemma_Activation:$input);
}

def Gemma_MulOp : Gemma_ElementwiseOp<"mul", [Commutative]> {
  let summary = "element-wise product (the gated MLP's gate * up)";
  let arguments = (ins Gemma_Activation:$lhs, Gemma_Activation:$rhs);
}

def Gemma_AddOp : Gemma_ElementwiseOp<"add", [Commutative]> {
  let summary = "element-wise sum (the residual connections)";
  let arguments = (ins Gemma_Activation:$lhs, Gemma_Activation:$rhs);
}

//===----------------------------------------------------------------------===//
// Fused forms (introduced by the gemma-fuse-* passes, never by the importer)
//===----------------------------------------------------------------------===//

def Gemma_FusedLinearOp : Gemma_Op<"fused_linear",
    [Pure, AttrSizedOperandSegments]> {
  let summary = "several linears of one input, optionally RMS-normalized first";
  let description = [{
    `results[i] = norm(input) weights[i]ᵀ`, where `norm` is `gemma.rms_norm`
    with `norm_weight`, `norm_eps` and `norm_unit_offset` when a norm weight
    is present, and the identity otherwise. One op for the q/k/v projections
    (or gate/up) reads the normalized input once; weights stay separate
    checkpoint tensors, referenced by name.

    ```mlir
    %q, %k, %v = gemma.fused_linear %x norm(%n : tensor<640xbf16>)
        [%wq, %wk, %wv] {norm_eps = 1.0e-06 : f32}
        : tensor<?x640xf32>, [tensor<1024x640xbf16>, tensor<256x640xbf16>,
          tensor<256x640xbf16>]
        -> tensor<?x1024xf32>, tensor<?x256xf32>, tensor<?x256xf32>
    ```
  }];
  let arguments = (ins Gemma_Activation:$input,
                       Optional<Gemma_WeightTensor>:$norm_weight,
                       Variadic<Gemma_WeightTensor>:$weights,
                       OptionalAttr<F32Attr>:$norm_eps,
                       DefaultValuedAttr<BoolAttr, "true">:$norm_unit_offset);
  let results = (outs Variadic<Gemma_Activation>:$results);
  let assemblyFormat = [{
    $input (`norm` `(` $norm_weight^ `:` type($norm_weight) `)`)?
    `[` $weights `]` attr-dict `:` type($input) `,` `[` type($weights) `]`
    `->` type($results)
  }];
  let hasVerifier = 1;
}

def Gemma_GeluTanhMulOp : Gemma_ElementwiseOp<"gelu_tanh_mul"> {
  let summary = "gated MLP activation: gelu_tanh(gate) * up";
  let description = [{
    `gemma.gelu_tanh` of `gate` times `up`, element-wise, in one pass over
    the two halves of the fused gate/up projection.
  }];
  let arguments = (ins Gemma_Activation:$gate, Gemma_Activation:$up);
}

def Gemma_AddRmsNormOp : Gemma_Op<"add_rms_norm",
    [Pure, AllTypesMatch<["lhs", "rhs", "sum", "normed"]>]> {
  let summary = "residual add followed by the next RMS norm";
  let description = [{
    `sum = lhs + rhs` (the residual stream, still needed by the next residual
    add) and `normed = gemma.rms_norm(sum, weight)`, in one pass.

    ```mlir
    %s, %h = gemma.add_rms_norm %x, %o, %w {eps = 1.0e-06 : f32}
        : tensor<?x640xf32>, tensor<640xbf16>
    ```
  }];
  let arguments = (ins Gemma_Activation:$lhs, Gemma_Activation:$rhs,
                       Gemma_WeightTensor:$weight, F32Attr:$eps,
                       DefaultValuedAttr<BoolAttr, "true">:$unit_offset);
  let results = (outs Gemma_Activation:$sum, Gemma_Activation:$normed);
  let assemblyFormat = [{
    $lhs `,` $rhs `,` $weight attr-dict `:` type($lhs) `,` type($weight)
  }];
  let hasVerifier = 1;
}

def Gemma_RmsNormRopeOp : Gemma_Op<"rms_norm_rope",
    [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "per-head RMS norm (Gemma 3's q/k norm) followed by RoPE";
  let description = [{
    `gemma.rope(gemma.rms_norm(input, weight), positions)` with norm groups of
    `head_dim` features: each head is normalized and rotated while in cache.

    ```mlir
    %q = gemma.rms_norm_rope %x, %w, %positions {eps = 1.0e-06 : f32,
        head_dim = 256 : i64, theta = 1.0e+04 : f64}
        : tensor<?x1024xf32>, tensor<256xbf16>, tensor<?xi32>
    ```
  }];
  let arguments = (ins Gemma_Activation:$input, Gemma_WeightTensor:$weight,
                       Gemma_TokenIds:$positions, F32Attr:$eps,
                       DefaultValuedAttr<BoolAttr, "true">:$unit_offset,
                       I64Attr:$head_dim, F64Attr:$theta);
  let results = (outs Gemma_Activation:$result);
  let assemblyFormat = [{
    $input `,` $weight `,` $positions attr-dict `:` type($input) `,`
    type($weight) `,` type($positions)
  }];
  let hasVerifier = 1;
}

#endif // GEMMA_OPS
