// RUN: gemmac-opt %s | FileCheck %s
// RUN: gemmac-opt %s | gemmac-opt | FileCheck %s
// RUN: gemmac-opt %s --mlir-print-op-generic | gemmac-opt | FileCheck %s

// One decoder layer of a tiny Gemma 3 (hidden 64, 2 query heads and 1 KV head
// of 32, MLP 128, vocab 100) in the form the importer emits.

// CHECK: module attributes {gemma.config = {{{.*}}hidden_size = 64 : i64{{.*}}stop_ids = [1, 106]{{.*}}}, gemma.weights = "/ckpt/model.safetensors"}
module attributes {
  gemma.config = {model_type = "gemma3_text", vocab_size = 100 : i64,
                  hidden_size = 64 : i64, intermediate_size = 128 : i64,
                  num_layers = 1 : i64, num_heads = 2 : i64,
                  num_kv_heads = 1 : i64, head_dim = 32 : i64,
                  max_context = 2048 : i64, sliding_window = 512 : i64,
                  bos_id = 2 : i64, pad_id = 0 : i64, stop_ids = [1, 106]},
  gemma.weights = "/ckpt/model.safetensors"} {
// CHECK-LABEL: func.func @forward(
// CHECK-SAME:      %[[IDS:.*]]: tensor<?xi32>, %[[POS:.*]]: tensor<?xi32>) -> tensor<?x100xf32>
func.func @forward(%ids: tensor<?xi32>, %positions: tensor<?xi32>) -> tensor<?x100xf32> {
  // CHECK: %[[TABLE:.*]] = gemma.weight "model.embed_tokens.weight" : tensor<100x64xbf16>
  // CHECK: %[[X:.*]] = gemma.embed %[[IDS]], %[[TABLE]] {scale = 8.000000e+00 : f32} : (tensor<?xi32>, tensor<100x64xbf16>) -> tensor<?x64xf32>
  %table = gemma.weight "model.embed_tokens.weight" : tensor<100x64xbf16>
  %x = gemma.embed %ids, %table {scale = 8.0 : f32} : (tensor<?xi32>, tensor<100x64xbf16>) -> tensor<?x64xf32>

  // CHECK: %[[H:.*]] = gemma.rms_norm %[[X]], %{{.*}} {eps = 9.99999997E-7 : f32} : tensor<?x64xf32>, tensor<64xbf16>
  %w_in = gemma.weight "model.layers.0.input_layernorm.weight" : tensor<64xbf16>
  %h = gemma.rms_norm %x, %w_in {eps = 1.0e-6 : f32} : tensor<?x64xf32>, tensor<64xbf16>
  // CHECK: %[[Q:.*]] = gemma.linear %[[H]], %{{.*}} : (tensor<?x64xf32>, tensor<64x64xbf16>) -> tensor<?x64xf32>
  %wq = gemma.weight "model.layers.0.self_attn.q_proj.weight" : tensor<64x64xbf16>
  %wk = gemma.weight "model.layers.0.self_attn.k_proj.weight" : tensor<32x64xbf16>
  %wv = gemma.weight "model.layers.0.self_attn.v_proj.weight" : tensor<32x64xbf16>
  %q = gemma.linear %h, %wq : (tensor<?x64xf32>, tensor<64x64xbf16>) -> tensor<?x64xf32>
  %k = gemma.linear %h, %wk : (tensor<?x64xf32>, tensor<32x64xbf16>) -> tensor<?x32xf32>
  %v = gemma.linear %h, %wv : (tensor<?x64xf32>, tensor<32x64xbf16>) -> tensor<?x32xf32>
  // Per-head norm: groups of head_dim.
  // CHECK: %[[QN:.*]] = gemma.rms_norm %[[Q]], %{{.*}} {eps = 9.99999997E-7 : f32} : tensor<?x64xf32>, tensor<32xf32>
  %wqn = gemma.weight "model.layers.0.self_attn.q_norm.weight" : tensor<32xf32>
  %wkn = gemma.weight "model.layers.0.self_attn.k_norm.weight" : tensor<32xf32>
  %qn = gemma.rms_norm %q, %wqn {eps = 1.0e-6 : f32} : tensor<?x64xf32>, tensor<32xf32>
  %kn = gemma.rms_norm %k, %wkn {eps = 1.0e-6 : f32, unit_offset = true} : tensor<?x32xf32>, tensor<32xf32>
  // CHECK: %[[QR:.*]] = gemma.rope %[[QN]], %[[POS]] {head_dim = 32 : i64, theta = 1.000000e+04 : f64} : tensor<?x64xf32>, tensor<?xi32>
  %qr = gemma.rope %qn, %positions {head_dim = 32 : i64, theta = 10000.0 : f64} : tensor<?x64xf32>, tensor<?xi32>
  %kr = gemma.rope %kn, %positions {head_dim = 32 : i64, theta = 10000.0 : f64} : tensor<?x32xf32>, tensor<?xi32>
  // CHECK: %[[A:.*]] = gemma.attention %[[QR]], %{{.*}}, %{{.*}}, %[[POS]] {head_dim = 32 : i64, kv_cache = 0 : i64, num_heads = 2 : i64, num_kv_heads = 1 : i64, scale = 6.250000e-02 : f32, softcap = 5.000000e+01 : f32, window = 512 : i64} : (tensor<?x64xf32>, tensor<?x32xf32>, tensor<?x32xf32>, tensor<?xi32>) -> tensor<?x64xf32>
  %a = gemma.attention %qr, %kr, %v, %positions {num_heads = 2 : i64, num_kv_heads = 1 : i64, head_dim = 32 : i64, scale = 0.0625 : f32, window = 512 : i64, kv_cache = 0 : i64, softcap = 50.0 : f32} : (tensor<?x64xf32>, tensor<?x32xf32>, tensor<?x32xf32>, tensor<?xi32>) -> tensor<?x64xf32>
  %wo = gemma.weight "model.layers.0.self_attn.o_proj.weight" : tensor<64x64xbf16>
  %o = gemma.linear %a, %wo : (tensor<?x64xf32>, tensor<64x64xbf16>) -> tensor<?x64xf32>
  %w_post = gemma.weight "model.layers.0.post_attention_layernorm.weight" : tensor<64xbf16>
  %on = gemma.rms_norm %o, %w_post {eps = 1.0e-6 : f32} : tensor<?x64xf32>, tensor<64xbf16>
  // CHECK: %[[X1:.*]] = gemma.add %[[X]], %{{.*}} : tensor<?x64xf32>
  %x1 = gemma.add %x, %on : tensor<?x64xf32>

  %w_pre = gemma.weight "model.layers.0.pre_feedforward_layernorm.weight" : tensor<64xbf16>
  %h2 = gemma.rms_norm %x1, %w_pre {eps = 1.0e-6 : f32} : tensor<?x64xf32>, tensor<64xbf16>
  %wg = gemma.weight "model.layers.0.mlp.gate_proj.weight" : tensor<128x64xf16>
  %wu = gemma.weight "model.layers.0.mlp.up_proj.weight" : tensor<128x64xf16>
  %wd = gemma.weight "model.layers.0.mlp.down_proj.weight" : tensor<64x128xf32>
  %g = gemma.linear %h2, %wg : (tensor<?x64xf32>, tensor<128x64xf16>) -> tensor<?x128xf32>
  // CHECK: %[[G:.*]] = gemma.gelu_tanh %{{.*}} : tensor<?x128xf32>
  %gg = gemma.gelu_tanh %g : tensor<?x128xf32>
  %u = gemma.linear %h2, %wu : (tensor<?x64xf32>, tensor<128x64xf16>) -> tensor<?x128xf32>
  // CHECK: %[[M:.*]] = gemma.mul %[[G]], %{{.*}} : tensor<?x128xf32>
  %m = gemma.mul %gg, %u : tensor<?x128xf32>
  %d = gemma.linear %m, %wd : (tensor<?x128xf32>, tensor<64x128xf32>) -> tensor<?x64xf32>
  %w_postff = gemma.weight "model.layers.0.post_feedforward_layernorm.weight" : tensor<64xbf16>
  %dn = gemma.rms_norm %d, %w_postff {eps = 1.0e-6 : f32} : tensor<?x64xf32>, tensor<64xbf16>
  %x2 = gemma.add %x1, %dn : tensor<?x64xf32>

  %w_final = gemma.weight "model.norm.weight" : tensor<64xbf16>
  %xf = gemma.rms_norm %x2, %w_final {eps = 1.0e-6 : f32} : tensor<?x64xf32>, tensor<64xbf16>
  // CHECK: %[[L:.*]] = gemma.logits %{{.*}}, %[[TABLE]] {softcap = 3.000000e+01 : f32} : (tensor<?x64xf32>, tensor<100x64xbf16>) -> tensor<?x100xf32>
  // CHECK: return %[[L]] : tensor<?x100xf32>
  %logits = gemma.logits %xf, %table {softcap = 30.0 : f32} : (tensor<?x64xf32>, tensor<100x64xbf16>) -> tensor<?x100xf32>
  return %logits : tensor<?x100xf32>
}
}
