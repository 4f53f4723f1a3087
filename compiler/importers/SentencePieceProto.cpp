//===- SentencePieceProto.cpp - SentencePiece ModelProto wire format ------===//
//
// Field numbers are those of sentencepiece_model.proto.
//
//===----------------------------------------------------------------------===//

#include "compiler/importers/SentencePieceProto.h"

#include <optional>

#include <cstring>

using namespace llvm;

namespace gemmac {
namespace {

enum WireType : uint32_t { Varint = 0, Fixed64 = 1, Len = 2, Fixed32 = 5 };

class Writer {
public:
  std::string bytes;

  void varint(uint64_t value) {
    while (value >= 0x80) {
      bytes.push_back(char(value | 0x80));
      value >>= 7;
    }
    bytes.push_back(char(value));
  }
  void tag(uint32_t field, WireType type) { varint(field << 3 | type); }
  // int32 fields sign-extend to 64 bits on the wire (-1 takes 10 bytes).
  void int32Field(uint32_t field, int32_t value) {
    tag(field, Varint);
    varint(uint64_t(int64_t(value)));
  }
  void boolField(uint32_t field, bool value) { int32Field(field, value); }
  void stringField(uint32_t field, StringRef value) {
    tag(field, Len);
    varint(value.size());
    bytes.append(value.data(), value.size());
  }
  void floatField(uint32_t field, float value) {
    tag(field, Fixed32);
    uint32_t bits;
    std::memcpy(&bits, &value, sizeof(bits));
    for (int i = 0; i < 4; ++i)
      bytes.push_back(char(bits >> (8 * i)));
  }
};

std::string serializePiece(const SentencePiece &piece) {
  Writer w;
  w.stringField(1, piece.piece);
  w.floatField(2, piece.score);
  w.int32Field(3, int32_t(piece.type));
  return w.bytes;
}

std::string serializeTrainerSpec(const SentencePieceModel &model) {
  constexpr int32_t kModelTypeBpe = 2;
  Writer w;
  w.int32Field(3, kModelTypeBpe);
  w.int32Field(4, int32_t(model.pieces.size()));
  w.boolField(25, model.splitDigits);
  w.boolField(26, model.allowWhitespaceOnlyPieces);
  w.boolField(35, model.byteFallback);
  w.int32Field(40, model.unkId);
  w.int32Field(41, model.bosId);
  w.int32Field(42, model.eosId);
  w.int32Field(43, model.padId);
  w.stringField(45, model.unkPiece);
  w.stringField(46, model.bosPiece);
  w.stringField(47, model.eosPiece);
  w.stringField(48, model.padPiece);
  return w.bytes;
}

std::string serializeNormalizerSpec(const SentencePieceModel &model) {
  Writer w;
  w.stringField(1, model.normalizerName);
  w.boolField(3, model.addDummyPrefix);
  w.boolField(4, model.removeExtraWhitespaces);
  w.boolField(5, model.escapeWhitespaces);
  return w.bytes;
}

/// Reads protobuf fields from a byte range, failing on malformed data.
class Reader {
public:
  explicit Reader(StringRef bytes) : rest(bytes) {}

  bool done() const { return rest.empty(); }

  /// Reads one field; for Len fields `payload` receives the bytes.
  bool next(uint32_t &field, WireType &type, StringRef &payload) {
    uint64_t key;
    if (!varint(key) || (key >> 3) == 0)
      return false;
    field = uint32_t(key >> 3);
    type = WireType(key & 7);
    uint64_t size;
    switch (type) {
    case Varint:
      return varint(size);
    case Fixed64:
      return skip(8);
    case Fixed32:
      return skip(4);
    case Len:
      if (!varint(size) || size > rest.size())
        return false;
      payload = rest.take_front(size);
      rest = rest.drop_front(size);
      return true;
    }
    return false;
  }

private:
  bool varint(uint64_t &value) {
    value = 0;
    for (unsigned shift = 0; shift < 64 && !rest.empty(); shift += 7) {
      uint8_t byte = rest.front();
      rest = rest.drop_front();
      value |= uint64_t(byte & 0x7F) << shift;
      if (!(byte & 0x80))
        return true;
    }
    return false;
  }
  bool skip(size_t n) {
    if (rest.size() < n)
      return false;
    rest = rest.drop_front(n);
    return true;
  }

  StringRef rest;
};

} // namespace

std::string serializeModelProto(const SentencePieceModel &model) {
  Writer w;
  for (const SentencePiece &piece : model.pieces)
    w.stringField(1, serializePiece(piece));
  w.stringField(2, serializeTrainerSpec(model));
  w.stringField(3, serializeNormalizerSpec(model));
  return w.bytes;
}

Expected<std::vector<std::string>> readPieceTexts(StringRef bytes,
                                                 StringRef pathForErrors) {
  auto fail = [&](const Twine &message) {
    return createStringError(inconvertibleErrorCode(),
                             "%s: not a SentencePiece model: %s",
                             pathForErrors.str().c_str(),
                             message.str().c_str());
  };
  Reader reader(bytes);
  std::vector<std::string> pieces;
  while (!reader.done()) {
    uint32_t field;
    WireType type;
    StringRef payload;
    if (!reader.next(field, type, payload))
      return fail("malformed protobuf data");
    if (field != 1)
      continue;
    if (type != Len)
      return fail("field 'pieces' has the wrong wire type");
    // Each piece must itself parse and carry its text (field 1).
    Reader pieceReader(payload);
    std::optional<StringRef> text;
    while (!pieceReader.done()) {
      uint32_t pieceField;
      WireType pieceType;
      StringRef value;
      if (!pieceReader.next(pieceField, pieceType, value))
        return fail("malformed piece " + Twine(pieces.size()));
      if (pieceField == 1 && pieceType == Len)
        text = value;
    }
    // SentencePiece refuses to load a model with an empty piece.
    if (!text || text->empty())
      return fail("piece " + Twine(pieces.size()) + " has no text");
    pieces.push_back(text->str());
  }
  if (pieces.empty())
    return fail("no pieces");
  return pieces;
}

} // namespace gemmac
