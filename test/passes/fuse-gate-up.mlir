// RUN: gemmac-opt %s --split-input-file --gemma-fuse-gate-up | FileCheck %s

// CHECK-LABEL: func.func @mlp
// CHECK:       %[[P:.*]]:2 = gemma.fused_linear %arg0 [%{{.*}}, %{{.*}}] : tensor<?x64xf32>, [tensor<128x64xbf16>, tensor<128x64xbf16>] -> tensor<?x128xf32>, tensor<?x128xf32>
// CHECK-NEXT:  %[[M:.*]] = gemma.gelu_tanh_mul %[[P]]#0, %[[P]]#1 : tensor<?x128xf32>
// CHECK-NEXT:  return %[[M]]
func.func @mlp(%x: tensor<?x64xf32>) -> tensor<?x128xf32> {
  %wg = gemma.weight "gate" : tensor<128x64xbf16>
  %g = gemma.linear %x, %wg : (tensor<?x64xf32>, tensor<128x64xbf16>) -> tensor<?x128xf32>
  %ga = gemma.gelu_tanh %g : tensor<?x128xf32>
  %wu = gemma.weight "up" : tensor<128x64xbf16>
  %u = gemma.linear %x, %wu : (tensor<?x64xf32>, tensor<128x64xbf16>) -> tensor<?x128xf32>
  %m = gemma.mul %u, %ga : tensor<?x128xf32>
  return %m : tensor<?x128xf32>
}

// -----

// The GELU output is used elsewhere: it must stay.
// CHECK-LABEL: func.func @gelu_used_elsewhere
// CHECK-NOT:   gemma.gelu_tanh_mul
// CHECK:       gemma.gelu_tanh
func.func @gelu_used_elsewhere(%x: tensor<?x64xf32>) -> (tensor<?x128xf32>, tensor<?x128xf32>) {
  %wg = gemma.weight "gate" : tensor<128x64xbf16>
  %g = gemma.linear %x, %wg : (tensor<?x64xf32>, tensor<128x64xbf16>) -> tensor<?x128xf32>
  %ga = gemma.gelu_tanh %g : tensor<?x128xf32>
  %wu = gemma.weight "up" : tensor<128x64xbf16>
  %u = gemma.linear %x, %wu : (tensor<?x64xf32>, tensor<128x64xbf16>) -> tensor<?x128xf32>
  %m = gemma.mul %ga, %u : tensor<?x128xf32>
  return %m, %ga : tensor<?x128xf32>, tensor<?x128xf32>
}

// -----

// gate and up project different inputs.
// CHECK-LABEL: func.func @different_inputs
// CHECK-NOT:   gemma.fused_linear
func.func @different_inputs(%x: tensor<?x64xf32>, %y: tensor<?x64xf32>) -> tensor<?x128xf32> {
  %wg = gemma.weight "gate" : tensor<128x64xbf16>
  %g = gemma.linear %x, %wg : (tensor<?x64xf32>, tensor<128x64xbf16>) -> tensor<?x128xf32>
  %ga = gemma.gelu_tanh %g : tensor<?x128xf32>
  %wu = gemma.weight "up" : tensor<128x64xbf16>
  %u = gemma.linear %y, %wu : (tensor<?x64xf32>, tensor<128x64xbf16>) -> tensor<?x128xf32>
  %m = gemma.mul %ga, %u : tensor<?x128xf32>
  return %m : tensor<?x128xf32>
}
