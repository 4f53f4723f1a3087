//===- GemmaBase.td - gemma dialect definition -------------*- tablegen -*-===//
//
// The gemma dialect models one Gemma 3 forward pass at the level of the Hugging
// Face reference: each op is one step of Gemma3ForCausalLM, so the importer is
// a transcription and fusion passes rewrite between named, verifiable steps.
//
//===----------------------------------------------------------------------===//
#ifndef GEMMA_BASE
#define GEMMA_BASE

include "mlir/IR/OpBase.td"

def Gemma_Dialect : Dialect {
  let name = "gemma";
  let cppNamespace = "::mlir::gemma";
  let summary = "Gemma 3 transformer steps over ranked tensors";
  let description = [{
    Values are builtin ranked tensors. Activations are `tensor<?xNxf32>`: one
    row per token (the token count is dynamic so one function serves prefill
    chunks and decode steps) and a static feature width N. Weights are static
    1-D or 2-D tensors of bf16, f16 or f32 produced by `gemma.weight`, which
    names a checkpoint tensor instead of inlining its data.

    Module attributes:
    - `gemma.config`: a dictionary of model facts (model_type, vocab_size,
      hidden_size, ..., stop_ids) that later stages and the runtime need;
    - `gemma.weights`: the path of the safetensors file the weight names refer to.
  }];
  let hasOperationAttrVerify = 1;
  let extraClassDeclaration = [{
    static constexpr llvm::StringLiteral kConfigAttrName = "gemma.config";
    static constexpr llvm::StringLiteral kWeightsAttrName = "gemma.weights";
  }];
}

class Gemma_Op<string mnemonic, list<Trait> traits = []>
    : Op<Gemma_Dialect, mnemonic, traits>;

// Operand kinds. Relations between shapes (widths, heads, groups) are checked by
// each op's C++ verifier, which can name the numbers involved.
def Gemma_Activation : TensorRankOf<[F32], [2]>;
def Gemma_TokenIds : TensorRankOf<[I32], [1]>;
def Gemma_WeightTensor : RankedTensorOf<[BF16, F16, F32]>;

#endif // GEMMA_BASE
