#include "llm/tokenizer.h"

#include <sentencepiece_processor.h>

#include <exception>
#include <new>

#include "api/status.h"
#include "utf8.h"

namespace gemmac {
namespace {

constexpr std::string_view kSpaceSymbol = "\xE2\x96\x81";  // "▁"

/// "<0xAB>" -> 0xAB; SentencePiece's spelling of byte-fallback pieces.
bool parseBytePiece(const std::string& piece, unsigned char* byte) {
  if (piece.size() != 6 || piece.compare(0, 3, "<0x") != 0 || piece[5] != '>') return false;
  unsigned value = 0;
  for (size_t i = 3; i < 5; ++i) {
    char c = piece[i];
    unsigned digit = (c >= '0' && c <= '9')   ? c - '0'
                     : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                     : (c >= 'a' && c <= 'f') ? c - 'a' + 10
                                              : 16u;
    if (digit == 16u) return false;
    value = value * 16 + digit;
  }
  *byte = static_cast<unsigned char>(value);
  return true;
}

}  // namespace

Tokenizer::Tokenizer() : processor_(std::make_unique<sentencepiece::SentencePieceProcessor>()) {}
Tokenizer::~Tokenizer() = default;

gemmac_status Tokenizer::create(const void* data, size_t size, std::unique_ptr<Tokenizer>* out) {
  if (data == nullptr || size == 0 || out == nullptr)
    return makeStatus(GEMMAC_INVALID_ARGUMENT, "tokenizer: no model bytes");
  std::unique_ptr<Tokenizer> tokenizer(new Tokenizer());
  sentencepiece::util::Status status;
  try {
    status = tokenizer->processor_->LoadFromSerializedProto(
        std::string_view(static_cast<const char*>(data), size));
  } catch (const std::bad_alloc&) {
    throw;  // the C API's barrier reports it
  } catch (const std::exception& e) {
    // libsentencepiece throws on some malformed models instead of failing
    // (its trie builder on a piece that starts with a NUL byte): a corrupt
    // model, not an internal error.
    return makeStatus(GEMMAC_DATA_LOSS, "tokenizer: cannot parse the SentencePiece model: %s",
                      e.what());
  }
  if (!status.ok())
    return makeStatus(GEMMAC_DATA_LOSS, "tokenizer: cannot parse the SentencePiece model: %s",
                      status.ToString().c_str());
  if (tokenizer->processor_->GetPieceSize() <= 0)
    return makeStatus(GEMMAC_DATA_LOSS, "tokenizer: the SentencePiece model has no pieces");
  // Whether decode drops the space of a leading "▁" depends on normalizer flags
  // that the public API does not expose; probing the lone "▁" piece tells.
  int space_id = tokenizer->processor_->PieceToId(std::string(kSpaceSymbol));
  tokenizer->strip_leading_space_ = !tokenizer->processor_->IsUnknown(space_id) &&
                                    tokenizer->processor_->DecodeIds({space_id}).empty();
  *out = std::move(tokenizer);
  return nullptr;
}

int32_t Tokenizer::pieceCount() const { return processor_->GetPieceSize(); }

gemmac_status Tokenizer::checkId(int32_t id, bool* named) const {
  if (id < 0) return makeStatus(GEMMAC_INVALID_ARGUMENT, "token id %d is negative", id);
  *named = id < pieceCount();
  return nullptr;
}

gemmac_status Tokenizer::encode(std::string_view text, std::vector<int32_t>* ids) const {
  std::vector<int> encoded;
  auto status = processor_->Encode(text, &encoded);
  if (!status.ok())
    return makeStatus(GEMMAC_INVALID_ARGUMENT, "tokenizer: cannot encode: %s",
                      status.ToString().c_str());
  ids->assign(encoded.begin(), encoded.end());
  return nullptr;
}

gemmac_status Tokenizer::decode(const int32_t* ids, size_t count, std::string* text) const {
  std::vector<int> pieces;
  pieces.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    bool named;
    GEMMAC_RETURN_IF_ERROR(checkId(ids[i], &named));
    if (named) pieces.push_back(ids[i]);
  }
  auto status = processor_->Decode(pieces, text);
  if (!status.ok())
    return makeStatus(GEMMAC_INVALID_ARGUMENT, "tokenizer: cannot decode: %s",
                      status.ToString().c_str());
  return nullptr;
}

gemmac_status Tokenizer::pieceBytes(int32_t id, bool text_empty, std::string* bytes) const {
  bool named;
  GEMMAC_RETURN_IF_ERROR(checkId(id, &named));
  bytes->clear();
  if (!named || processor_->IsControl(id)) return nullptr;
  const std::string& piece = processor_->IdToPiece(id);
  unsigned char byte;
  if (processor_->IsByte(id) && parseBytePiece(piece, &byte)) {
    bytes->push_back(static_cast<char>(byte));
    return nullptr;
  }
  if (processor_->IsUnknown(id)) {
    *bytes = processor_->DecodeIds({id});  // the unknown surface, " ⁇ "
    return nullptr;
  }
  std::string_view rest = piece;
  if (text_empty && strip_leading_space_ && rest.substr(0, kSpaceSymbol.size()) == kSpaceSymbol)
    rest.remove_prefix(kSpaceSymbol.size());
  for (size_t at; (at = rest.find(kSpaceSymbol)) != std::string_view::npos;) {
    bytes->append(rest.substr(0, at));
    bytes->push_back(' ');
    rest.remove_prefix(at + kSpaceSymbol.size());
  }
  bytes->append(rest);
  return nullptr;
}

bool Tokenizer::isSpecial(int32_t id) const {
  if (id < 0 || id >= pieceCount()) return true;
  if (processor_->IsControl(id) || processor_->IsUnknown(id) || processor_->IsUnused(id)) return true;
  if (processor_->IsByte(id)) return false;
  const std::string& piece = processor_->IdToPiece(id);
  return piece.size() > 2 && piece.front() == '<' && piece.back() == '>' &&
         piece.find_first_of(" <>", 1) == piece.size() - 1;
}

gemmac_status StreamingDetokenizer::push(int32_t id, std::string* text) {
  text->clear();
  std::string bytes;
  GEMMAC_RETURN_IF_ERROR(tokenizer_.pieceBytes(id, at_start_ && pending_.empty(), &bytes));
  pending_ += bytes;
  size_t complete = utf8::completePrefixLength(pending_);
  utf8::appendValidated(std::string_view(pending_).substr(0, complete), text);
  pending_.erase(0, complete);
  if (!text->empty()) at_start_ = false;
  return nullptr;
}

std::string StreamingDetokenizer::finish() {
  std::string text;
  utf8::appendValidated(pending_, &text);
  pending_.clear();
  return text;
}

}  // namespace gemmac
