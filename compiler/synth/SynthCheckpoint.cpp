//===- SynthCheckpoint.cpp - Deterministic synthetic Gemma 3 checkpoint ---===//
//
// Reimplements ../shared/reference/synth_gemma3.py; its docstring defines
// every value. The output files must match it byte for byte, so the JSON is
// printed exactly as Python's json module prints it.
//
//===----------------------------------------------------------------------===//

#include "compiler/synth/SynthCheckpoint.h"

#include "compiler/importers/ModelConfig.h"
#include "compiler/importers/TensorTable.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <cstring>

using namespace llvm;

namespace gemmac {
namespace {

constexpr uint64_t kGolden = 0x9E3779B97F4A7C15ull;
constexpr uint64_t kGroupMix = 0xD1B54A32D192ED03ull;
constexpr int64_t kQatGroup = 32;

uint64_t fnv1a64(StringRef text) {
  uint64_t hash = 0xCBF29CE484222325ull;
  for (unsigned char byte : text) {
    hash ^= byte;
    hash *= 0x100000001B3ull;
  }
  return hash;
}

/// splitmix64's finalizer.
uint64_t mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

uint16_t toBf16Bits(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof(bits));
  uint32_t rounding = ((bits >> 16) & 1) + 0x7FFF;
  return uint16_t((bits + rounding) >> 16);
}

double amplitude(const TensorSpec &spec) {
  if (spec.role == TensorRole::Embedding)
    return 0.05;
  if (spec.shape.size() == 1)
    return 0.5;
  return std::sqrt(3.0 / double(spec.shape[1]));
}

/// Generates one tensor's bf16 values in order, a chunk at a time.
class TensorGenerator {
public:
  TensorGenerator(StringRef seed, const TensorSpec &spec, bool qatGrid)
      : key(fnv1a64((seed + "/" + spec.name).str())), amp(amplitude(spec)),
        qat(qatGrid && spec.shape.size() == 2),
        qatBaseExponent(int(std::floor(std::log2(amp / 8.0)))) {}

  /// Fills `out` with the values of elements [start, start + out.size()).
  void fill(uint64_t start, MutableArrayRef<uint16_t> out) const {
    int groupExponent = 0;
    for (auto [offset, value] : llvm::enumerate(out)) {
      uint64_t i = start + offset;
      uint64_t x = mix(key + (i + 1) * kGolden);
      if (!qat) {
        double u = double(x >> 11) * 0x1p-53;
        value = toBf16Bits(float((2.0 * u - 1.0) * amp));
        continue;
      }
      if (offset == 0 || i % kQatGroup == 0)
        groupExponent = qatBaseExponent -
                        int(mix(key ^ ((i / kQatGroup) * kGroupMix)) & 1);
      int64_t q = (x & 255) == 0 ? -8 : int64_t((x >> 32) % 15) - 7;
      value = toBf16Bits(float(std::ldexp(double(q), groupExponent)));
    }
  }

private:
  uint64_t key;
  double amp;
  bool qat;
  int qatBaseExponent;
};

/// A string as Python's json.dumps prints it (ensure_ascii=True).
std::string pythonJsonString(StringRef text) {
  std::string out = "\"";
  raw_string_ostream os(out);
  for (size_t i = 0; i < text.size();) {
    unsigned char c = text[i];
    if (c == '"' || c == '\\') {
      os << '\\' << c;
    } else if (c == '\n') {
      os << "\\n";
    } else if (c == '\t') {
      os << "\\t";
    } else if (c == '\r') {
      os << "\\r";
    } else if (c == '\b') {
      os << "\\b";
    } else if (c == '\f') {
      os << "\\f";
    } else if (c < 0x20) {
      os << format("\\u%04x", c);
    } else if (c < 0x80) {
      os << c;
    } else {
      // Decode UTF-8 and escape as UTF-16 code units.
      unsigned length = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
      uint32_t cp = c & (0x7F >> length);
      for (unsigned k = 1; k < length && i + k < text.size(); ++k)
        cp = cp << 6 | (uint8_t(text[i + k]) & 0x3F);
      if (cp >= 0x10000) {
        cp -= 0x10000;
        os << format("\\u%04x\\u%04x", 0xD800 + (cp >> 10),
                     0xDC00 + (cp & 0x3FF));
      } else {
        os << format("\\u%04x", cp);
      }
      i += length;
      continue;
    }
    ++i;
  }
  os << '"';
  return out;
}

/// config.json as json.dump(cfg, indent=2) prints the script's BASE_CONFIG
/// (key order included) with num_hidden_layers, vocab_size and layer_types.
std::string configJson(int64_t layers, int64_t vocab) {
  std::string out;
  raw_string_ostream os(out);
  os << "{\n"
        "  \"_sliding_window_pattern\": 6,\n"
        "  \"architectures\": [\n"
        "    \"Gemma3ForCausalLM\"\n"
        "  ],\n"
        "  \"attention_bias\": false,\n"
        "  \"attention_dropout\": 0.0,\n"
        "  \"attn_logit_softcapping\": null,\n"
        "  \"bos_token_id\": 2,\n"
        "  \"eos_token_id\": 1,\n"
        "  \"final_logit_softcapping\": null,\n"
        "  \"head_dim\": 256,\n"
        "  \"hidden_activation\": \"gelu_pytorch_tanh\",\n"
        "  \"hidden_size\": 640,\n"
        "  \"initializer_range\": 0.02,\n"
        "  \"intermediate_size\": 2048,\n"
        "  \"max_position_embeddings\": 32768,\n"
        "  \"model_type\": \"gemma3_text\",\n"
        "  \"num_attention_heads\": 4,\n"
     << "  \"num_hidden_layers\": " << layers << ",\n"
     << "  \"num_key_value_heads\": 1,\n"
        "  \"pad_token_id\": 0,\n"
        "  \"query_pre_attn_scalar\": 256,\n"
        "  \"rms_norm_eps\": 1e-06,\n"
        "  \"rope_local_base_freq\": 10000.0,\n"
        "  \"rope_scaling\": null,\n"
        "  \"rope_theta\": 1000000.0,\n"
        "  \"sliding_window\": 512,\n"
        "  \"torch_dtype\": \"bfloat16\",\n"
        "  \"use_bidirectional_attention\": false,\n"
        "  \"use_cache\": true,\n"
     << "  \"vocab_size\": " << vocab << ",\n"
     << "  \"layer_types\": [";
  for (int64_t i = 0; i < layers; ++i)
    os << (i ? ",\n    " : "\n    ")
       << ((i + 1) % 6 == 0 ? "\"full_attention\"" : "\"sliding_attention\"");
  os << "\n  ]\n}";
  return out;
}

/// The safetensors header: json.dumps(separators=(",", ":")) of the tensors
/// in name order then __metadata__, padded with spaces to a multiple of 8.
std::string safetensorsHeader(ArrayRef<const TensorSpec *> sorted) {
  std::string out = "{";
  raw_string_ostream os(out);
  uint64_t offset = 0;
  for (const TensorSpec *spec : sorted) {
    uint64_t bytes = 2;
    for (int64_t dim : spec->shape)
      bytes *= uint64_t(dim);
    os << pythonJsonString(spec->name) << ":{\"dtype\":\"BF16\",\"shape\":[";
    interleave(spec->shape, os, ",");
    os << "],\"data_offsets\":[" << offset << "," << offset + bytes << "]},";
    offset += bytes;
  }
  os << "\"__metadata__\":{\"format\":\"pt\"}}";
  out.append((8 - out.size() % 8) % 8, ' ');
  return out;
}

Error writeSafetensors(raw_ostream &os, const SynthOptions &options,
                       const std::vector<TensorSpec> &table) {
  std::vector<const TensorSpec *> sorted;
  for (const TensorSpec &spec : table)
    sorted.push_back(&spec);
  llvm::sort(sorted, [](const TensorSpec *a, const TensorSpec *b) {
    return a->name < b->name;
  });
  std::string header = safetensorsHeader(sorted);
  uint64_t headerSize = header.size();
  char sizeBytes[8];
  for (int i = 0; i < 8; ++i)
    sizeBytes[i] = char(headerSize >> (8 * i));
  os.write(sizeBytes, 8);
  os << header;

  constexpr uint64_t kChunk = 1 << 20;
  std::vector<uint16_t> chunk(kChunk);
  for (const TensorSpec *spec : sorted) {
    TensorGenerator generator(options.seed, *spec, options.qatGrid);
    uint64_t count = 1;
    for (int64_t dim : spec->shape)
      count *= uint64_t(dim);
    for (uint64_t start = 0; start < count; start += kChunk) {
      MutableArrayRef<uint16_t> values(chunk.data(),
                                       std::min(kChunk, count - start));
      generator.fill(start, values);
      if (sys::IsBigEndianHost)
        for (uint16_t &v : values)
          v = uint16_t(v << 8 | v >> 8);
      os.write(reinterpret_cast<const char *>(values.data()),
               values.size() * sizeof(uint16_t));
    }
  }
  return Error::success();
}

/// A file written under a temporary name, renamed into place by commit().
struct PendingFile {
  std::string path;
  sys::fs::TempFile temp;
};

Expected<PendingFile> writePending(StringRef dir, StringRef name,
                                   function_ref<Error(raw_ostream &)> write) {
  SmallString<256> path(dir);
  sys::path::append(path, name);
  Expected<sys::fs::TempFile> temp =
      sys::fs::TempFile::create(path + ".tmp-%%%%%%");
  if (!temp)
    return createStringError(inconvertibleErrorCode(), "%s: cannot create: %s",
                             path.c_str(), toString(temp.takeError()).c_str());
  raw_fd_ostream os(temp->FD, /*shouldClose=*/false);
  Error error = write(os);
  os.flush();
  if (!error && os.has_error())
    error = createStringError(os.error(), "%s: write failed: %s", path.c_str(),
                              os.error().message().c_str());
  os.clear_error();
  if (error)
    return joinErrors(std::move(error), temp->discard());
  return PendingFile{path.str().str(), std::move(*temp)};
}

} // namespace

Error writeSynthCheckpoint(StringRef outDir, const SynthOptions &options) {
  int64_t layers = options.layers.value_or(18);
  int64_t vocab = options.vocab.value_or(262144);
  if (layers < 1 || vocab < 1)
    return createStringError(inconvertibleErrorCode(),
                             "synth: --layers and --vocab must be positive");
  if (std::error_code ec = sys::fs::create_directories(outDir))
    return createStringError(ec, "%s: cannot create directory: %s",
                             outDir.str().c_str(), ec.message().c_str());

  // The tensors come from the config through the same parser and table the
  // importer uses, so the writer cannot drift from what the importer expects.
  std::string config = configJson(layers, vocab);
  Expected<ModelConfig> parsed = parseModelConfigText(config, "config.json");
  if (!parsed)
    return parsed.takeError();
  std::vector<TensorSpec> table = checkpointTensors(*parsed);

  std::vector<PendingFile> files;
  auto discardAll = [&](Error error) -> Error {
    for (PendingFile &file : files)
      error = joinErrors(std::move(error), file.temp.discard());
    return error;
  };
  auto add = [&](StringRef name,
                 function_ref<Error(raw_ostream &)> write) -> Error {
    Expected<PendingFile> file = writePending(outDir, name, write);
    if (!file)
      return file.takeError();
    files.push_back(std::move(*file));
    return Error::success();
  };
  if (Error error = add("model.safetensors", [&](raw_ostream &os) {
        return writeSafetensors(os, options, table);
      }))
    return discardAll(std::move(error));
  if (Error error = add("config.json", [&](raw_ostream &os) {
        os << config;
        return Error::success();
      }))
    return discardAll(std::move(error));
  if (Error error = add("synth.json", [&](raw_ostream &os) {
        os << "{\"seed\": " << pythonJsonString(options.seed)
           << ", \"qat_grid\": " << (options.qatGrid ? "true" : "false") << "}";
        return Error::success();
      }))
    return discardAll(std::move(error));

  for (PendingFile &file : files)
    if (Error error = file.temp.keep(file.path))
      return discardAll(std::move(error));
  return Error::success();
}

} // namespace gemmac
