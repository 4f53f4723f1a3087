// A verified plan prepared for execution: weights bound or packed, and each
// value assigned a reusable activation buffer. Shared by all sessions of a
// model; immutable once created but for the weights repacked for int8
// activations, added on first demand.
#ifndef GEMMAC_RUNTIME_SRC_PROGRAM_H_
#define GEMMAC_RUNTIME_SRC_PROGRAM_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "exec/linear.h"
#include "loader/model_file.h"

namespace gemmac {

struct PreparedOp {
  const schema::Op* op;
  schema::OpKind kind;
  const TensorView* table = nullptr;  // EmbedOp: used in place from the file
  std::vector<float> norm_weight;     // RmsNormOp and the fused ops' norms: widened to f32
  std::unique_ptr<Linear> linear;     // LinearOp, LogitsOp
  std::vector<std::unique_ptr<Linear>> linears;  // FusedLinearOp: one per weight
};

class Program {
 public:
  /// The plan output has no buffer: the logits go straight to the caller.
  static constexpr int32_t kOutputBuffer = -1;

  static gemmac_status create(const ModelFile& file, std::unique_ptr<Program>* out);

  const schema::Plan& plan() const { return *plan_; }
  /// The model file's segment area, where the weights are (Model.segment_base).
  const uint8_t* segmentBase() const { return segment_base_; }
  const std::vector<PreparedOp>& ops() const { return ops_; }
  /// Buffer index of every value (kOutputBuffer for the plan output).
  const std::vector<int32_t>& valueBuffers() const { return value_buffers_; }
  /// Features per token of every buffer.
  const std::vector<size_t>& bufferWidths() const { return buffer_widths_; }
  /// Features per token of the normalized input a FusedLinearOp keeps while
  /// its linears run (0: no fused norm).
  size_t normScratchWidth() const { return norm_scratch_width_; }
  /// Readies every quantized product for int8 activations
  /// (Linear::prepareInt8Activations): the first call repacks, later ones
  /// return at once. Thread-safe; runs before any step with int8 activations.
  gemmac_status prepareInt8Activations();
  /// Some product runs through XNNPACK operators, which keep per-run state:
  /// steps of different sessions must then take turns.
  bool exclusiveRuns() const { return exclusive_runs_; }

 private:
  void assignBuffers();

  const schema::Plan* plan_ = nullptr;
  const uint8_t* segment_base_ = nullptr;
  std::vector<PreparedOp> ops_;
  std::vector<int32_t> value_buffers_;
  std::vector<size_t> buffer_widths_;
  size_t norm_scratch_width_ = 0;
  bool exclusive_runs_ = false;
  std::mutex int8_mutex_;  // serializes prepareInt8Activations
};

}  // namespace gemmac

#endif  // GEMMAC_RUNTIME_SRC_PROGRAM_H_
