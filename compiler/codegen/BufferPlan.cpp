//===- BufferPlan.cpp - static activation buffers for a compiled forward pass ===//

#include "compiler/codegen/BufferPlan.h"

#include "dialects/gemma/IR/GemmaOps.h"

#include "llvm/ADT/SetVector.h"

#include <vector>

using namespace mlir;

namespace gemmac {
namespace {

int64_t widthOf(Value value) { return cast<RankedTensorType>(value.getType()).getDimSize(1); }

/// Fixed-size regions of the workspace, reused best-fit.
class Regions {
public:
  int64_t acquire(int64_t size) {
    size_t best = free.size();
    for (size_t i = 0; i < free.size(); ++i)
      if (free[i].size >= size && (best == free.size() || free[i].size < free[best].size))
        best = i;
    if (best == free.size()) {
      sizes[end] = size;
      end += size;
      return end - size;
    }
    int64_t offset = free[best].offset;
    free.erase(free.begin() + best);
    return offset;
  }
  void release(int64_t offset) { free.push_back({offset, sizes.lookup(offset)}); }
  int64_t size() const { return end; }

private:
  struct Region {
    int64_t offset, size;
  };
  std::vector<Region> free;
  llvm::DenseMap<int64_t, int64_t> sizes;
  int64_t end = 0;
};

} // namespace

BufferPlan planBuffers(func::FuncOp forward, int64_t maxTokens) {
  BufferPlan plan;
  Regions regions;
  Block &body = forward.getBody().front();
  Value logits = body.getTerminator()->getOperand(0);
  auto isLastUse = [](Value value, Operation *op) {
    return llvm::all_of(value.getUsers(),
                        [&](Operation *user) { return !op->isBeforeInBlock(user); });
  };
  for (Operation &op : body.without_terminator()) {
    if (isa<gemma::WeightOp>(op))
      continue;
    for (Value result : op.getResults())
      if (result != logits)
        plan.offsets[result] = regions.acquire(widthOf(result) * maxTokens);
    if (auto fused = dyn_cast<gemma::FusedLinearOp>(op); fused && fused.getNormWeight()) {
      int64_t offset = regions.acquire(widthOf(fused.getInput()) * maxTokens);
      plan.scratch[&op] = offset;
      regions.release(offset);
    }
    // Operands after their last reader, and results nobody reads.
    llvm::SetVector<Value> done(op.getOperands().begin(), op.getOperands().end());
    done.insert(op.getResults().begin(), op.getResults().end());
    for (Value value : done) {
      auto it = plan.offsets.find(value);
      if (it != plan.offsets.end() && isLastUse(value, &op))
        regions.release(it->second);
    }
  }
  plan.workspaceFloats = regions.size();
  return plan;
}

} // namespace gemmac
