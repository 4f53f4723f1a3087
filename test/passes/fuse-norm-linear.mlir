// RUN: gemmac-opt %s --split-input-file --gemma-fuse-norm-linear | FileCheck %s

// A norm read by two linears and a fused_linear: one fused op carries the norm
// and all weights, results in program order.
// CHECK-LABEL: func.func @projections
// CHECK-DAG:   %[[N:.*]] = gemma.weight "norm"
// CHECK-DAG:   %[[A:.*]] = gemma.weight "a"
// CHECK-DAG:   %[[B:.*]] = gemma.weight "b"
// CHECK-DAG:   %[[C:.*]] = gemma.weight "c"
// CHECK:       %[[F:.*]]:3 = gemma.fused_linear %arg0 norm(%[[N]] : tensor<64xbf16>) [%[[A]], %[[B]], %[[C]]] {norm_eps = 9.99999997E-7 : f32} : tensor<?x64xf32>, [tensor<16x64xbf16>, tensor<32x64xbf16>, tensor<8x64xbf16>] -> tensor<?x16xf32>, tensor<?x32xf32>, tensor<?x8xf32>
// CHECK-NEXT:  return %[[F]]#0, %[[F]]#1, %[[F]]#2
func.func @projections(%x: tensor<?x64xf32>) -> (tensor<?x16xf32>, tensor<?x32xf32>, tensor<?x8xf32>) {
  %wn = gemma.weight "norm" : tensor<64xbf16>
  %h = gemma.rms_norm %x, %wn {eps = 1.0e-06 : f32} : tensor<?x64xf32>, tensor<64xbf16>
  %wa = gemma.weight "a" : tensor<16x64xbf16>
  %a = gemma.linear %h, %wa : (tensor<?x64xf32>, tensor<16x64xbf16>) -> tensor<?x16xf32>
  %wb = gemma.weight "b" : tensor<32x64xbf16>
  %wc = gemma.weight "c" : tensor<8x64xbf16>
  %bc:2 = gemma.fused_linear %h [%wb, %wc] : tensor<?x64xf32>, [tensor<32x64xbf16>, tensor<8x64xbf16>] -> tensor<?x32xf32>, tensor<?x8xf32>
  return %a, %bc#0, %bc#1 : tensor<?x16xf32>, tensor<?x32xf32>, tensor<?x8xf32>
}

// -----

// The normalized value also feeds the logits: the norm must stay.
// CHECK-LABEL: func.func @other_consumer
// CHECK:       gemma.rms_norm
// CHECK-NOT:   gemma.fused_linear
func.func @other_consumer(%x: tensor<?x64xf32>) -> (tensor<?x16xf32>, tensor<?x100xf32>) {
  %wn = gemma.weight "norm" : tensor<64xbf16>
  %h = gemma.rms_norm %x, %wn {eps = 1.0e-06 : f32} : tensor<?x64xf32>, tensor<64xbf16>
  %wa = gemma.weight "a" : tensor<16x64xbf16>
  %a = gemma.linear %h, %wa : (tensor<?x64xf32>, tensor<16x64xbf16>) -> tensor<?x16xf32>
  %t = gemma.weight "table" : tensor<100x64xbf16>
  %l = gemma.logits %h, %t : (tensor<?x64xf32>, tensor<100x64xbf16>) -> tensor<?x100xf32>
  return %a, %l : tensor<?x16xf32>, tensor<?x100xf32>
}

// -----

// A fused_linear that already has a norm is not normalized twice.
// CHECK-LABEL: func.func @already_normalized
// CHECK:       gemma.rms_norm
func.func @already_normalized(%x: tensor<?x64xf32>) -> tensor<?x16xf32> {
  %wn = gemma.weight "norm" : tensor<64xbf16>
  %h = gemma.rms_norm %x, %wn {eps = 1.0e-06 : f32} : tensor<?x64xf32>, tensor<64xbf16>
  %wa = gemma.weight "a" : tensor<16x64xbf16>
  %a = gemma.fused_linear %h norm(%wn : tensor<64xbf16>) [%wa] {norm_eps = 1.0e-06 : f32} : tensor<?x64xf32>, [tensor<16x64xbf16>] -> tensor<?x16xf32>
  return %a : tensor<?x16xf32>
}
