// RUN: gemmac-opt %s -cse -canonicalize | FileCheck %s

// Weights and math ops are pure: duplicates fold away and dead ones vanish.
// gemma.attention writes the layer's KV cache, so it is kept even when its
// result is unused and is never merged with an identical call.

// CHECK-LABEL: func.func @effects
func.func @effects(%x: tensor<?x64xf32>, %pos: tensor<?xi32>) -> tensor<?x64xf32> {
  // CHECK-COUNT-1: gemma.weight "model.layers.0.self_attn.q_proj.weight"
  // CHECK-NOT: gemma.weight
  %w1 = gemma.weight "model.layers.0.self_attn.q_proj.weight" : tensor<64x64xbf16>
  %w2 = gemma.weight "model.layers.0.self_attn.q_proj.weight" : tensor<64x64xbf16>
  %wk = gemma.weight "model.layers.0.self_attn.k_proj.weight" : tensor<32x64xbf16>
  // CHECK: %[[Q:.*]] = gemma.linear
  // CHECK-NOT: gemma.linear
  %q1 = gemma.linear %x, %w1 : (tensor<?x64xf32>, tensor<64x64xbf16>) -> tensor<?x64xf32>
  %q2 = gemma.linear %x, %w2 : (tensor<?x64xf32>, tensor<64x64xbf16>) -> tensor<?x64xf32>
  %dead = gemma.linear %x, %wk : (tensor<?x64xf32>, tensor<32x64xbf16>) -> tensor<?x32xf32>
  %kv = gemma.gelu_tanh %q1 : tensor<?x64xf32>
  // CHECK: gemma.gelu_tanh
  // CHECK: gemma.attention
  // CHECK: %[[A:.*]] = gemma.attention
  %unused = gemma.attention %q1, %kv, %kv, %pos {num_heads = 1 : i64, num_kv_heads = 1 : i64, head_dim = 64 : i64, scale = 0.125 : f32, window = 0 : i64, kv_cache = 0 : i64} : (tensor<?x64xf32>, tensor<?x64xf32>, tensor<?x64xf32>, tensor<?xi32>) -> tensor<?x64xf32>
  %a = gemma.attention %q1, %kv, %kv, %pos {num_heads = 1 : i64, num_kv_heads = 1 : i64, head_dim = 64 : i64, scale = 0.125 : f32, window = 0 : i64, kv_cache = 0 : i64} : (tensor<?x64xf32>, tensor<?x64xf32>, tensor<?x64xf32>, tensor<?xi32>) -> tensor<?x64xf32>
  // CHECK: %[[S:.*]] = gemma.add %[[Q]], %[[A]]
  %s = gemma.add %q2, %a : tensor<?x64xf32>
  // CHECK: return %[[S]]
  return %s : tensor<?x64xf32>
}

// Default-valued unit_offset is elided; false is printed.
// CHECK-LABEL: func.func @plain_gain
// CHECK: gemma.rms_norm %{{.*}}, %{{.*}} {eps = 0.000000e+00 : f32, unit_offset = false} : tensor<?x64xf32>, tensor<64xf32>
func.func @plain_gain(%x: tensor<?x64xf32>, %w: tensor<64xf32>) -> tensor<?x64xf32> {
  %y = gemma.rms_norm %x, %w {eps = 0.0 : f32, unit_offset = false} : tensor<?x64xf32>, tensor<64xf32>
  return %y : tensor<?x64xf32>
}
