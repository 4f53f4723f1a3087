// An edited config: window 256, alternating local/global layers (1:1), and a
// short context where a ring would not be smaller than a full cache.
// RUN: gemmac-opt %s --split-input-file --verify-diagnostics \
// RUN:   --gemma-specialize-attention | FileCheck %s
// RUN: gemmac-opt %s --split-input-file --verify-diagnostics \
// RUN:   '--gemma-specialize-attention=prefill-chunk=1 max-context=512' \
// RUN:   | FileCheck %s --check-prefix=DECODE

// CHECK-LABEL: module attributes {gemma.config = {max_context = 2048 : i64, sliding_window = 256 : i64}}
// CHECK: kv_cache = 0 : i64, kv_kind = "ring", kv_slots = 383 : i64
// CHECK: kv_cache = 1 : i64, kv_kind = "full", kv_slots = 2048 : i64
// CHECK: kv_cache = 2 : i64, kv_kind = "ring", kv_slots = 383 : i64
// CHECK: kv_cache = 3 : i64, kv_kind = "full", kv_slots = 2048 : i64
// DECODE-LABEL: module attributes {gemma.config = {max_context = 512 : i64, sliding_window = 256 : i64}}
// DECODE: kv_cache = 0 : i64, kv_kind = "ring", kv_slots = 256 : i64
// DECODE: kv_cache = 1 : i64, kv_kind = "full", kv_slots = 512 : i64
// DECODE: kv_cache = 2 : i64, kv_kind = "ring", kv_slots = 256 : i64
// DECODE: kv_cache = 3 : i64, kv_kind = "full", kv_slots = 512 : i64
module attributes {gemma.config = {max_context = 2048 : i64, sliding_window = 256 : i64}} {
  func.func @layers(%q: tensor<?x512xf32>, %kv: tensor<?x256xf32>, %pos: tensor<?xi32>) -> tensor<?x512xf32> {
    %0 = gemma.attention %q, %kv, %kv, %pos {head_dim = 256 : i64, kv_cache = 0 : i64, num_heads = 2 : i64, num_kv_heads = 1 : i64, scale = 6.250000e-02 : f32, window = 256 : i64} : (tensor<?x512xf32>, tensor<?x256xf32>, tensor<?x256xf32>, tensor<?xi32>) -> tensor<?x512xf32>
    %1 = gemma.attention %0, %kv, %kv, %pos {head_dim = 256 : i64, kv_cache = 1 : i64, num_heads = 2 : i64, num_kv_heads = 1 : i64, scale = 6.250000e-02 : f32, window = 0 : i64} : (tensor<?x512xf32>, tensor<?x256xf32>, tensor<?x256xf32>, tensor<?xi32>) -> tensor<?x512xf32>
    %2 = gemma.attention %1, %kv, %kv, %pos {head_dim = 256 : i64, kv_cache = 2 : i64, num_heads = 2 : i64, num_kv_heads = 1 : i64, scale = 6.250000e-02 : f32, window = 256 : i64} : (tensor<?x512xf32>, tensor<?x256xf32>, tensor<?x256xf32>, tensor<?xi32>) -> tensor<?x512xf32>
    %3 = gemma.attention %2, %kv, %kv, %pos {head_dim = 256 : i64, kv_cache = 3 : i64, num_heads = 2 : i64, num_kv_heads = 1 : i64, scale = 6.250000e-02 : f32, window = 0 : i64} : (tensor<?x512xf32>, tensor<?x256xf32>, tensor<?x256xf32>, tensor<?xi32>) -> tensor<?x512xf32>
    return %3 : tensor<?x512xf32>
  }
}

// -----

// A context no longer than window + chunk - 1: the full cache is not larger.
// CHECK-LABEL: module attributes {gemma.config = {max_context = 300 : i64, sliding_window = 256 : i64}}
// CHECK: kv_kind = "full", kv_slots = 300 : i64
// DECODE: kv_kind = "ring", kv_slots = 256 : i64
module attributes {gemma.config = {max_context = 300 : i64, sliding_window = 256 : i64}} {
  func.func @short(%q: tensor<?x256xf32>, %pos: tensor<?xi32>) -> tensor<?x256xf32> {
    %0 = gemma.attention %q, %q, %q, %pos {head_dim = 256 : i64, kv_cache = 0 : i64, num_heads = 1 : i64, num_kv_heads = 1 : i64, scale = 6.250000e-02 : f32, window = 256 : i64} : (tensor<?x256xf32>, tensor<?x256xf32>, tensor<?x256xf32>, tensor<?xi32>) -> tensor<?x256xf32>
    return %0 : tensor<?x256xf32>
  }
}

// -----

// expected-error @below {{gemma-specialize-attention needs 'gemma.config' with an integer max_context}}
module {
  func.func @no_config(%q: tensor<?x256xf32>, %pos: tensor<?xi32>) -> tensor<?x256xf32> {
    %0 = gemma.attention %q, %q, %q, %pos {head_dim = 256 : i64, kv_cache = 0 : i64, num_heads = 1 : i64, num_kv_heads = 1 : i64, scale = 6.250000e-02 : f32, window = 0 : i64} : (tensor<?x256xf32>, tensor<?x256xf32>, tensor<?x256xf32>, tensor<?xi32>) -> tensor<?x256xf32>
    return %0 : tensor<?x256xf32>
  }
}
