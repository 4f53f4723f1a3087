#include "tiny_model.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <random>
#include <stdexcept>

#include "kernels.h"

namespace gemmac::test {
namespace {

namespace fb = flatbuffers;

fb::Offset<void> createKind(fb::FlatBufferBuilder& b, const OpSpec& op) {
  switch (op.kind) {
    case schema::OpKind::EmbedOp: return schema::CreateEmbedOp(b, op.weight, op.scale).Union();
    case schema::OpKind::RmsNormOp: return schema::CreateRmsNormOp(b, op.weight, op.eps, true).Union();
    case schema::OpKind::LinearOp: return schema::CreateLinearOp(b, op.weight).Union();
    case schema::OpKind::RopeOp: return schema::CreateRopeOp(b, op.head_dim, op.theta).Union();
    case schema::OpKind::AttentionOp:
      return schema::CreateAttentionOp(b, op.num_heads, op.num_kv_heads, op.head_dim, op.scale, op.window, op.cache,
                                       op.softcap)
          .Union();
    case schema::OpKind::GeluTanhOp: return schema::CreateGeluTanhOp(b).Union();
    case schema::OpKind::MulOp: return schema::CreateMulOp(b).Union();
    case schema::OpKind::AddOp: return schema::CreateAddOp(b).Union();
    case schema::OpKind::LogitsOp: return schema::CreateLogitsOp(b, op.weight, op.softcap).Union();
    default: return 0;
  }
}

std::vector<uint8_t> buildFlatBuffer(const ModelSpec& spec, uint64_t segment_base,
                                     const std::vector<schema::Segment>& segments) {
  fb::FlatBufferBuilder b;
  b.ForceDefaults(true);  // the size must not depend on segment_base's value
  auto config = schema::CreateConfigDirect(b, "gemma3_text", spec.vocab_size, spec.hidden_size,
                                           spec.intermediate_size, spec.num_layers, spec.num_heads,
                                           spec.num_kv_heads, spec.head_dim, spec.max_context, spec.sliding_window,
                                           spec.bos_id, spec.pad_id, &spec.stop_ids);
  std::vector<fb::Offset<schema::Value>> values;
  for (int32_t width : spec.widths) values.push_back(schema::CreateValue(b, width));
  std::vector<fb::Offset<schema::Op>> ops;
  for (const OpSpec& op : spec.ops)
    ops.push_back(schema::CreateOpDirect(b, op.kind, createKind(b, op), &op.inputs, &op.outputs));
  std::vector<fb::Offset<schema::KvCache>> caches;
  for (const KvCacheSpec& cache : spec.caches)
    caches.push_back(schema::CreateKvCache(b, cache.kind, cache.window, cache.num_kv_heads, cache.head_dim));
  auto plan = schema::CreatePlanDirect(b, &values, &ops, spec.output, &caches);
  std::vector<fb::Offset<schema::Tensor>> tensors;
  for (size_t i = 0; i < spec.tensors.size(); ++i)
    tensors.push_back(schema::CreateTensorDirect(b, spec.tensors[i].name.c_str(), spec.tensors[i].dtype,
                                                 &spec.tensors[i].shape, static_cast<uint32_t>(i)));
  auto model = schema::CreateModelDirect(b, spec.format_version, "gemmac tiny-model test", config, plan, &tensors,
                                         &segments, segment_base, spec.tokenizer.empty() ? nullptr : &spec.tokenizer,
                                         spec.required_cpu_features,
                                         spec.compiled_library.empty() ? nullptr : spec.compiled_library.c_str(),
                                         /*content_hash=*/0, spec.target.empty() ? nullptr : spec.target.c_str());
  schema::FinishModelBuffer(b, model);
  return std::vector<uint8_t>(b.GetBufferPointer(), b.GetBufferPointer() + b.GetSize());
}

uint64_t align64(uint64_t n) { return (n + 63) / 64 * 64; }

uint16_t toBf16(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, 4);
  bits += 0x7fff + ((bits >> 16) & 1);  // round to nearest even
  return static_cast<uint16_t>(bits >> 16);
}

// Random q4g32 levels, and per-group f16 scales giving about `stddev`
// (uniform levels in [-8, 7] have a standard deviation of ~4.6).
TensorSpec randomQ4Tensor(std::mt19937& rng, const std::string& name, std::vector<int64_t> shape, float stddev) {
  const size_t n = static_cast<size_t>(shape[0]), k = static_cast<size_t>(shape[1]);
  TensorSpec tensor{name, schema::DType::Q4G32, shape, std::vector<uint8_t>(gemmac_q4g32_bytes(n, k))};
  for (size_t i = 0; i < n * k / 2; ++i) tensor.bytes[i] = static_cast<uint8_t>(rng());
  std::uniform_real_distribution<float> spread(0.5f, 1.5f);
  for (size_t g = 0; g < n * k / GEMMAC_QUANT_GROUP; ++g) {
    uint16_t scale = gemmac_f32_to_f16_generic(stddev / 4.6f * spread(rng));
    std::memcpy(&tensor.bytes[n * k / 2 + 2 * g], &scale, 2);
  }
  return tensor;
}

TensorSpec randomTensor(std::mt19937& rng, const std::string& name, std::vector<int64_t> shape, float stddev,
                        schema::DType dtype) {
  if (dtype == schema::DType::Q4G32) return randomQ4Tensor(rng, name, std::move(shape), stddev);
  std::normal_distribution<float> dist(0.0f, stddev);
  size_t numel = 1;
  for (int64_t d : shape) numel *= static_cast<size_t>(d);
  TensorSpec tensor{name, dtype, shape, {}};
  tensor.bytes.resize(numel * (dtype == schema::DType::BF16 ? 2 : 4));
  for (size_t i = 0; i < numel; ++i) {
    float v = dist(rng);
    if (dtype == schema::DType::BF16) {
      uint16_t h = toBf16(v);
      std::memcpy(&tensor.bytes[2 * i], &h, 2);
    } else {
      std::memcpy(&tensor.bytes[4 * i], &v, 4);
    }
  }
  return tensor;
}

std::vector<double> tensorValues(const TensorSpec& tensor) {
  if (tensor.dtype == schema::DType::Q4G32) {
    // The kernels' dequantization is the definition of the format.
    const size_t n = static_cast<size_t>(tensor.shape[0]), k = static_cast<size_t>(tensor.shape[1]);
    std::vector<float> row(k);
    std::vector<double> out;
    for (size_t j = 0; j < n; ++j) {
      gemmac_dequantize_row_q4g32_generic(tensor.bytes.data(), n, k, j, 1.0f, row.data());
      out.insert(out.end(), row.begin(), row.end());
    }
    return out;
  }
  size_t size = tensor.dtype == schema::DType::BF16 ? 2 : 4;
  std::vector<double> out(tensor.bytes.size() / size);
  for (size_t i = 0; i < out.size(); ++i) {
    float v;
    if (tensor.dtype == schema::DType::BF16) {
      uint32_t bits = 0;
      std::memcpy(reinterpret_cast<char*>(&bits) + 2, &tensor.bytes[2 * i], 2);
      std::memcpy(&v, &bits, 4);
    } else {
      std::memcpy(&v, &tensor.bytes[4 * i], 4);
    }
    out[i] = v;
  }
  return out;
}

}  // namespace

std::vector<uint8_t> serialize(const ModelSpec& spec) {
  std::vector<schema::Segment> segments;
  uint64_t offset = 0;
  for (const TensorSpec& tensor : spec.tensors) {
    segments.emplace_back(offset, tensor.bytes.size());
    offset = align64(offset + tensor.bytes.size());
  }
  const std::vector<schema::Segment>& stated = spec.segments ? *spec.segments : segments;
  uint64_t base = align64(buildFlatBuffer(spec, 64, stated).size());
  std::vector<uint8_t> file = buildFlatBuffer(spec, spec.segment_base.value_or(base), stated);
  file.resize(base);
  for (size_t i = 0; i < spec.tensors.size(); ++i) {
    file.resize(base + segments[i].offset());
    file.insert(file.end(), spec.tensors[i].bytes.begin(), spec.tensors[i].bytes.end());
  }
  return file;
}

ModelSpec makeTinyModel(const TinyConfig& c) {
  std::mt19937 rng(c.seed);
  ModelSpec spec;
  spec.vocab_size = c.vocab;
  spec.hidden_size = c.hidden;
  spec.intermediate_size = c.intermediate;
  spec.num_layers = c.layers;
  spec.num_heads = c.heads;
  spec.num_kv_heads = c.kv_heads;
  spec.head_dim = c.head_dim;
  spec.max_context = c.max_context;
  spec.sliding_window = c.window;
  const auto bf16 = c.q4_weights ? schema::DType::Q4G32 : c.f32_weights ? schema::DType::F32 : schema::DType::BF16;
  const auto f32 = schema::DType::F32;
  auto tensor = [&](const std::string& name, std::vector<int64_t> shape, float stddev, schema::DType dtype) {
    spec.tensors.push_back(randomTensor(rng, name, std::move(shape), stddev, dtype));
    return static_cast<uint32_t>(spec.tensors.size() - 1);
  };
  auto value = [&](int32_t width) {
    spec.widths.push_back(width);
    return static_cast<uint32_t>(spec.widths.size() - 1);
  };
  auto op = [&](schema::OpKind kind, std::vector<uint32_t> inputs, int32_t width, uint32_t weight = 0) {
    OpSpec o;
    o.kind = kind;
    o.inputs = std::move(inputs);
    o.outputs = {value(width)};
    o.weight = weight;
    spec.ops.push_back(o);
    return o.outputs[0];
  };
  const int32_t q_width = c.heads * c.head_dim, kv_width = c.kv_heads * c.head_dim;
  uint32_t embed = tensor("model.embed_tokens.weight", {c.vocab, c.hidden}, 1.0f, bf16);
  uint32_t x = op(schema::OpKind::EmbedOp, {}, c.hidden, embed);
  spec.ops.back().scale = std::sqrt(static_cast<float>(c.hidden));
  for (int32_t layer = 0; layer < c.layers; ++layer) {
    std::string p = "model.layers." + std::to_string(layer) + ".";
    bool global = (layer + 1) % c.global_every == 0;
    auto norm = [&](uint32_t in, const std::string& name, int32_t group, int32_t width) {
      return op(schema::OpKind::RmsNormOp, {in}, width, tensor(p + name, {group}, 0.3f, f32));
    };
    auto linear = [&](uint32_t in, const std::string& name, int32_t out_width, int32_t in_width) {
      return op(schema::OpKind::LinearOp, {in}, out_width,
                tensor(p + name, {out_width, in_width}, 1.0f / std::sqrt(static_cast<float>(in_width)), bf16));
    };
    uint32_t h = norm(x, "input_layernorm.weight", c.hidden, c.hidden);
    uint32_t q = linear(h, "self_attn.q_proj.weight", q_width, c.hidden);
    uint32_t k = linear(h, "self_attn.k_proj.weight", kv_width, c.hidden);
    uint32_t v = linear(h, "self_attn.v_proj.weight", kv_width, c.hidden);
    q = norm(q, "self_attn.q_norm.weight", c.head_dim, q_width);
    k = norm(k, "self_attn.k_norm.weight", c.head_dim, kv_width);
    for (uint32_t* t : {&q, &k}) {
      *t = op(schema::OpKind::RopeOp, {*t}, spec.widths[*t]);
      spec.ops.back().head_dim = c.head_dim;
      spec.ops.back().theta = global ? 1e6f : 1e4f;
    }
    uint32_t a = op(schema::OpKind::AttentionOp, {q, k, v}, q_width);
    OpSpec& attention = spec.ops.back();
    attention.num_heads = c.heads;
    attention.num_kv_heads = c.kv_heads;
    attention.head_dim = c.head_dim;
    attention.scale = 1.0f / std::sqrt(static_cast<float>(c.head_dim));
    attention.window = global ? 0 : c.window;
    attention.cache = layer;
    spec.caches.push_back({global ? schema::KvCacheKind::Global : schema::KvCacheKind::SlidingWindow,
                           global ? 0 : c.window, c.kv_heads, c.head_dim});
    uint32_t o = linear(a, "self_attn.o_proj.weight", c.hidden, q_width);
    o = norm(o, "post_attention_layernorm.weight", c.hidden, c.hidden);
    x = op(schema::OpKind::AddOp, {x, o}, c.hidden);
    h = norm(x, "pre_feedforward_layernorm.weight", c.hidden, c.hidden);
    uint32_t gate = linear(h, "mlp.gate_proj.weight", c.intermediate, c.hidden);
    uint32_t up = linear(h, "mlp.up_proj.weight", c.intermediate, c.hidden);
    gate = op(schema::OpKind::GeluTanhOp, {gate}, c.intermediate);
    uint32_t m = op(schema::OpKind::MulOp, {gate, up}, c.intermediate);
    uint32_t d = linear(m, "mlp.down_proj.weight", c.hidden, c.intermediate);
    d = norm(d, "post_feedforward_layernorm.weight", c.hidden, c.hidden);
    x = op(schema::OpKind::AddOp, {x, d}, c.hidden);
  }
  spec.tensors.push_back(randomTensor(rng, "model.norm.weight", {c.hidden}, 0.3f, f32));
  x = op(schema::OpKind::RmsNormOp, {x}, c.hidden, static_cast<uint32_t>(spec.tensors.size() - 1));
  spec.output = op(schema::OpKind::LogitsOp, {x}, c.vocab, embed);
  return spec;
}

ModelSpec makeSmallModel(int32_t vocab) {
  TinyConfig config;
  config.layers = 1;
  config.hidden = 16;
  config.intermediate = 16;
  config.heads = 2;
  config.head_dim = 8;
  config.vocab = vocab;
  return makeTinyModel(config);
}

std::vector<double> referenceForward(const ModelSpec& spec, const TinyConfig& c, const std::vector<int32_t>& ids) {
  std::map<std::string, std::vector<double>> w;
  for (const TensorSpec& tensor : spec.tensors) w[tensor.name] = tensorValues(tensor);
  const size_t T = ids.size(), H = static_cast<size_t>(c.hidden), D = static_cast<size_t>(c.head_dim);
  const size_t NH = static_cast<size_t>(c.heads), NKV = static_cast<size_t>(c.kv_heads);
  const size_t I = static_cast<size_t>(c.intermediate), V = static_cast<size_t>(c.vocab);
  using Mat = std::vector<double>;
  auto rms = [](Mat x, const Mat& weight, size_t group) {
    for (size_t s = 0; s < x.size(); s += group) {
      double ss = 0;
      for (size_t i = 0; i < group; ++i) ss += x[s + i] * x[s + i];
      double inv = 1.0 / std::sqrt(ss / group + 1e-6);
      for (size_t i = 0; i < group; ++i) x[s + i] *= inv * (1.0 + weight[i]);
    }
    return x;
  };
  auto matmul = [T](const Mat& x, const Mat& weight, size_t out, size_t in) {
    Mat y(T * out, 0.0);
    for (size_t t = 0; t < T; ++t)
      for (size_t o = 0; o < out; ++o) {
        double s = 0;
        for (size_t i = 0; i < in; ++i) s += x[t * in + i] * weight[o * in + i];
        y[t * out + o] = s;
      }
    return y;
  };
  auto rope = [&](Mat x, size_t heads, double theta) {
    for (size_t t = 0; t < T; ++t)
      for (size_t h = 0; h < heads; ++h)
        for (size_t i = 0; i < D / 2; ++i) {
          double angle = t / std::pow(theta, 2.0 * i / D);
          double* row = &x[(t * heads + h) * D];
          double a = row[i], b = row[i + D / 2];
          row[i] = a * std::cos(angle) - b * std::sin(angle);
          row[i + D / 2] = b * std::cos(angle) + a * std::sin(angle);
        }
    return x;
  };
  const Mat& embed = w["model.embed_tokens.weight"];
  Mat x(T * H);
  for (size_t t = 0; t < T; ++t)
    for (size_t i = 0; i < H; ++i) x[t * H + i] = embed[ids[t] * H + i] * std::sqrt(static_cast<double>(H));
  for (int32_t layer = 0; layer < c.layers; ++layer) {
    std::string p = "model.layers." + std::to_string(layer) + ".";
    bool global = (layer + 1) % c.global_every == 0;
    Mat h = rms(x, w[p + "input_layernorm.weight"], H);
    Mat q = rope(rms(matmul(h, w[p + "self_attn.q_proj.weight"], NH * D, H), w[p + "self_attn.q_norm.weight"], D), NH,
                 global ? 1e6 : 1e4);
    Mat k = rope(rms(matmul(h, w[p + "self_attn.k_proj.weight"], NKV * D, H), w[p + "self_attn.k_norm.weight"], D),
                 NKV, global ? 1e6 : 1e4);
    Mat v = matmul(h, w[p + "self_attn.v_proj.weight"], NKV * D, H);
    Mat a(T * NH * D, 0.0);
    for (size_t t = 0; t < T; ++t)
      for (size_t head = 0; head < NH; ++head) {
        size_t g = head / (NH / NKV);
        std::vector<double> p_s(T, 0.0);
        double max_s = -1e300, sum = 0;
        for (size_t s = 0; s <= t; ++s) {
          if (!global && t - s >= static_cast<size_t>(c.window)) continue;
          double dot = 0;
          for (size_t d = 0; d < D; ++d) dot += q[(t * NH + head) * D + d] * k[(s * NKV + g) * D + d];
          p_s[s] = dot / std::sqrt(static_cast<double>(D));
          max_s = std::max(max_s, p_s[s]);
        }
        for (size_t s = 0; s <= t; ++s) {
          if (!global && t - s >= static_cast<size_t>(c.window)) continue;
          p_s[s] = std::exp(p_s[s] - max_s);
          sum += p_s[s];
          for (size_t d = 0; d < D; ++d) a[(t * NH + head) * D + d] += p_s[s] * v[(s * NKV + g) * D + d];
        }
        for (size_t d = 0; d < D; ++d) a[(t * NH + head) * D + d] /= sum;
      }
    Mat o = rms(matmul(a, w[p + "self_attn.o_proj.weight"], H, NH * D), w[p + "post_attention_layernorm.weight"], H);
    for (size_t i = 0; i < x.size(); ++i) x[i] += o[i];
    h = rms(x, w[p + "pre_feedforward_layernorm.weight"], H);
    Mat gate = matmul(h, w[p + "mlp.gate_proj.weight"], I, H), up = matmul(h, w[p + "mlp.up_proj.weight"], I, H);
    for (size_t i = 0; i < gate.size(); ++i) {
      double g = gate[i];
      gate[i] = 0.5 * g * (1 + std::tanh(std::sqrt(2 / M_PI) * (g + 0.044715 * g * g * g))) * up[i];
    }
    Mat d = rms(matmul(gate, w[p + "mlp.down_proj.weight"], H, I), w[p + "post_feedforward_layernorm.weight"], H);
    for (size_t i = 0; i < x.size(); ++i) x[i] += d[i];
  }
  x = rms(x, w["model.norm.weight"], H);
  return matmul(x, embed, V, H);
}

namespace {

/// A protobuf varint at `*at` in `bytes`, advancing `*at`.
uint64_t readVarint(const std::vector<uint8_t>& bytes, size_t* at) {
  uint64_t value = 0;
  for (int shift = 0; *at < bytes.size() && shift < 64; shift += 7) {
    uint8_t byte = bytes[(*at)++];
    value |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if (byte < 0x80) return value;
  }
  throw std::runtime_error("referenceTokenizer: a truncated varint");
}

}  // namespace

std::vector<uint8_t> referenceTokenizer(int32_t pieces) {
  std::ifstream in(GEMMAC_REFERENCE_DIR "/tokenizer/tokenizer.model", std::ios::binary);
  std::vector<uint8_t> model((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (model.empty()) throw std::runtime_error("cannot read " GEMMAC_REFERENCE_DIR "/tokenizer/tokenizer.model");
  if (pieces <= 0) return model;
  // ModelProto's top-level fields are all length-delimited: 1 is a piece (in id
  // order), 2 the trainer spec, 3 the normalizer spec, 4 self-test samples
  // (dropped: they were made with every piece). Protobuf reads fields in any order.
  std::vector<uint8_t> cut;
  int32_t kept = 0;
  for (size_t at = 0; at < model.size();) {
    const size_t start = at;
    const uint64_t tag = readVarint(model, &at);
    const uint64_t length = readVarint(model, &at);
    if ((tag & 7) != 2 || length > model.size() - at)
      throw std::runtime_error("referenceTokenizer: unexpected ModelProto field");
    at += length;
    const uint64_t field = tag >> 3;
    if (field == 4 || (field == 1 && kept++ >= pieces)) continue;
    cut.insert(cut.end(), model.begin() + static_cast<ptrdiff_t>(start), model.begin() + static_cast<ptrdiff_t>(at));
  }
  return cut;
}

namespace {

// The paths writeTempFile made, removed at exit: fixtures that load a model
// keep it for the whole process, and a 262k-vocabulary model is 100+ MB, so
// files left behind by every test process filled /tmp by gigabytes a run.
class TempFiles {
 public:
  ~TempFiles() {
    for (const std::string& path : paths_) std::remove(path.c_str());
  }
  void add(const std::string& path) {
    if (std::find(paths_.begin(), paths_.end(), path) == paths_.end()) paths_.push_back(path);
  }

 private:
  std::vector<std::string> paths_;
};

}  // namespace

std::string writeTempFile(const std::string& name, const std::vector<uint8_t>& bytes) {
  static TempFiles files;
  const char* dir = std::getenv("TMPDIR");
  std::string path = std::string(dir ? dir : "/tmp") + "/gemmac_test_" + std::to_string(getpid()) + "_" + name;
  writeFile(path, bytes);
  files.add(path);
  return path;
}

void writeFile(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write " + path);
}

}  // namespace gemmac::test
