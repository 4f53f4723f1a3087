// RUN: gemmac-opt %s -split-input-file -verify-diagnostics

// One case per verifier rule of the gemma dialect and its module attributes.

// expected-error @+1 {{'gemma.weight' op expects a non-empty tensor name}}
%w = gemma.weight "" : tensor<64xbf16>

// -----

// expected-error @+1 {{'gemma.weight' op expects a statically shaped tensor, got 'tensor<?xbf16>'}}
%w = gemma.weight "model.norm.weight" : tensor<?xbf16>

// -----

// expected-error @+1 {{'gemma.weight' op expects a rank-1 or rank-2 tensor, got 'tensor<2x3x4xbf16>'}}
%w = gemma.weight "model.norm.weight" : tensor<2x3x4xbf16>

// -----

// expected-error @+1 {{'gemma.weight' op expects a bf16, f16 or f32 element type, got 'f64'}}
%w = gemma.weight "model.norm.weight" : tensor<64xf64>

// -----

// expected-error @+1 {{'gemma.weight' op expects a bf16, f16 or f32 element type, got 'i8'}}
%w = gemma.weight "model.norm.weight" : tensor<64xi8>

// -----

func.func @f(%ids: tensor<?xi32>, %t: tensor<100x64xbf16>) {
  // expected-error @+1 {{'gemma.embed' op expects the result width 32 to equal the table's embedding width 64}}
  %x = gemma.embed %ids, %t {scale = 8.0 : f32} : (tensor<?xi32>, tensor<100x64xbf16>) -> tensor<?x32xf32>
  return
}

// -----

func.func @f(%ids: tensor<?xi32>, %t: tensor<100xbf16>) {
  // expected-error @+1 {{'gemma.embed' op expects the table to be a static rank-2 tensor, got 'tensor<100xbf16>'}}
  %x = gemma.embed %ids, %t {scale = 8.0 : f32} : (tensor<?xi32>, tensor<100xbf16>) -> tensor<?x64xf32>
  return
}

// -----

func.func @f(%ids: tensor<3xi32>, %t: tensor<100x64xbf16>) {
  // expected-error @+1 {{'gemma.embed' op expects the same token count in all operands and results, got 3 and 4}}
  %x = gemma.embed %ids, %t {scale = 8.0 : f32} : (tensor<3xi32>, tensor<100x64xbf16>) -> tensor<4x64xf32>
  return
}

// -----

func.func @f(%ids: tensor<?xi64>, %t: tensor<100x64xbf16>) {
  // expected-error @+1 {{'gemma.embed' op operand #0 must be 1D tensor of 32-bit signless integer values}}
  %x = gemma.embed %ids, %t {scale = 8.0 : f32} : (tensor<?xi64>, tensor<100x64xbf16>) -> tensor<?x64xf32>
  return
}

// -----

func.func @f(%x: tensor<?x64xf32>, %t: tensor<100x32xbf16>) {
  // expected-error @+1 {{'gemma.logits' op expects the input width 64 to equal the table's embedding width 32}}
  %l = gemma.logits %x, %t : (tensor<?x64xf32>, tensor<100x32xbf16>) -> tensor<?x100xf32>
  return
}

// -----

func.func @f(%x: tensor<?x64xf32>, %t: tensor<100x64xbf16>) {
  // expected-error @+1 {{'gemma.logits' op expects the result width 99 to equal the table's vocabulary size 100}}
  %l = gemma.logits %x, %t : (tensor<?x64xf32>, tensor<100x64xbf16>) -> tensor<?x99xf32>
  return
}

// -----

func.func @f(%x: tensor<?x64xf32>, %t: tensor<100x64xbf16>) {
  // expected-error @+1 {{'gemma.logits' op expects softcap > 0, got 0}}
  %l = gemma.logits %x, %t {softcap = 0.0 : f32} : (tensor<?x64xf32>, tensor<100x64xbf16>) -> tensor<?x100xf32>
  return
}

// -----

func.func @f(%x: tensor<?x?xf32>, %t: tensor<100x64xbf16>) {
  // expected-error @+1 {{'gemma.logits' op expects the input to have a static feature width, got 'tensor<?x?xf32>'}}
  %l = gemma.logits %x, %t : (tensor<?x?xf32>, tensor<100x64xbf16>) -> tensor<?x100xf32>
  return
}

// -----

func.func @f(%x: tensor<?x64xf32>, %w: tensor<24xbf16>) {
  // expected-error @+1 {{'gemma.rms_norm' op expects the input width 64 to be a multiple of the weight length 24}}
  %y = gemma.rms_norm %x, %w {eps = 1.0e-6 : f32} : tensor<?x64xf32>, tensor<24xbf16>
  return
}

// -----

func.func @f(%x: tensor<?x64xf32>, %w: tensor<64x1xbf16>) {
  // expected-error @+1 {{'gemma.rms_norm' op expects the weight to be a static rank-1 tensor, got 'tensor<64x1xbf16>'}}
  %y = gemma.rms_norm %x, %w {eps = 1.0e-6 : f32} : tensor<?x64xf32>, tensor<64x1xbf16>
  return
}

// -----

func.func @f(%x: tensor<?x64xf32>, %w: tensor<64xbf16>) {
  // expected-error @+1 {{'gemma.rms_norm' op expects eps >= 0, got -1}}
  %y = gemma.rms_norm %x, %w {eps = -1.0 : f32} : tensor<?x64xf32>, tensor<64xbf16>
  return
}

// -----

func.func @f(%x: tensor<?x64xf16>, %w: tensor<64xbf16>) {
  // expected-error @+1 {{'gemma.rms_norm' op operand #0 must be 2D tensor of 32-bit float values}}
  %y = gemma.rms_norm %x, %w {eps = 1.0e-6 : f32} : tensor<?x64xf16>, tensor<64xbf16>
  return
}

// -----

func.func @f(%x: tensor<?x64xf32>, %w: tensor<32x48xbf16>) {
  // expected-error @+1 {{'gemma.linear' op expects the input width 64 to equal the weight's in-features (dim 1) 48}}
  %y = gemma.linear %x, %w : (tensor<?x64xf32>, tensor<32x48xbf16>) -> tensor<?x32xf32>
  return
}

// -----

func.func @f(%x: tensor<?x64xf32>, %w: tensor<32x64xbf16>) {
  // expected-error @+1 {{'gemma.linear' op expects the result width 64 to equal the weight's out-features (dim 0) 32}}
  %y = gemma.linear %x, %w : (tensor<?x64xf32>, tensor<32x64xbf16>) -> tensor<?x64xf32>
  return
}

// -----

func.func @f(%x: tensor<?x64xf32>, %w: tensor<?x64xbf16>) {
  // expected-error @+1 {{'gemma.linear' op expects the weight to be a static rank-2 tensor, got 'tensor<?x64xbf16>'}}
  %y = gemma.linear %x, %w : (tensor<?x64xf32>, tensor<?x64xbf16>) -> tensor<?x32xf32>
  return
}

// -----

func.func @f(%x: tensor<2x64xf32>, %w: tensor<32x64xbf16>) {
  // expected-error @+1 {{'gemma.linear' op expects the same token count in all operands and results, got 2 and 1}}
  %y = gemma.linear %x, %w : (tensor<2x64xf32>, tensor<32x64xbf16>) -> tensor<1x32xf32>
  return
}

// -----

func.func @f(%x: tensor<?x64xf32>, %pos: tensor<?xi32>) {
  // expected-error @+1 {{'gemma.rope' op expects a positive, even head_dim, got 15}}
  %y = gemma.rope %x, %pos {head_dim = 15 : i64, theta = 10000.0 : f64} : tensor<?x64xf32>, tensor<?xi32>
  return
}

// -----

func.func @f(%x: tensor<?x64xf32>, %pos: tensor<?xi32>) {
  // expected-error @+1 {{'gemma.rope' op expects a positive, even head_dim, got 0}}
  %y = gemma.rope %x, %pos {head_dim = 0 : i64, theta = 10000.0 : f64} : tensor<?x64xf32>, tensor<?xi32>
  return
}

// -----

func.func @f(%x: tensor<?x64xf32>, %pos: tensor<?xi32>) {
  // expected-error @+1 {{'gemma.rope' op expects the input width 64 to be a multiple of head_dim 48}}
  %y = gemma.rope %x, %pos {head_dim = 48 : i64, theta = 10000.0 : f64} : tensor<?x64xf32>, tensor<?xi32>
  return
}

// -----

func.func @f(%x: tensor<?x64xf32>, %pos: tensor<?xi32>) {
  // expected-error @+1 {{'gemma.rope' op expects theta > 0, got -1}}
  %y = gemma.rope %x, %pos {head_dim = 32 : i64, theta = -1.0 : f64} : tensor<?x64xf32>, tensor<?xi32>
  return
}

// -----

func.func @f(%x: tensor<5x64xf32>, %pos: tensor<4xi32>) {
  // expected-error @+1 {{'gemma.rope' op expects the same token count in all operands and results, got 5 and 4}}
  %y = gemma.rope %x, %pos {head_dim = 32 : i64, theta = 10000.0 : f64} : tensor<5x64xf32>, tensor<4xi32>
  return
}

// -----

func.func @f(%q: tensor<?x64xf32>, %kv: tensor<?x32xf32>, %pos: tensor<?xi32>) {
  // expected-error @+1 {{'gemma.attention' op expects positive num_heads, num_kv_heads and head_dim, got 2, 0 and 32}}
  %a = gemma.attention %q, %kv, %kv, %pos {num_heads = 2 : i64, num_kv_heads = 0 : i64, head_dim = 32 : i64, scale = 0.0625 : f32, window = 0 : i64, kv_cache = 0 : i64} : (tensor<?x64xf32>, tensor<?x32xf32>, tensor<?x32xf32>, tensor<?xi32>) -> tensor<?x64xf32>
  return
}

// -----

func.func @f(%q: tensor<?x96xf32>, %kv: tensor<?x64xf32>, %pos: tensor<?xi32>) {
  // expected-error @+1 {{'gemma.attention' op expects num_heads 3 to be a multiple of num_kv_heads 2}}
  %a = gemma.attention %q, %kv, %kv, %pos {num_heads = 3 : i64, num_kv_heads = 2 : i64, head_dim = 32 : i64, scale = 0.0625 : f32, window = 0 : i64, kv_cache = 0 : i64} : (tensor<?x96xf32>, tensor<?x64xf32>, tensor<?x64xf32>, tensor<?xi32>) -> tensor<?x96xf32>
  return
}

// -----

func.func @f(%q: tensor<?x32xf32>, %kv: tensor<?x32xf32>, %pos: tensor<?xi32>) {
  // expected-error @+1 {{'gemma.attention' op expects q to have width 64 (heads x head_dim), got 32}}
  %a = gemma.attention %q, %kv, %kv, %pos {num_heads = 2 : i64, num_kv_heads = 1 : i64, head_dim = 32 : i64, scale = 0.0625 : f32, window = 0 : i64, kv_cache = 0 : i64} : (tensor<?x32xf32>, tensor<?x32xf32>, tensor<?x32xf32>, tensor<?xi32>) -> tensor<?x64xf32>
  return
}

// -----

func.func @f(%q: tensor<?x64xf32>, %k: tensor<?x64xf32>, %v: tensor<?x32xf32>, %pos: tensor<?xi32>) {
  // expected-error @+1 {{'gemma.attention' op expects k to have width 32 (heads x head_dim), got 64}}
  %a = gemma.attention %q, %k, %v, %pos {num_heads = 2 : i64, num_kv_heads = 1 : i64, head_dim = 32 : i64, scale = 0.0625 : f32, window = 0 : i64, kv_cache = 0 : i64} : (tensor<?x64xf32>, tensor<?x64xf32>, tensor<?x32xf32>, tensor<?xi32>) -> tensor<?x64xf32>
  return
}

// -----

func.func @f(%q: tensor<?x64xf32>, %k: tensor<?x32xf32>, %v: tensor<?x16xf32>, %pos: tensor<?xi32>) {
  // expected-error @+1 {{'gemma.attention' op expects v to have width 32 (heads x head_dim), got 16}}
  %a = gemma.attention %q, %k, %v, %pos {num_heads = 2 : i64, num_kv_heads = 1 : i64, head_dim = 32 : i64, scale = 0.0625 : f32, window = 0 : i64, kv_cache = 0 : i64} : (tensor<?x64xf32>, tensor<?x32xf32>, tensor<?x16xf32>, tensor<?xi32>) -> tensor<?x64xf32>
  return
}

// -----

func.func @f(%q: tensor<?x64xf32>, %kv: tensor<?x32xf32>, %pos: tensor<?xi32>) {
  // expected-error @+1 {{'gemma.attention' op expects the result to have width 64 (heads x head_dim), got 32}}
  %a = gemma.attention %q, %kv, %kv, %pos {num_heads = 2 : i64, num_kv_heads = 1 : i64, head_dim = 32 : i64, scale = 0.0625 : f32, window = 0 : i64, kv_cache = 0 : i64} : (tensor<?x64xf32>, tensor<?x32xf32>, tensor<?x32xf32>, tensor<?xi32>) -> tensor<?x32xf32>
  return
}

// -----

func.func @f(%q: tensor<?x64xf32>, %kv: tensor<?x32xf32>, %pos: tensor<?xi32>) {
  // expected-error @+1 {{'gemma.attention' op expects window >= 0 (0 = global), got -1}}
  %a = gemma.attention %q, %kv, %kv, %pos {num_heads = 2 : i64, num_kv_heads = 1 : i64, head_dim = 32 : i64, scale = 0.0625 : f32, window = -1 : i64, kv_cache = 0 : i64} : (tensor<?x64xf32>, tensor<?x32xf32>, tensor<?x32xf32>, tensor<?xi32>) -> tensor<?x64xf32>
  return
}

// -----

func.func @f(%q: tensor<?x64xf32>, %kv: tensor<?x32xf32>, %pos: tensor<?xi32>) {
  // expected-error @+1 {{'gemma.attention' op expects kv_cache >= 0, got -2}}
  %a = gemma.attention %q, %kv, %kv, %pos {num_heads = 2 : i64, num_kv_heads = 1 : i64, head_dim = 32 : i64, scale = 0.0625 : f32, window = 0 : i64, kv_cache = -2 : i64} : (tensor<?x64xf32>, tensor<?x32xf32>, tensor<?x32xf32>, tensor<?xi32>) -> tensor<?x64xf32>
  return
}

// -----

func.func @f(%q: tensor<?x64xf32>, %kv: tensor<?x32xf32>, %pos: tensor<?xi32>) {
  // expected-error @+1 {{'gemma.attention' op expects softcap > 0, got -5}}
  %a = gemma.attention %q, %kv, %kv, %pos {num_heads = 2 : i64, num_kv_heads = 1 : i64, head_dim = 32 : i64, scale = 0.0625 : f32, window = 0 : i64, kv_cache = 0 : i64, softcap = -5.0 : f32} : (tensor<?x64xf32>, tensor<?x32xf32>, tensor<?x32xf32>, tensor<?xi32>) -> tensor<?x64xf32>
  return
}

// -----

func.func @f(%q: tensor<3x64xf32>, %kv: tensor<3x32xf32>, %pos: tensor<2xi32>) {
  // expected-error @+1 {{'gemma.attention' op expects the same token count in all operands and results, got 3 and 2}}
  %a = gemma.attention %q, %kv, %kv, %pos {num_heads = 2 : i64, num_kv_heads = 1 : i64, head_dim = 32 : i64, scale = 0.0625 : f32, window = 0 : i64, kv_cache = 0 : i64} : (tensor<3x64xf32>, tensor<3x32xf32>, tensor<3x32xf32>, tensor<2xi32>) -> tensor<3x64xf32>
  return
}

// -----

func.func @f(%q: tensor<?x64xf32>, %kv: tensor<?x32xf32>, %pos: tensor<?xi32>) {
  // expected-error @+1 {{'gemma.attention' op requires attribute 'kv_cache'}}
  %a = gemma.attention %q, %kv, %kv, %pos {num_heads = 2 : i64, num_kv_heads = 1 : i64, head_dim = 32 : i64, scale = 0.0625 : f32, window = 0 : i64} : (tensor<?x64xf32>, tensor<?x32xf32>, tensor<?x32xf32>, tensor<?xi32>) -> tensor<?x64xf32>
  return
}

// -----

func.func @f(%a: tensor<?x64xf32>, %b: tensor<?x32xf32>) {
  // expected-error @+1 {{'gemma.add' op requires the same type for all operands and results}}
  %c = "gemma.add"(%a, %b) : (tensor<?x64xf32>, tensor<?x32xf32>) -> tensor<?x64xf32>
  return
}

// -----

func.func @f(%a: tensor<?x64xf32>, %b: tensor<?x64xf32>) {
  // expected-error @+1 {{'gemma.mul' op requires the same type for all operands and results}}
  %c = "gemma.mul"(%a, %b) : (tensor<?x64xf32>, tensor<?x64xf32>) -> tensor<?x32xf32>
  return
}

// -----

func.func @f(%a: tensor<?x64xi32>) {
  // expected-error @+1 {{'gemma.gelu_tanh' op operand #0 must be 2D tensor of 32-bit float values}}
  %c = gemma.gelu_tanh %a : tensor<?x64xi32>
  return
}

// -----

// expected-error @+1 {{'gemma.config' must be a dictionary of model facts}}
module attributes {gemma.config = "gemma3_text"} {}

// -----

// expected-error @+1 {{'gemma.weights' must be a non-empty string (the safetensors path)}}
module attributes {gemma.weights = ""} {}

// -----

// expected-error @+1 {{unknown gemma attribute 'gemma.weight_path'}}
module attributes {gemma.weight_path = "x"} {}

// -----

func.func @f(%q: tensor<?x256xf32>, %pos: tensor<?xi32>) {
  // expected-error @+1 {{expects kv_kind and kv_slots together}}
  %0 = gemma.attention %q, %q, %q, %pos {head_dim = 256 : i64, kv_cache = 0 : i64, kv_kind = "ring", num_heads = 1 : i64, num_kv_heads = 1 : i64, scale = 6.250000e-02 : f32, window = 16 : i64} : (tensor<?x256xf32>, tensor<?x256xf32>, tensor<?x256xf32>, tensor<?xi32>) -> tensor<?x256xf32>
  return
}

// -----

func.func @f(%q: tensor<?x256xf32>, %pos: tensor<?xi32>) {
  // expected-error @+1 {{expects a ring kv cache to hold a window > 0 (window 0, kv_slots 64)}}
  %0 = gemma.attention %q, %q, %q, %pos {head_dim = 256 : i64, kv_cache = 0 : i64, kv_kind = "ring", kv_slots = 64 : i64, num_heads = 1 : i64, num_kv_heads = 1 : i64, scale = 6.250000e-02 : f32, window = 0 : i64} : (tensor<?x256xf32>, tensor<?x256xf32>, tensor<?x256xf32>, tensor<?xi32>) -> tensor<?x256xf32>
  return
}

// -----

func.func @f(%q: tensor<?x256xf32>, %pos: tensor<?xi32>) {
  // expected-error @+1 {{expects kv_kind "ring" or "full", got "paged"}}
  %0 = gemma.attention %q, %q, %q, %pos {head_dim = 256 : i64, kv_cache = 0 : i64, kv_kind = "paged", kv_slots = 64 : i64, num_heads = 1 : i64, num_kv_heads = 1 : i64, scale = 6.250000e-02 : f32, window = 0 : i64} : (tensor<?x256xf32>, tensor<?x256xf32>, tensor<?x256xf32>, tensor<?xi32>) -> tensor<?x256xf32>
  return
}

// -----

func.func @f(%x: tensor<?x64xf32>, %w: tensor<16x64xbf16>) {
  // expected-error @+1 {{expects one result per weight, got 2 results for 1 weights}}
  %r:2 = gemma.fused_linear %x [%w] : tensor<?x64xf32>, [tensor<16x64xbf16>] -> tensor<?x16xf32>, tensor<?x16xf32>
  return
}

// -----

func.func @f(%x: tensor<?x64xf32>, %w: tensor<16x64xbf16>, %n: tensor<64xbf16>) {
  // expected-error @+1 {{expects norm_eps with a norm weight}}
  %r = gemma.fused_linear %x norm(%n : tensor<64xbf16>) [%w] : tensor<?x64xf32>, [tensor<16x64xbf16>] -> tensor<?x16xf32>
  return
}

// -----

func.func @f(%x: tensor<?x64xf32>, %w: tensor<16x32xbf16>) {
  // expected-error @+1 {{'gemma.fused_linear' op expects the input width 64 to equal the weight's in-features (dim 1) 32}}
  %r = gemma.fused_linear %x [%w] : tensor<?x64xf32>, [tensor<16x32xbf16>] -> tensor<?x16xf32>
  return
}

// -----

func.func @f(%x: tensor<?x64xf32>, %w: tensor<16xbf16>, %pos: tensor<?xi32>) {
  // expected-error @+1 {{expects the norm weight length 16 to equal head_dim 32}}
  %r = gemma.rms_norm_rope %x, %w, %pos {eps = 1.0e-06 : f32, head_dim = 32 : i64, theta = 1.0e+04 : f64} : tensor<?x64xf32>, tensor<16xbf16>, tensor<?xi32>
  return
}

// -----

func.func @f(%x: tensor<?x64xf32>, %w: tensor<24xbf16>) {
  // expected-error @+1 {{'gemma.add_rms_norm' op expects the input width 64 to be a multiple of the weight length 24}}
  %s, %n = gemma.add_rms_norm %x, %x, %w {eps = 1.0e-06 : f32} : tensor<?x64xf32>, tensor<24xbf16>
  return
}
