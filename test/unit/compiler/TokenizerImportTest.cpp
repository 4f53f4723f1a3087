//===- TokenizerImportTest.cpp - tokenizer.json -> SentencePiece ----------===//
//
// The converted model must give Hugging Face's ids on reference/tokenizer's
// cases.json, as must the reference tokenizer.model passed through.
//
//===----------------------------------------------------------------------===//

#include "compiler/importers/SentencePieceProto.h"
#include "compiler/importers/TokenizerImport.h"
#include "TempDir.h"

#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"

#include <gtest/gtest.h>
#include <sentencepiece_processor.h>

using namespace gemmac;

namespace {

const std::string kTokenizerDir = GEMMAC_REFERENCE_DIR "/tokenizer";

std::string readFile(const std::string &path) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  EXPECT_TRUE(bool(buffer)) << path;
  return buffer ? (*buffer)->getBuffer().str() : "";
}

/// Every text of cases.json must encode to its listed ids.
void expectCasesPass(const std::string &modelProto) {
  sentencepiece::SentencePieceProcessor processor;
  auto status = processor.LoadFromSerializedProto(modelProto);
  ASSERT_TRUE(status.ok()) << status.ToString();

  auto cases = llvm::json::parse(readFile(kTokenizerDir + "/cases.json"));
  ASSERT_TRUE(bool(cases)) << llvm::toString(cases.takeError());
  const llvm::json::Array *list = cases->getAsArray();
  ASSERT_TRUE(list && !list->empty());
  for (const llvm::json::Value &item : *list) {
    const llvm::json::Object *entry = item.getAsObject();
    std::string text = entry->getString("text")->str();
    std::vector<int> expected;
    for (const llvm::json::Value &id : *entry->getArray("ids"))
      expected.push_back(int(*id.getAsInteger()));
    std::vector<int> ids;
    ASSERT_TRUE(processor.Encode(text, &ids).ok());
    EXPECT_EQ(ids, expected) << "text: " << text;
  }
}

TEST(TokenizerImport, PassesTokenizerModelThrough) {
  llvm::Expected<std::string> model = loadTokenizerModel(kTokenizerDir);
  ASSERT_TRUE(bool(model)) << llvm::toString(model.takeError());
  EXPECT_EQ(*model, readFile(kTokenizerDir + "/tokenizer.model"));
  expectCasesPass(*model);
}

TEST(TokenizerImport, ConvertsGemma3TokenizerJson) {
  if (!llvm::sys::fs::exists(GEMMAC_TOKENIZER_JSON))
    GTEST_SKIP() << GEMMAC_TOKENIZER_JSON << " is absent (scripts/setup.sh "
                 << "fetches it)";
  TempDir dir;
  llvm::sys::fs::copy_file(GEMMAC_TOKENIZER_JSON, dir.path("tokenizer.json"));
  llvm::Expected<std::string> model = loadTokenizerModel(dir.root());
  ASSERT_TRUE(bool(model)) << llvm::toString(model.takeError());
  // Same pieces, scores, types and specs as the reference model, byte for byte.
  EXPECT_TRUE(*model == readFile(kTokenizerDir + "/tokenizer.model"));
  expectCasesPass(*model);
}

void expectConversionError(llvm::StringRef json, llvm::StringRef part) {
  llvm::Expected<std::string> model =
      convertHfTokenizerJson(json, "dir/tokenizer.json");
  ASSERT_FALSE(bool(model));
  std::string message = llvm::toString(model.takeError());
  EXPECT_NE(message.find("dir/tokenizer.json"), std::string::npos) << message;
  EXPECT_NE(message.find(part.str()), std::string::npos) << message;
}

TEST(TokenizerImport, ConversionErrors) {
  const char *normalizer =
      R"("normalizer":{"type":"Replace","pattern":{"String":" "},)"
      R"("content":"\u2581"})";
  expectConversionError("{", "invalid JSON");
  expectConversionError("{}", "no 'model'");
  expectConversionError(R"({"model":{"type":"Unigram","vocab":[]}})",
                        "only BPE");
  expectConversionError(std::string("{") + normalizer +
                            R"(,"model":{"type":"BPE","merges":[]}})",
                        "model.vocab");
  expectConversionError(
      std::string("{") + normalizer +
          R"(,"model":{"type":"BPE","vocab":{"<unk>":0,"a":1}}})",
      "model.merges");
  expectConversionError(
      std::string("{") + normalizer +
          R"(,"model":{"type":"BPE","vocab":{"a":0,"b":1,"ab":2},)"
          R"("merges":[["a","b"]]}})",
      "unk_token");
  expectConversionError(
      R"({"normalizer":{"type":"NFKC"},"model":{"type":"BPE","vocab":{}}})",
      "normalizer");
  // An empty piece would convert into a model the runtime cannot load
  // (found by fuzz.tokenizer_json).
  expectConversionError(
      std::string("{") + normalizer +
          R"(,"model":{"type":"BPE","vocab":{"<unk>":0,"":1},"merges":[],)"
          R"("unk_token":"<unk>"}})",
      "the piece of id 1 is empty");
}

TEST(TokenizerImport, MissingTokenizer) {
  TempDir dir;
  llvm::Expected<std::string> model = loadTokenizerModel(dir.root());
  ASSERT_FALSE(bool(model));
  std::string message = llvm::toString(model.takeError());
  EXPECT_NE(message.find("neither tokenizer.model nor tokenizer.json"),
            std::string::npos)
      << message;

  dir.write("tokenizer.model", "\x0a\xff not a proto");
  model = loadTokenizerModel(dir.root());
  ASSERT_FALSE(bool(model));
  message = llvm::toString(model.takeError());
  EXPECT_NE(message.find("not a SentencePiece model"), std::string::npos)
      << message;
}

TEST(TokenizerImport, RefusesAnEmptyPiece) {
  // Pieces "<unk>" and "" (which SentencePiece refuses to load).
  llvm::Expected<std::vector<std::string>> pieces = readPieceTexts(
      llvm::StringRef("\x0a\x07\x0a\x05<unk>\x0a\x02\x0a\x00", 13),
      "tokenizer.model");
  ASSERT_FALSE(bool(pieces));
  std::string message = llvm::toString(pieces.takeError());
  EXPECT_NE(message.find("piece 1 has no text"), std::string::npos) << message;
}

} // namespace
