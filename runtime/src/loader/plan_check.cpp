#include "loader/plan_check.h"

#include <cstdarg>
#include <cstdio>
#include <string>

#include "api/status.h"

namespace gemmac {
namespace {

// Widths beyond this are certainly corrupt and would overflow buffer sizes.
constexpr int64_t kMaxWidth = int64_t{1} << 24;

class PlanChecker {
 public:
  explicit PlanChecker(const ModelFile& model)
      : model_(model), path_(model.path.c_str()), plan_(*model.root->plan()) {}

  gemmac_status check();

 private:
  gemmac_status fail(const char* format, ...) __attribute__((format(printf, 2, 3)));
  gemmac_status checkConfig();
  gemmac_status checkOp(const schema::Op& op);
  gemmac_status checkKind(const schema::Op& op);
  // The width of value `id`, already checked to be in range.
  int64_t width(uint32_t id) const { return plan_.values()->Get(id)->width(); }
  gemmac_status tensor(uint32_t index, size_t rank, const TensorView** out);
  gemmac_status heads(int32_t count, int32_t head_dim, uint32_t value, const char* what);
  // A norm weight: rank 1, dividing rows of row_width.
  gemmac_status norm(uint32_t weight_index, int64_t row_width);
  gemmac_status checkFusedLinear(const schema::Op& op);

  const ModelFile& model_;
  const char* path_;
  const schema::Plan& plan_;
  uint32_t op_index_ = 0;
  std::string op_name_;
  std::vector<bool> defined_;
  std::vector<bool> cache_used_;
};

gemmac_status PlanChecker::fail(const char* format, ...) {
  char detail[512];
  va_list args;
  va_start(args, format);
  vsnprintf(detail, sizeof(detail), format, args);
  va_end(args);
  if (op_name_.empty()) return makeStatus(GEMMAC_DATA_LOSS, "%s: %s", path_, detail);
  return makeStatus(GEMMAC_DATA_LOSS, "%s: plan op %u (%s): %s", path_, op_index_, op_name_.c_str(), detail);
}

gemmac_status PlanChecker::checkConfig() {
  const schema::Config* config = model_.root->config();
  if (!config) return fail("the model has no config");
  if (config->vocab_size() <= 0 || config->hidden_size() <= 0 || config->max_context() <= 0 ||
      config->num_layers() < 0 || config->sliding_window() < 0)
    return fail("config has a non-positive vocab_size, hidden_size or max_context");
  if (config->bos_id() < 0 || config->bos_id() >= config->vocab_size())
    return fail("config bos_id %d is outside the vocabulary of %d", config->bos_id(), config->vocab_size());
  if (config->pad_id() < 0 || config->pad_id() >= config->vocab_size())
    return fail("config pad_id %d is outside the vocabulary of %d", config->pad_id(), config->vocab_size());
  if (config->stop_ids())
    for (int32_t id : *config->stop_ids())
      if (id < 0 || id >= config->vocab_size())
        return fail("config stop id %d is outside the vocabulary of %d", id, config->vocab_size());
  return nullptr;
}

gemmac_status PlanChecker::tensor(uint32_t index, size_t rank, const TensorView** out) {
  if (index >= model_.tensors.size())
    return fail("tensor index %u is out of range (%zu tensors)", index, model_.tensors.size());
  *out = &model_.tensors[index];
  if ((*out)->shape.size() != rank) return fail("tensor %u has rank %zu, expected %zu", index, (*out)->shape.size(), rank);
  return nullptr;
}

gemmac_status PlanChecker::heads(int32_t count, int32_t head_dim, uint32_t value, const char* what) {
  if (count <= 0 || head_dim <= 0 || int64_t{count} * head_dim != width(value))
    return fail("%s: %d heads of %d do not match value %u of width %lld", what, count, head_dim, value,
                static_cast<long long>(width(value)));
  return nullptr;
}

gemmac_status PlanChecker::checkKind(const schema::Op& op) {
  const auto& in = *op.inputs();
  const auto& out = *op.outputs();
  auto arity = [&](uint32_t inputs) -> gemmac_status {
    if (in.size() != inputs || out.size() != 1)
      return fail("has %u inputs and %u outputs, expected %u and 1", in.size(), out.size(), inputs);
    return nullptr;
  };
  const TensorView* weight = nullptr;
  switch (op.kind_type()) {
    case schema::OpKind::EmbedOp: {
      GEMMAC_RETURN_IF_ERROR(arity(0));
      GEMMAC_RETURN_IF_ERROR(tensor(op.kind_as_EmbedOp()->table(), 2, &weight));
      if (weight->shape[0] != model_.root->config()->vocab_size() || weight->shape[1] != width(out[0]))
        return fail("table [%lld, %lld] does not match vocab %d and width %lld", (long long)weight->shape[0],
                    (long long)weight->shape[1], model_.root->config()->vocab_size(), (long long)width(out[0]));
      return nullptr;
    }
    case schema::OpKind::RmsNormOp:
      GEMMAC_RETURN_IF_ERROR(arity(1));
      if (width(in[0]) != width(out[0])) return fail("input and output widths differ");
      return norm(op.kind_as_RmsNormOp()->weight(), width(in[0]));
    case schema::OpKind::LinearOp:
    case schema::OpKind::LogitsOp: {
      GEMMAC_RETURN_IF_ERROR(arity(1));
      bool logits = op.kind_type() == schema::OpKind::LogitsOp;
      uint32_t index = logits ? op.kind_as_LogitsOp()->weight() : op.kind_as_LinearOp()->weight();
      GEMMAC_RETURN_IF_ERROR(tensor(index, 2, &weight));
      if (weight->shape[0] != width(out[0]) || weight->shape[1] != width(in[0]))
        return fail("weight [%lld, %lld] does not map width %lld to %lld", (long long)weight->shape[0],
                    (long long)weight->shape[1], (long long)width(in[0]), (long long)width(out[0]));
      if (logits && (width(out[0]) != model_.root->config()->vocab_size() || out[0] != plan_.output() ||
                     !(op.kind_as_LogitsOp()->softcap() >= 0.0f)))
        return fail("must produce the plan output %u of %d logits with a softcap >= 0", plan_.output(),
                    model_.root->config()->vocab_size());
      return nullptr;
    }
    case schema::OpKind::RopeOp: {
      GEMMAC_RETURN_IF_ERROR(arity(1));
      const schema::RopeOp& rope = *op.kind_as_RopeOp();
      if (rope.head_dim() <= 0 || rope.head_dim() % 2 != 0 || width(in[0]) % rope.head_dim() != 0 ||
          width(in[0]) != width(out[0]) || !(rope.theta() > 0.0f))
        return fail("head_dim %d / theta %g do not fit width %lld", rope.head_dim(), rope.theta(),
                    (long long)width(in[0]));
      return nullptr;
    }
    case schema::OpKind::AttentionOp: {
      GEMMAC_RETURN_IF_ERROR(arity(3));
      const schema::AttentionOp& attention = *op.kind_as_AttentionOp();
      GEMMAC_RETURN_IF_ERROR(heads(attention.num_heads(), attention.head_dim(), in[0], "queries"));
      GEMMAC_RETURN_IF_ERROR(heads(attention.num_kv_heads(), attention.head_dim(), in[1], "keys"));
      GEMMAC_RETURN_IF_ERROR(heads(attention.num_kv_heads(), attention.head_dim(), in[2], "values"));
      GEMMAC_RETURN_IF_ERROR(heads(attention.num_heads(), attention.head_dim(), out[0], "output"));
      if (attention.num_heads() % attention.num_kv_heads() != 0)
        return fail("%d heads are not a multiple of %d kv heads", attention.num_heads(), attention.num_kv_heads());
      if (attention.window() < 0 || !(attention.softcap() >= 0.0f))
        return fail("negative window %d or softcap %g", attention.window(), attention.softcap());
      uint32_t cache_count = plan_.kv_caches() ? plan_.kv_caches()->size() : 0;
      if (attention.cache() < 0 || static_cast<uint32_t>(attention.cache()) >= cache_count)
        return fail("kv cache %d is out of range (%u caches)", attention.cache(), cache_count);
      if (cache_used_[attention.cache()]) return fail("kv cache %d is already used by another op", attention.cache());
      cache_used_[attention.cache()] = true;
      const schema::KvCache& cache = *plan_.kv_caches()->Get(attention.cache());
      if (cache.num_kv_heads() != attention.num_kv_heads() || cache.head_dim() != attention.head_dim())
        return fail("kv cache %d holds %d heads of %d", attention.cache(), cache.num_kv_heads(), cache.head_dim());
      // A ring buffer only holds the keys of its window.
      if (cache.kind() == schema::KvCacheKind::SlidingWindow &&
          (attention.window() == 0 || attention.window() > cache.window()))
        return fail("window %d does not fit sliding-window kv cache %d of window %d", attention.window(),
                    attention.cache(), cache.window());
      return nullptr;
    }
    case schema::OpKind::GeluTanhOp:
      GEMMAC_RETURN_IF_ERROR(arity(1));
      if (width(in[0]) != width(out[0])) return fail("input and output widths differ");
      return nullptr;
    case schema::OpKind::MulOp:
    case schema::OpKind::AddOp:
      GEMMAC_RETURN_IF_ERROR(arity(2));
      if (width(in[0]) != width(out[0]) || width(in[1]) != width(out[0]))
        return fail("input and output widths differ");
      return nullptr;
    case schema::OpKind::FusedLinearOp:
      return checkFusedLinear(op);
    case schema::OpKind::GeluTanhMulOp:
      GEMMAC_RETURN_IF_ERROR(arity(2));
      if (width(in[0]) != width(out[0]) || width(in[1]) != width(out[0]))
        return fail("input and output widths differ");
      return nullptr;
    case schema::OpKind::AddRmsNormOp: {
      if (in.size() != 2 || out.size() != 2)
        return fail("has %u inputs and %u outputs, expected 2 and 2", in.size(), out.size());
      int64_t w = width(in[0]);
      if (width(in[1]) != w || width(out[0]) != w || width(out[1]) != w)
        return fail("input and output widths differ");
      return norm(op.kind_as_AddRmsNormOp()->weight(), w);
    }
    case schema::OpKind::RmsNormRopeOp: {
      GEMMAC_RETURN_IF_ERROR(arity(1));
      const schema::RmsNormRopeOp& normRope = *op.kind_as_RmsNormRopeOp();
      if (normRope.head_dim() <= 0 || normRope.head_dim() % 2 != 0 || width(in[0]) % normRope.head_dim() != 0 ||
          width(in[0]) != width(out[0]) || !(normRope.theta() > 0.0f))
        return fail("head_dim %d / theta %g do not fit width %lld", normRope.head_dim(), normRope.theta(),
                    (long long)width(in[0]));
      GEMMAC_RETURN_IF_ERROR(norm(normRope.weight(), width(in[0])));
      if (model_.tensors[normRope.weight()].shape[0] != normRope.head_dim())
        return fail("norm weight of %lld is not head_dim %d", (long long)model_.tensors[normRope.weight()].shape[0],
                    normRope.head_dim());
      return nullptr;
    }
    default:
      return fail("unknown op kind %d", static_cast<int>(op.kind_type()));
  }
}

gemmac_status PlanChecker::norm(uint32_t weight_index, int64_t row_width) {
  const TensorView* weight = nullptr;
  GEMMAC_RETURN_IF_ERROR(tensor(weight_index, 1, &weight));
  if (weight->dtype != schema::DType::F32 && weight->dtype != schema::DType::BF16)
    return fail("norm weight %u is not f32 or bf16", weight_index);
  int64_t group = weight->shape[0];
  if (group <= 0 || row_width % group != 0)
    return fail("norm weight of %lld does not divide width %lld", (long long)group, (long long)row_width);
  return nullptr;
}

gemmac_status PlanChecker::checkFusedLinear(const schema::Op& op) {
  const auto& in = *op.inputs();
  const auto& out = *op.outputs();
  const schema::FusedLinearOp& fused = *op.kind_as_FusedLinearOp();
  if (!fused.weights() || fused.weights()->size() == 0 || in.size() != 1 || out.size() != fused.weights()->size())
    return fail("has %u inputs and %u outputs for %u weights, expected 1 and one per weight", in.size(), out.size(),
                fused.weights() ? fused.weights()->size() : 0);
  if (fused.has_norm()) GEMMAC_RETURN_IF_ERROR(norm(fused.norm_weight(), width(in[0])));
  for (uint32_t i = 0; i < out.size(); ++i) {
    const TensorView* weight = nullptr;
    GEMMAC_RETURN_IF_ERROR(tensor(fused.weights()->Get(i), 2, &weight));
    if (weight->shape[0] != width(out[i]) || weight->shape[1] != width(in[0]))
      return fail("weight %u [%lld, %lld] does not map width %lld to %lld", i, (long long)weight->shape[0],
                  (long long)weight->shape[1], (long long)width(in[0]), (long long)width(out[i]));
  }
  return nullptr;
}

gemmac_status PlanChecker::checkOp(const schema::Op& op) {
  if (!op.inputs() || !op.outputs() || !op.kind()) return fail("missing kind, inputs or outputs");
  const uint32_t value_count = plan_.values()->size();
  for (uint32_t id : *op.inputs()) {
    if (id >= value_count) return fail("input value %u is out of range (%u values)", id, value_count);
    if (!defined_[id]) return fail("reads value %u before any op writes it", id);
    if (id == plan_.output()) return fail("reads the plan output %u", id);
  }
  for (uint32_t id : *op.outputs()) {
    if (id >= value_count) return fail("output value %u is out of range (%u values)", id, value_count);
    if (defined_[id]) return fail("writes value %u a second time", id);
  }
  GEMMAC_RETURN_IF_ERROR(checkKind(op));
  for (uint32_t id : *op.outputs()) defined_[id] = true;
  for (uint32_t id : *op.outputs())
    if (id == plan_.output() && op.kind_type() != schema::OpKind::LogitsOp)
      return fail("produces the plan output but is not a LogitsOp");
  return nullptr;
}

gemmac_status PlanChecker::check() {
  GEMMAC_RETURN_IF_ERROR(checkConfig());
  if (!plan_.values() || !plan_.ops()) return fail("the plan has no values or ops");
  for (uint32_t i = 0; i < plan_.values()->size(); ++i) {
    int32_t w = plan_.values()->Get(i)->width();
    if (w <= 0 || w > kMaxWidth) return fail("plan value %u has width %d", i, w);
  }
  if (plan_.kv_caches())
    for (uint32_t i = 0; i < plan_.kv_caches()->size(); ++i) {
      const schema::KvCache& cache = *plan_.kv_caches()->Get(i);
      bool sliding = cache.kind() == schema::KvCacheKind::SlidingWindow;
      if ((!sliding && cache.kind() != schema::KvCacheKind::Global) || (sliding && cache.window() <= 0))
        return fail("kv cache %u has kind %d and window %d", i, static_cast<int>(cache.kind()), cache.window());
      if (cache.num_kv_heads() <= 0 || cache.head_dim() <= 0 ||
          int64_t{cache.num_kv_heads()} * cache.head_dim() > kMaxWidth)
        return fail("kv cache %u has %d heads of %d", i, cache.num_kv_heads(), cache.head_dim());
      // slots 0: the runtime sizes the cache; a planned ring holds at least its window.
      if (cache.slots() < 0 || (sliding && cache.slots() > 0 && cache.slots() < cache.window()))
        return fail("kv cache %u has %d slots for a window of %d", i, cache.slots(), cache.window());
    }
  if (plan_.output() >= plan_.values()->size())
    return fail("plan output %u is out of range (%u values)", plan_.output(), plan_.values()->size());
  defined_.assign(plan_.values()->size(), false);
  cache_used_.assign(plan_.kv_caches() ? plan_.kv_caches()->size() : 0, false);
  for (op_index_ = 0; op_index_ < plan_.ops()->size(); ++op_index_) {
    const schema::Op& op = *plan_.ops()->Get(op_index_);
    op_name_ = schema::EnumNameOpKind(op.kind_type());
    GEMMAC_RETURN_IF_ERROR(checkOp(op));
  }
  op_name_.clear();
  if (!defined_[plan_.output()]) return fail("no op produces the plan output %u", plan_.output());
  return nullptr;
}

}  // namespace

gemmac_status checkPlan(const ModelFile& model) {
  if (!model.root->plan()) return makeStatus(GEMMAC_DATA_LOSS, "%s: the model has no plan", model.path.c_str());
  return PlanChecker(model).check();
}

}  // namespace gemmac
