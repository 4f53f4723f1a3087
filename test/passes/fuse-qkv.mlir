// RUN: gemmac-opt %s --split-input-file --gemma-fuse-qkv | FileCheck %s

// Grouped-query attention (2 heads, 1 KV head of 32): one fused op with a
// 64-wide q and 32-wide k and v; the q/k norm and RoPE stay on their results.
// CHECK-LABEL: func.func @gqa
// CHECK-DAG:   %[[WQ:.*]] = gemma.weight "q"
// CHECK-DAG:   %[[WK:.*]] = gemma.weight "k"
// CHECK-DAG:   %[[WV:.*]] = gemma.weight "v"
// CHECK:       %[[P:.*]]:3 = gemma.fused_linear %arg0 [%[[WQ]], %[[WK]], %[[WV]]] : tensor<?x64xf32>, [tensor<64x64xbf16>, tensor<32x64xbf16>, tensor<32x64xbf16>] -> tensor<?x64xf32>, tensor<?x32xf32>, tensor<?x32xf32>
// CHECK:       %[[QN:.*]] = gemma.rms_norm %[[P]]#0
// CHECK:       %[[QR:.*]] = gemma.rope %[[QN]]
// CHECK:       %[[KR:.*]] = gemma.rope %[[P]]#1
// CHECK:       gemma.attention %[[QR]], %[[KR]], %[[P]]#2
// CHECK-NOT:   gemma.linear
func.func @gqa(%x: tensor<?x64xf32>, %pos: tensor<?xi32>) -> tensor<?x64xf32> {
  %wq = gemma.weight "q" : tensor<64x64xbf16>
  %q = gemma.linear %x, %wq : (tensor<?x64xf32>, tensor<64x64xbf16>) -> tensor<?x64xf32>
  %wk = gemma.weight "k" : tensor<32x64xbf16>
  %k = gemma.linear %x, %wk : (tensor<?x64xf32>, tensor<32x64xbf16>) -> tensor<?x32xf32>
  %wv = gemma.weight "v" : tensor<32x64xbf16>
  %v = gemma.linear %x, %wv : (tensor<?x64xf32>, tensor<32x64xbf16>) -> tensor<?x32xf32>
  %wn = gemma.weight "q_norm" : tensor<32xbf16>
  %qn = gemma.rms_norm %q, %wn {eps = 1.0e-06 : f32} : tensor<?x64xf32>, tensor<32xbf16>
  %qr = gemma.rope %qn, %pos {head_dim = 32 : i64, theta = 1.0e+04 : f64} : tensor<?x64xf32>, tensor<?xi32>
  %kr = gemma.rope %k, %pos {head_dim = 32 : i64, theta = 1.0e+04 : f64} : tensor<?x32xf32>, tensor<?xi32>
  %a = gemma.attention %qr, %kr, %v, %pos {head_dim = 32 : i64, kv_cache = 0 : i64, num_heads = 2 : i64, num_kv_heads = 1 : i64, scale = 0.125 : f32, window = 0 : i64} : (tensor<?x64xf32>, tensor<?x32xf32>, tensor<?x32xf32>, tensor<?xi32>) -> tensor<?x64xf32>
  return %a : tensor<?x64xf32>
}

// -----

// v projects another input: nothing to fuse.
// CHECK-LABEL: func.func @different_inputs
// CHECK-NOT:   gemma.fused_linear
// CHECK-COUNT-3: gemma.linear
func.func @different_inputs(%x: tensor<?x64xf32>, %y: tensor<?x64xf32>, %pos: tensor<?xi32>) -> tensor<?x64xf32> {
  %wq = gemma.weight "q" : tensor<64x64xbf16>
  %q = gemma.linear %x, %wq : (tensor<?x64xf32>, tensor<64x64xbf16>) -> tensor<?x64xf32>
  %wk = gemma.weight "k" : tensor<32x64xbf16>
  %k = gemma.linear %x, %wk : (tensor<?x64xf32>, tensor<32x64xbf16>) -> tensor<?x32xf32>
  %wv = gemma.weight "v" : tensor<32x64xbf16>
  %v = gemma.linear %y, %wv : (tensor<?x64xf32>, tensor<32x64xbf16>) -> tensor<?x32xf32>
  %a = gemma.attention %q, %k, %v, %pos {head_dim = 32 : i64, kv_cache = 0 : i64, num_heads = 2 : i64, num_kv_heads = 1 : i64, scale = 0.125 : f32, window = 0 : i64} : (tensor<?x64xf32>, tensor<?x32xf32>, tensor<?x32xf32>, tensor<?xi32>) -> tensor<?x64xf32>
  return %a : tensor<?x64xf32>
}

// -----

// k and v are one projection (shared key/value): not three projections.
// CHECK-LABEL: func.func @shared_kv
// CHECK-NOT:   gemma.fused_linear
func.func @shared_kv(%x: tensor<?x64xf32>, %pos: tensor<?xi32>) -> tensor<?x64xf32> {
  %wq = gemma.weight "q" : tensor<64x64xbf16>
  %q = gemma.linear %x, %wq : (tensor<?x64xf32>, tensor<64x64xbf16>) -> tensor<?x64xf32>
  %wk = gemma.weight "kv" : tensor<32x64xbf16>
  %kv = gemma.linear %x, %wk : (tensor<?x64xf32>, tensor<32x64xbf16>) -> tensor<?x32xf32>
  %a = gemma.attention %q, %kv, %kv, %pos {head_dim = 32 : i64, kv_cache = 0 : i64, num_heads = 2 : i64, num_kv_heads = 1 : i64, scale = 0.125 : f32, window = 0 : i64} : (tensor<?x64xf32>, tensor<?x32xf32>, tensor<?x32xf32>, tensor<?xi32>) -> tensor<?x64xf32>
  return %a : tensor<?x64xf32>
}

// -----

// q is not a projection (e.g. a residual): nothing to fuse.
// CHECK-LABEL: func.func @not_projected
// CHECK-NOT:   gemma.fused_linear
func.func @not_projected(%x: tensor<?x64xf32>, %pos: tensor<?xi32>) -> tensor<?x64xf32> {
  %wk = gemma.weight "k" : tensor<32x64xbf16>
  %k = gemma.linear %x, %wk : (tensor<?x64xf32>, tensor<32x64xbf16>) -> tensor<?x32xf32>
  %wv = gemma.weight "v" : tensor<32x64xbf16>
  %v = gemma.linear %x, %wv : (tensor<?x64xf32>, tensor<32x64xbf16>) -> tensor<?x32xf32>
  %a = gemma.attention %x, %k, %v, %pos {head_dim = 32 : i64, kv_cache = 0 : i64, num_heads = 2 : i64, num_kv_heads = 1 : i64, scale = 0.125 : f32, window = 0 : i64} : (tensor<?x64xf32>, tensor<?x32xf32>, tensor<?x32xf32>, tensor<?xi32>) -> tensor<?x64xf32>
  return %a : tensor<?x64xf32>
}
