//===- TokenizerImport.h - Tokenizer of a checkpoint as SentencePiece -*- C++ -*-===//
#ifndef GEMMAC_COMPILER_IMPORTERS_TOKENIZERIMPORT_H
#define GEMMAC_COMPILER_IMPORTERS_TOKENIZERIMPORT_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <string>

namespace gemmac {

/// The serialized SentencePiece ModelProto for the checkpoint in `dir`:
/// `tokenizer.model` as is, else `tokenizer.json` (a Hugging Face BPE tokenizer
/// converted exactly: pieces, scores from the merge ranks, byte fallback,
/// control and user-defined tokens). Errors when neither exists or one is invalid.
llvm::Expected<std::string> loadTokenizerModel(llvm::StringRef dir);

/// One tokenizer file: a `.json` file is converted as above, any other is
/// checked to be a SentencePiece ModelProto and passed through.
llvm::Expected<std::string> loadTokenizerFile(llvm::StringRef path);

/// The conversion on its own, for tests: tokenizer.json text -> ModelProto bytes.
llvm::Expected<std::string> convertHfTokenizerJson(llvm::StringRef json,
                                                   llvm::StringRef pathForErrors);

} // namespace gemmac

#endif // GEMMAC_COMPILER_IMPORTERS_TOKENIZERIMPORT_H
