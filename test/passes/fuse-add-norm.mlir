// RUN: gemmac-opt %s --split-input-file --gemma-fuse-add-norm | FileCheck %s

// The sum stays available for the next residual.
// CHECK-LABEL: func.func @residual
// CHECK:       %[[W:.*]] = gemma.weight "norm"
// CHECK-NEXT:  %[[S:.*]], %[[N:.*]] = gemma.add_rms_norm %arg0, %arg1, %[[W]] {eps = 9.99999997E-7 : f32} : tensor<?x64xf32>, tensor<64xbf16>
// CHECK-NEXT:  %[[R:.*]] = gemma.add %[[S]], %[[N]]
func.func @residual(%x: tensor<?x64xf32>, %o: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %s = gemma.add %x, %o : tensor<?x64xf32>
  %w = gemma.weight "norm" : tensor<64xbf16>
  %n = gemma.rms_norm %s, %w {eps = 1.0e-06 : f32} : tensor<?x64xf32>, tensor<64xbf16>
  %r = gemma.add %s, %n : tensor<?x64xf32>
  return %r : tensor<?x64xf32>
}

// -----

// Two norms of one sum: neither is fused.
// CHECK-LABEL: func.func @two_norms
// CHECK-NOT:   gemma.add_rms_norm
func.func @two_norms(%x: tensor<?x64xf32>, %o: tensor<?x64xf32>) -> (tensor<?x64xf32>, tensor<?x64xf32>) {
  %s = gemma.add %x, %o : tensor<?x64xf32>
  %w1 = gemma.weight "norm1" : tensor<64xbf16>
  %n1 = gemma.rms_norm %s, %w1 {eps = 1.0e-06 : f32} : tensor<?x64xf32>, tensor<64xbf16>
  %w2 = gemma.weight "norm2" : tensor<64xbf16>
  %n2 = gemma.rms_norm %s, %w2 {eps = 1.0e-06 : f32} : tensor<?x64xf32>, tensor<64xbf16>
  return %n1, %n2 : tensor<?x64xf32>, tensor<?x64xf32>
}

// -----

// A norm of something other than a sum, and a sum without a norm.
// CHECK-LABEL: func.func @no_sum
// CHECK-NOT:   gemma.add_rms_norm
func.func @no_sum(%x: tensor<?x64xf32>, %o: tensor<?x64xf32>) -> (tensor<?x64xf32>, tensor<?x64xf32>) {
  %w = gemma.weight "norm" : tensor<64xbf16>
  %n = gemma.rms_norm %x, %w {eps = 1.0e-06 : f32} : tensor<?x64xf32>, tensor<64xbf16>
  %s = gemma.add %n, %o : tensor<?x64xf32>
  return %n, %s : tensor<?x64xf32>, tensor<?x64xf32>
}
