// SentencePiece tokenizer embedded in the .gmf, and a streaming detokenizer for
// the generate loop.
#ifndef GEMMAC_RUNTIME_SRC_TOKENIZER_H_
#define GEMMAC_RUNTIME_SRC_TOKENIZER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gemmac/gemmac.h"

namespace sentencepiece {
class SentencePieceProcessor;
}  // namespace sentencepiece

namespace gemmac {

class Tokenizer {
 public:
  /// Parses a serialized SentencePiece ModelProto (the bytes of tokenizer.model).
  static gemmac_status create(const void* data, size_t size, std::unique_ptr<Tokenizer>* out);
  ~Tokenizer();

  /// Encodes UTF-8 text without BOS.
  gemmac_status encode(std::string_view text, std::vector<int32_t>* ids) const;
  /// Decodes ids to UTF-8 text; control pieces (<bos>, <eos>, <pad>) give "";
  /// user-defined ones such as <start_of_turn> give their text, as in HF. Ids
  /// at or past pieceCount() give "" too: rows of a model's vocabulary that the
  /// tokenizer does not name (padding; the loader checks pieces <= vocabulary,
  /// and the caller that the ids are inside it). Negative ids are refused.
  gemmac_status decode(const int32_t* ids, size_t count, std::string* text) const;
  int32_t pieceCount() const;

  /// The raw bytes one piece adds to decoded text ("▁" as a space, a byte-fallback
  /// piece as its byte, a control piece as nothing). A byte piece may be part of
  /// a multi-byte character, so the result need not be valid UTF-8. `text_empty`:
  /// nothing decoded before it, where SentencePiece drops a dummy-prefix space.
  gemmac_status pieceBytes(int32_t id, bool text_empty, std::string* bytes) const;
  /// A piece that is not text the model writes: control, unknown or unused, or
  /// a whole "<tag>" piece (how Gemma spells <start_of_turn> and friends; this
  /// SentencePiece API does not tell user-defined pieces apart). Constrained
  /// decoding never picks these; the same text stays reachable through
  /// ordinary and byte pieces.
  bool isSpecial(int32_t id) const;

 private:
  Tokenizer();
  /// Refuses a negative id; true in *named when the tokenizer has its piece.
  gemmac_status checkId(int32_t id, bool* named) const;

  std::unique_ptr<sentencepiece::SentencePieceProcessor> processor_;
  bool strip_leading_space_ = false;
};

/// Turns generated ids into text one token at a time, emitting only complete
/// UTF-8 characters: the concatenation of every push() and finish() equals
/// Tokenizer::decode of all ids.
class StreamingDetokenizer {
 public:
  explicit StreamingDetokenizer(const Tokenizer& tokenizer) : tokenizer_(tokenizer) {}

  /// Adds one id; *text receives the newly completed characters (may be "").
  gemmac_status push(int32_t id, std::string* text);
  /// Flushes bytes of a character that never completed (as U+FFFD each, like decode).
  std::string finish();

 private:
  const Tokenizer& tokenizer_;
  std::string pending_;  // bytes of an incomplete trailing UTF-8 character
  bool at_start_ = true;
};

}  // namespace gemmac

#endif  // GEMMAC_RUNTIME_SRC_TOKENIZER_H_
