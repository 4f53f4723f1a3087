// libFuzzer target of tokenizer.model (a serialized SentencePiece ModelProto),
// read both ways it is read: by the compiler's check (readPieceTexts) and by
// the runtime's Tokenizer, whose every piece is then turned into bytes and
// classified, and which encodes and decodes a short text. Each must accept the
// bytes or refuse them with a message; when both accept, they must agree on
// the number of pieces. The protobuf parsing and the model itself inside
// libsentencepiece are not instrumented (see CMakeLists.txt).
#include "compiler/importers/SentencePieceProto.h"
#include "llm/tokenizer.h"
#include "refusal.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>
#include <optional>

namespace {

/// A refusal must come with a message; frees the status.
bool refused(gemmac_status status) {
  if (status == nullptr)
    return false;
  if (gemmac_status_get_message(status)[0] == '\0')
    std::abort();
  gemmac_status_free(status);
  return true;
}

void exerciseRuntimeTokenizer(const gemmac::Tokenizer &tokenizer) {
  // Enough pieces to reach the interesting ones of any seed, bounded so that
  // a large model does not slow every run down.
  const int32_t count = std::min<int32_t>(tokenizer.pieceCount(), 4096);
  std::string bytes;
  for (int32_t id = 0; id < count; ++id) {
    if (refused(tokenizer.pieceBytes(id, /*text_empty=*/true, &bytes)) ||
        refused(tokenizer.pieceBytes(id, /*text_empty=*/false, &bytes)))
      std::abort(); // every id below pieceCount() is valid
    (void)tokenizer.isSpecial(id);
  }
  std::vector<int32_t> ids;
  if (refused(tokenizer.encode("Hi <start_of_turn>user 12 caf\xC3\xA9 \xF0\x9F\x99\x82", &ids)))
    return;
  std::string text;
  (void)refused(tokenizer.decode(ids.data(), ids.size(), &text));
  gemmac::StreamingDetokenizer detokenizer(tokenizer);
  for (int32_t id : ids)
    (void)refused(detokenizer.push(id, &text));
  (void)detokenizer.finish();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::StringRef bytes(reinterpret_cast<const char *>(data), size);
  llvm::Expected<std::vector<std::string>> pieces =
      gemmac::readPieceTexts(bytes, "tokenizer.model");
  std::optional<size_t> compilerCount;
  if (!gemmac::fuzz::isRefusal(pieces))
    compilerCount = pieces->size();

  std::unique_ptr<gemmac::Tokenizer> tokenizer;
  try {
    if (refused(gemmac::Tokenizer::create(data, size, &tokenizer)))
      return 0;
  } catch (const std::bad_alloc &) { // the C API's barrier maps it
    return 0;
  }
  if (compilerCount && *compilerCount != size_t(tokenizer->pieceCount()))
    std::abort();
  exerciseRuntimeTokenizer(*tokenizer);
  return 0;
}
