//===- SentencePieceProto.h - SentencePiece ModelProto wire format -*- C++ -*-===//
//
// Debian's libsentencepiece-dev ships no sentencepiece_model.pb.h, so the few
// ModelProto fields the converter needs are encoded (and sanity-checked) here
// by hand, in the protobuf wire format.
//
//===----------------------------------------------------------------------===//
#ifndef GEMMAC_COMPILER_IMPORTERS_SENTENCEPIECEPROTO_H
#define GEMMAC_COMPILER_IMPORTERS_SENTENCEPIECEPROTO_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>
#include <vector>

namespace gemmac {

/// ModelProto.SentencePiece.Type.
enum class PieceType : uint8_t {
  Normal = 1,
  Unknown = 2,
  Control = 3,
  UserDefined = 4,
  Byte = 6,
};

struct SentencePiece {
  std::string piece;
  float score = 0;
  PieceType type = PieceType::Normal;
};

/// The subset of ModelProto (pieces, TrainerSpec, NormalizerSpec) a BPE model
/// needs to load and encode.
struct SentencePieceModel {
  std::vector<SentencePiece> pieces;
  // TrainerSpec (model_type is always BPE, vocab_size is pieces.size()).
  bool splitDigits = false;
  bool allowWhitespaceOnlyPieces = true;
  bool byteFallback = false;
  int32_t unkId = -1, bosId = -1, eosId = -1, padId = -1;
  std::string unkPiece = "<unk>", bosPiece = "<s>", eosPiece = "</s>",
              padPiece = "<pad>";
  // NormalizerSpec.
  std::string normalizerName = "identity";
  bool addDummyPrefix = false;
  bool removeExtraWhitespaces = false;
  bool escapeWhitespaces = true;
};

/// Serializes in field-number order, as protobuf's own serializer does, so a
/// model equal to a reference model is also byte-identical to it.
std::string serializeModelProto(const SentencePieceModel &model);

/// Walks serialized ModelProto bytes and returns the text of every piece, in id
/// order; errors (naming `pathForErrors`) on malformed wire data, a piece
/// without text or a model without pieces.
llvm::Expected<std::vector<std::string>> readPieceTexts(llvm::StringRef bytes,
                                       llvm::StringRef pathForErrors);

} // namespace gemmac

#endif // GEMMAC_COMPILER_IMPORTERS_SENTENCEPIECEPROTO_H
