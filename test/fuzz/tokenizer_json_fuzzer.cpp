// libFuzzer target of the tokenizer.json -> SentencePiece conversion: the
// input is the file's text. A converted model must read back as the compiler
// checks a tokenizer.model, and load in the runtime's Tokenizer (else the
// compiler would write a model file that cannot be loaded); a refusal must say
// why; nothing may crash, read out of bounds or exhaust memory.
#include "compiler/importers/SentencePieceProto.h"
#include "compiler/importers/TokenizerImport.h"
#include "llm/tokenizer.h"
#include "refusal.h"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::StringRef text(reinterpret_cast<const char *>(data), size);
  llvm::Expected<std::string> model =
      gemmac::convertHfTokenizerJson(text, "tokenizer.json");
  if (gemmac::fuzz::isRefusal(model))
    return 0;
  llvm::Expected<std::vector<std::string>> pieces =
      gemmac::readPieceTexts(*model, "converted tokenizer.json");
  if (!pieces) // the converter wrote something its own reader refuses
    std::abort();
  std::unique_ptr<gemmac::Tokenizer> tokenizer;
  if (gemmac_status status =
          gemmac::Tokenizer::create(model->data(), model->size(), &tokenizer)) {
    std::fprintf(stderr, "converted, but the runtime refuses it: %s\n",
                 gemmac_status_get_message(status));
    std::abort();
  }
  if (size_t(tokenizer->pieceCount()) != pieces->size())
    std::abort();
  return 0;
}
