//===- SynthCheckpoint.h - Deterministic synthetic Gemma 3 checkpoint -*- C++ -*-===//
//
// Writes the checkpoint ../shared/reference/synth_gemma3.py writes, bit for bit
// (same model.safetensors sha256), so the offline demo and the tests need no
// download and no Python.
//
//===----------------------------------------------------------------------===//
#ifndef GEMMAC_COMPILER_SYNTH_SYNTHCHECKPOINT_H
#define GEMMAC_COMPILER_SYNTH_SYNTHCHECKPOINT_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <optional>
#include <string>

namespace gemmac {

struct SynthOptions {
  std::string seed = "gemmac-synth-v1";
  bool qatGrid = false;                 // every 2-D weight on a Q4_0 grid
  std::optional<int64_t> layers;        // default 18
  std::optional<int64_t> vocab;         // default 262144
};

/// Writes config.json, model.safetensors and synth.json into `outDir`
/// (created if needed). Files are written to temporaries and renamed, so a
/// failure leaves no partial checkpoint.
llvm::Error writeSynthCheckpoint(llvm::StringRef outDir, const SynthOptions &options);

} // namespace gemmac

#endif // GEMMAC_COMPILER_SYNTH_SYNTHCHECKPOINT_H
