//===- ModelWriter.cpp - gemma IR -> .gmf FlatBuffer model file -----------===//

#include "compiler/flatbuffer/ModelWriter.h"

#include "compiler/flatbuffer/PlanBuilder.h"
#include "compiler/importers/Safetensors.h"
#include "compiler/quantize/GroupQuantizer.h"
#include "runtime/kernels/kernels.h"
#include "runtime/src/loader/sha256.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/bit.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Support/xxhash.h"

#include <cmath>
#include <cstring>
#include <limits>

using namespace mlir;
namespace fb = gemmac::schema;

namespace gemmac {
namespace {

constexpr uint32_t kFormatVersion = 2;
constexpr uint64_t kSegmentAlignment = 64;
constexpr uint64_t kMaxTokenizerBytes = uint64_t(1) << 30;

/// One tensor's placement in the file and where its bytes come from.
struct PlacedTensor {
  const SafetensorsTensor *source;
  const QuantizedWeight *quantized; // the bytes as stored, for Q8G32 / Q4G32
  fb::DType dtype;
  uint64_t offset; // relative to the segment base
  uint64_t size;
};

/// The model file stores config values as int32: a value outside [0, 2^31)
/// is an error, never silently truncated.
FailureOr<int32_t> toInt32Field(ModuleOp module, StringRef what, int64_t value) {
  if (value < 0 || value > std::numeric_limits<int32_t>::max())
    return module.emitError("gemma.config ")
           << what << " = " << value << " does not fit the model file's int32 field [0, "
           << std::numeric_limits<int32_t>::max() << "]";
  return static_cast<int32_t>(value);
}

FailureOr<int32_t> configInt(ModuleOp module, DictionaryAttr config, StringRef key) {
  auto value = config.getAs<IntegerAttr>(key);
  if (!value)
    return module.emitError("gemma.config has no integer '") << key << "'";
  return toInt32Field(module, ("'" + key + "'").str(), value.getInt());
}

/// The Config table from the module's `gemma.config` dictionary.
FailureOr<flatbuffers::Offset<fb::Config>>
buildConfig(ModuleOp module, flatbuffers::FlatBufferBuilder &builder) {
  auto config = module->getAttrOfType<DictionaryAttr>("gemma.config");
  if (!config)
    return module.emitError("module has no gemma.config dictionary");
  auto modelType = config.getAs<StringAttr>("model_type");
  auto stopIds = config.getAs<ArrayAttr>("stop_ids");
  if (!modelType || !stopIds)
    return module.emitError("gemma.config needs 'model_type' and 'stop_ids'");
  std::vector<int32_t> stops;
  for (Attribute id : stopIds) {
    auto intId = dyn_cast<IntegerAttr>(id);
    if (!intId)
      return module.emitError("gemma.config 'stop_ids' must hold integers");
    FailureOr<int32_t> stop = toInt32Field(module, "'stop_ids' entry", intId.getInt());
    if (failed(stop))
      return failure();
    stops.push_back(*stop);
  }

  static const char *const keys[] = {
      "vocab_size", "hidden_size", "intermediate_size", "num_layers",
      "num_heads",  "num_kv_heads", "head_dim",         "max_context",
      "sliding_window", "bos_id",   "pad_id"};
  llvm::StringMap<int32_t> ints;
  for (const char *key : keys) {
    auto value = configInt(module, config, key);
    if (failed(value))
      return failure();
    ints[key] = *value;
  }
  auto typeOffset = builder.CreateString(modelType.getValue().str());
  auto stopsOffset = builder.CreateVector(stops);
  return fb::CreateConfig(builder, typeOffset, ints["vocab_size"], ints["hidden_size"],
                          ints["intermediate_size"], ints["num_layers"], ints["num_heads"],
                          ints["num_kv_heads"], ints["head_dim"], ints["max_context"],
                          ints["sliding_window"], ints["bos_id"], ints["pad_id"],
                          stopsOffset);
}

/// The stored type of a tensor: gemma-quantize's choice, or the checkpoint's
/// (bf16 and f32 as they are, f16 widened to f32).
FailureOr<fb::DType> storedType(ModuleOp module, const PlannedTensor &tensor,
                                const SafetensorsTensor &source) {
  if (tensor.storage.empty())
    return source.type == ElementType::BF16 ? fb::DType::BF16 : fb::DType::F32;
  std::optional<WeightFormat> format = parseWeightFormat(tensor.storage);
  if (!format)
    return module.emitError("weight '") << tensor.name << "' has an unknown storage '"
                                        << tensor.storage << "'";
  switch (*format) {
  case WeightFormat::F32:
    return fb::DType::F32;
  case WeightFormat::BF16:
    return fb::DType::BF16;
  case WeightFormat::Q8G32:
    return fb::DType::Q8G32;
  case WeightFormat::Q4G32:
    return fb::DType::Q4G32;
  }
  llvm_unreachable("covered switch");
}

uint64_t storedSize(fb::DType dtype, RankedTensorType type) {
  const uint64_t numel = type.getNumElements();
  switch (dtype) {
  case fb::DType::F32:
    return numel * 4;
  case fb::DType::BF16:
    return numel * 2;
  case fb::DType::Q8G32:
    return gemmac_q8g32_bytes(type.getDimSize(0), type.getDimSize(1));
  case fb::DType::Q4G32:
    return gemmac_q4g32_bytes(type.getDimSize(0), type.getDimSize(1));
  }
  llvm_unreachable("covered switch");
}

/// Chooses each tensor's stored type and its 64-byte aligned place.
FailureOr<std::vector<PlacedTensor>> placeTensors(ModuleOp module,
                                                  llvm::ArrayRef<PlannedTensor> planned,
                                                  const SafetensorsFile &weights,
                                                  const ModelWriterOptions &options) {
  std::vector<PlacedTensor> placed;
  uint64_t offset = 0;
  for (const PlannedTensor &tensor : planned) {
    const SafetensorsTensor *source = weights.find(tensor.name);
    if (!source)
      return module.emitError("weight '") << tensor.name << "' is not in "
                                          << weights.path();
    if (llvm::ArrayRef<int64_t>(source->shape) != tensor.type.getShape())
      return module.emitError("weight '")
             << tensor.name << "' has another shape in " << weights.path()
             << " than in the IR";
    FailureOr<fb::DType> dtype = storedType(module, tensor, *source);
    if (failed(dtype))
      return failure();
    const QuantizedWeight *quantized = nullptr;
    if (*dtype == fb::DType::Q8G32 || *dtype == fb::DType::Q4G32) {
      auto it = options.quantized ? options.quantized->find(tensor.name)
                                  : llvm::StringMap<QuantizedWeight>::const_iterator();
      if (!options.quantized || it == options.quantized->end())
        return module.emitError("weight '")
               << tensor.name << "' is stored as " << tensor.storage
               << " but gemma-quantize left no bytes for it in this compile";
      quantized = &it->second;
    }
    uint64_t size = storedSize(*dtype, tensor.type);
    if (quantized && quantized->bytes.size() != size)
      return module.emitError("weight '") << tensor.name << "' was quantized to "
                                          << quantized->bytes.size() << " bytes, not " << size;
    placed.push_back({source, quantized, *dtype, offset, size});
    offset = llvm::alignTo(offset + size, kSegmentAlignment);
  }
  return placed;
}

/// Builds the whole FlatBuffer for a given segment base. The size does not
/// depend on the base (defaults are forced), so the writer builds twice:
/// once to learn the size, once with the base that follows it.
LogicalResult buildModel(ModuleOp module, func::FuncOp forward,
                         const SafetensorsFile &weights, StringRef tokenizerModel,
                         const ModelWriterOptions &options, uint64_t segmentBase,
                         uint64_t contentHash, flatbuffers::FlatBufferBuilder &builder,
                         std::vector<PlacedTensor> &placed, std::vector<std::string> *names) {
  builder.Clear();
  builder.ForceDefaults(true);
  auto config = buildConfig(module, builder);
  if (failed(config))
    return failure();
  auto plan = buildPlan(forward, builder);
  if (failed(plan))
    return failure();
  // Segment indices are uint32 fields.
  if (plan->tensors.size() > std::numeric_limits<uint32_t>::max())
    return module.emitError("the plan has ")
           << plan->tensors.size() << " tensors, more than the model file's uint32 indices hold";
  auto placement = placeTensors(module, plan->tensors, weights, options);
  if (failed(placement))
    return failure();
  placed = std::move(*placement);
  if (names) {
    names->clear();
    for (const PlannedTensor &tensor : plan->tensors)
      names->push_back(tensor.name);
  }

  std::vector<flatbuffers::Offset<fb::Tensor>> tensors;
  std::vector<fb::Segment> segments;
  for (size_t i = 0; i < placed.size(); ++i) {
    const PlannedTensor &tensor = plan->tensors[i];
    std::vector<int64_t> shape(tensor.type.getShape().begin(), tensor.type.getShape().end());
    tensors.push_back(fb::CreateTensorDirect(builder, tensor.name.c_str(), placed[i].dtype,
                                             &shape, static_cast<uint32_t>(i)));
    segments.emplace_back(placed[i].offset, placed[i].size);
  }
  auto tokenizer = builder.CreateVector(
      reinterpret_cast<const uint8_t *>(tokenizerModel.data()), tokenizerModel.size());
  auto model = fb::CreateModel(
      builder, kFormatVersion, builder.CreateString(options.producer.str()), *config,
      plan->plan, builder.CreateVector(tensors), builder.CreateVectorOfStructs(segments),
      segmentBase, tokenizer, options.requiredCpuFeatures,
      options.compiledLibrary.empty() ? 0 : builder.CreateString(options.compiledLibrary.str()),
      contentHash, options.target.empty() ? 0 : builder.CreateString(options.target.str()));
  fb::FinishModelBuffer(builder, model);
  return success();
}

/// The padding before each segment (less than one alignment).
const char kZeros[kSegmentAlignment] = {};

void writeZeros(llvm::raw_ostream &os, uint64_t count) {
  while (count > 0) {
    uint64_t n = std::min<uint64_t>(count, sizeof(kZeros));
    os.write(kZeros, n);
    count -= n;
  }
}

/// f32 -> bf16, rounding to nearest even (NaNs stay quiet NaNs).
uint16_t toBf16(float value) {
  uint32_t bits = llvm::bit_cast<uint32_t>(value);
  if (std::isnan(value))
    return static_cast<uint16_t>((bits >> 16) | 0x40);
  return static_cast<uint16_t>((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16);
}

/// Streams one tensor's bytes in its stored type, converting through a small buffer.
void writeTensor(llvm::raw_ostream &os, const PlacedTensor &tensor) {
  const SafetensorsTensor &source = *tensor.source;
  if (tensor.quantized) {
    os.write(reinterpret_cast<const char *>(tensor.quantized->bytes.data()),
             tensor.quantized->bytes.size());
    return;
  }
  const bool bf16 = tensor.dtype == fb::DType::BF16;
  if ((bf16 && source.type == ElementType::BF16) || (!bf16 && source.type == ElementType::F32)) {
    os.write(reinterpret_cast<const char *>(source.bytes.data()), source.bytes.size());
    return;
  }
  size_t elementBytes = elementSize(source.type);
  size_t count = source.bytes.size() / elementBytes;
  float buffer[4096];
  uint16_t narrow[4096];
  for (size_t start = 0; start < count; start += std::size(buffer)) {
    size_t n = std::min(count - start, std::size(buffer));
    for (size_t i = 0; i < n; ++i)
      buffer[i] = SafetensorsFile::toFloat(
          source.type, source.bytes.data() + (start + i) * elementBytes);
    if (!bf16) {
      os.write(reinterpret_cast<const char *>(buffer), n * sizeof(float));
      continue;
    }
    for (size_t i = 0; i < n; ++i)
      narrow[i] = toBf16(buffer[i]);
    os.write(reinterpret_cast<const char *>(narrow), n * sizeof(uint16_t));
  }
}

/// Hashes what is written to it, chunk by chunk (deterministic: the same
/// writes give the same hash).
class HashingStream : public llvm::raw_ostream {
public:
  HashingStream() { SetUnbuffered(); }
  uint64_t hash() const { return state; }

private:
  void write_impl(const char *data, size_t size) override {
    uint64_t chunk = llvm::xxh3_64bits(
        llvm::ArrayRef(reinterpret_cast<const uint8_t *>(data), size));
    state = (state ^ chunk) * 0x9E3779B97F4A7C15ull + size;
    position += size;
  }
  uint64_t current_pos() const override { return position; }

  uint64_t state = 0, position = 0;
};

/// The FlatBuffer and the tensors after it, as the file holds them.
void streamModel(llvm::raw_ostream &os, const flatbuffers::FlatBufferBuilder &builder,
                 uint64_t segmentBase, llvm::ArrayRef<PlacedTensor> placed) {
  os.write(reinterpret_cast<const char *>(builder.GetBufferPointer()), builder.GetSize());
  uint64_t position = builder.GetSize();
  for (const PlacedTensor &tensor : placed) {
    writeZeros(os, segmentBase + tensor.offset - position);
    writeTensor(os, tensor);
    position = segmentBase + tensor.offset + tensor.size;
  }
}

/// The SHA-256 of what streamModel writes before the segment area: the
/// FlatBuffer, then zeros up to the segment base.
std::array<uint8_t, 32> planDigest(const flatbuffers::FlatBufferBuilder &builder,
                                   uint64_t segmentBase) {
  gemmac_sha256 sha;
  gemmac_sha256_init(&sha);
  gemmac_sha256_update(&sha, builder.GetBufferPointer(), builder.GetSize());
  gemmac_sha256_update(&sha, kZeros, segmentBase - builder.GetSize());
  std::array<uint8_t, 32> digest;
  gemmac_sha256_final(&sha, digest.data());
  return digest;
}

/// The model file in memory: the final FlatBuffer (segment base and content
/// hash filled in) and where each tensor's bytes go after it.
struct BuiltModel {
  explicit BuiltModel(size_t reserve) : builder(reserve) {}
  flatbuffers::FlatBufferBuilder builder;
  std::vector<PlacedTensor> placed;
  uint64_t segmentBase = 0;
  ModelImage image;
};

LogicalResult buildImage(ModuleOp module, const SafetensorsFile &weights, StringRef tokenizerModel,
                         const ModelWriterOptions &options, BuiltModel &built) {
  // The tokenizer is embedded in the FlatBuffer, whose offsets are 32-bit and
  // whose size FlatBuffers caps at 2 GiB; Gemma's tokenizer is about 4.5 MiB.
  if (tokenizerModel.size() > kMaxTokenizerBytes)
    return module.emitError("the tokenizer model is ")
           << tokenizerModel.size() << " bytes, above the model file's limit of "
           << kMaxTokenizerBytes << " bytes";
  auto forward = module.lookupSymbol<func::FuncOp>("forward");
  if (!forward)
    return module.emitError("module has no @forward function to translate");
  flatbuffers::FlatBufferBuilder &builder = built.builder;
  std::vector<std::string> names;
  if (failed(buildModel(module, forward, weights, tokenizerModel, options, 0, 0, builder,
                        built.placed, nullptr)))
    return failure();
  built.segmentBase = llvm::alignTo(builder.GetSize(), kSegmentAlignment);
  if (failed(buildModel(module, forward, weights, tokenizerModel, options, built.segmentBase, 0,
                        builder, built.placed, &names)))
    return failure();
  HashingStream hasher;
  streamModel(hasher, builder, built.segmentBase, built.placed);
  if (failed(buildModel(module, forward, weights, tokenizerModel, options, built.segmentBase,
                        hasher.hash(), builder, built.placed, nullptr)))
    return failure();
  if (llvm::alignTo(builder.GetSize(), kSegmentAlignment) != built.segmentBase)
    return module.emitError("model FlatBuffer changed size between builds");
  built.image.planDigest = planDigest(builder, built.segmentBase);
  for (size_t i = 0; i < built.placed.size(); ++i)
    built.image.offsets[names[i]] = built.placed[i].offset;
  return success();
}

} // namespace

FailureOr<ModelImage> layoutModelFile(ModuleOp module, const SafetensorsFile &weights,
                                      StringRef tokenizerModel, const ModelWriterOptions &options) {
  BuiltModel built(tokenizerModel.size() + (1 << 20));
  if (failed(buildImage(module, weights, tokenizerModel, options, built)))
    return failure();
  return std::move(built.image);
}

LogicalResult writeModelFile(ModuleOp module, const SafetensorsFile &weights,
                             StringRef tokenizerModel, const ModelWriterOptions &options,
                             StringRef outputPath, ModelImage *imageOut) {
  BuiltModel built(tokenizerModel.size() + (1 << 20));
  if (failed(buildImage(module, weights, tokenizerModel, options, built)))
    return failure();

  auto temp = llvm::sys::fs::TempFile::create(outputPath + ".tmp-%%%%%%");
  if (!temp)
    return module.emitError("cannot create a file beside ")
           << outputPath << ": " << llvm::toString(temp.takeError());
  {
    llvm::raw_fd_ostream os(temp->FD, /*shouldClose=*/false);
    streamModel(os, built.builder, built.segmentBase, built.placed);
    os.flush();
    if (os.has_error()) {
      std::string message = os.error().message();
      os.clear_error();
      llvm::consumeError(temp->discard());
      return module.emitError("cannot write ") << outputPath << ": " << message;
    }
  }
  if (llvm::Error error = temp->keep(outputPath)) {
    std::string message = llvm::toString(std::move(error));
    return module.emitError("cannot create ") << outputPath << ": " << message;
  }
  if (imageOut)
    *imageOut = std::move(built.image);
  return success();
}

} // namespace gemmac
