// RUN: gemmac-opt %s --split-input-file --gemma-fuse-norm-rope | FileCheck %s

// CHECK-LABEL: func.func @qk_norm
// CHECK:       %[[W:.*]] = gemma.weight "q_norm"
// CHECK-NEXT:  %[[R:.*]] = gemma.rms_norm_rope %arg0, %[[W]], %arg1 {eps = 9.99999997E-7 : f32, head_dim = 32 : i64, theta = 1.000000e+04 : f64} : tensor<?x64xf32>, tensor<32xbf16>, tensor<?xi32>
// CHECK-NEXT:  return %[[R]]
func.func @qk_norm(%q: tensor<?x64xf32>, %pos: tensor<?xi32>) -> tensor<?x64xf32> {
  %w = gemma.weight "q_norm" : tensor<32xbf16>
  %n = gemma.rms_norm %q, %w {eps = 1.0e-06 : f32} : tensor<?x64xf32>, tensor<32xbf16>
  %r = gemma.rope %n, %pos {head_dim = 32 : i64, theta = 1.0e+04 : f64} : tensor<?x64xf32>, tensor<?xi32>
  return %r : tensor<?x64xf32>
}

// -----

// A full-row norm is not per head.
// CHECK-LABEL: func.func @row_norm
// CHECK:       gemma.rms_norm
// CHECK-NEXT:  gemma.rope
func.func @row_norm(%q: tensor<?x64xf32>, %pos: tensor<?xi32>) -> tensor<?x64xf32> {
  %w = gemma.weight "norm" : tensor<64xbf16>
  %n = gemma.rms_norm %q, %w {eps = 1.0e-06 : f32} : tensor<?x64xf32>, tensor<64xbf16>
  %r = gemma.rope %n, %pos {head_dim = 32 : i64, theta = 1.0e+04 : f64} : tensor<?x64xf32>, tensor<?xi32>
  return %r : tensor<?x64xf32>
}

// -----

// The normalized value is used elsewhere.
// CHECK-LABEL: func.func @norm_used_elsewhere
// CHECK-NOT:   gemma.rms_norm_rope
func.func @norm_used_elsewhere(%q: tensor<?x64xf32>, %pos: tensor<?xi32>) -> (tensor<?x64xf32>, tensor<?x64xf32>) {
  %w = gemma.weight "q_norm" : tensor<32xbf16>
  %n = gemma.rms_norm %q, %w {eps = 1.0e-06 : f32} : tensor<?x64xf32>, tensor<32xbf16>
  %r = gemma.rope %n, %pos {head_dim = 32 : i64, theta = 1.0e+04 : f64} : tensor<?x64xf32>, tensor<?xi32>
  return %r, %n : tensor<?x64xf32>, tensor<?x64xf32>
}
