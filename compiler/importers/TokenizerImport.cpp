//===- TokenizerImport.cpp - Tokenizer of a checkpoint as SentencePiece ---===//
//
// A Hugging Face BPE tokenizer.json becomes a SentencePiece BPE model that
// encodes identically: SentencePiece merges the adjacent pair whose result has
// the highest score, so a piece scores minus the rank of the first merge that
// produces it (pieces no merge produces, e.g. single characters, score 0).
// Added tokens become user-defined pieces (matched verbatim in text, as HF
// does), except <bos>/<eos>/<pad> which are control pieces and <unk>.
//
//===----------------------------------------------------------------------===//

#include "compiler/importers/TokenizerImport.h"
#include "compiler/importers/JsonInteger.h"
#include "compiler/importers/ModelConfig.h"
#include "compiler/importers/SentencePieceProto.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

using namespace llvm;

namespace gemmac {
namespace {

constexpr StringRef kSpaceMarker = "\xE2\x96\x81"; // U+2581, SentencePiece's space

Error jsonError(StringRef path, const Twine &message) {
  return createStringError(inconvertibleErrorCode(), "%s: %s",
                           path.str().c_str(), message.str().c_str());
}

/// The normalizer must be Replace(" " -> U+2581), i.e. escape_whitespaces.
Error checkNormalizer(const json::Object &root, StringRef path) {
  const json::Object *normalizer = root.getObject("normalizer");
  const json::Object *pattern =
      normalizer ? normalizer->getObject("pattern") : nullptr;
  if (!normalizer || normalizer->getString("type") != "Replace" || !pattern ||
      pattern->getString("String") != " " ||
      normalizer->getString("content") != kSpaceMarker)
    return jsonError(path, "unsupported 'normalizer' (expected Replace of \" \" "
                           "by U+2581, as in Gemma's tokenizer)");
  return Error::success();
}

/// Only a split on " " is accepted: after the normalizer no space is left, so
/// it never splits, matching SentencePiece, which does not pre-tokenize.
Error checkPreTokenizer(const json::Object &root, StringRef path) {
  const json::Value *value = root.get("pre_tokenizer");
  if (!value || value->kind() == json::Value::Null)
    return Error::success();
  const json::Object *pre = value->getAsObject();
  const json::Object *pattern = pre ? pre->getObject("pattern") : nullptr;
  if (!pre || pre->getString("type") != "Split" || !pattern ||
      pattern->getString("String") != " ")
    return jsonError(path, "unsupported 'pre_tokenizer' (expected none or a "
                           "Split on \" \")");
  return Error::success();
}

Error checkBpeOptions(const json::Object &model, StringRef path) {
  if (model.getString("type") != "BPE")
    return jsonError(path, "model.type is not \"BPE\"; only BPE tokenizers "
                           "convert to SentencePiece");
  for (StringRef key :
       {"dropout", "continuing_subword_prefix", "end_of_word_suffix"}) {
    const json::Value *value = model.get(key);
    if (value && value->kind() != json::Value::Null &&
        value->getAsString() != "")
      return jsonError(path, "model." + key + " is unsupported (expected null)");
  }
  if (model.getBoolean("ignore_merges").value_or(false))
    return jsonError(path, "model.ignore_merges=true is unsupported");
  return Error::success();
}

Expected<std::vector<SentencePiece>> readVocab(const json::Object &model,
                                               StringRef path) {
  const json::Object *vocab = model.getObject("vocab");
  if (!vocab || vocab->empty())
    return jsonError(path, "model.vocab is missing or empty");
  // Ids are int32 in the runtime; no model has a larger vocabulary.
  if (int64_t(vocab->size()) > ConfigLimits::kMaxVocab)
    return jsonError(path, "model.vocab has " + Twine(vocab->size()) +
                               " pieces, above the limit of " +
                               Twine(ConfigLimits::kMaxVocab));
  std::vector<SentencePiece> pieces(vocab->size());
  std::vector<bool> seen(vocab->size());
  for (const auto &[text, value] : *vocab) {
    std::optional<int64_t> id = getJsonInteger(value);
    if (!id || *id < 0 || *id >= int64_t(pieces.size()) || seen[*id])
      return jsonError(path, "model.vocab: id of '" + StringRef(text) +
                                 "' is not a unique integer in [0, " +
                                 Twine(pieces.size()) + ")");
    // SentencePiece refuses to load a model with an empty piece.
    if (StringRef(text).empty())
      return jsonError(path, "model.vocab: the piece of id " + Twine(*id) +
                                 " is empty");
    seen[*id] = true;
    pieces[*id].piece = text.str();
  }
  return pieces;
}

/// Scores every piece a merge produces with minus its first merge's rank.
Error scoreMerges(const json::Object &model, StringRef path,
                  const StringMap<int32_t> &ids,
                  std::vector<SentencePiece> &pieces) {
  const json::Array *merges = model.getArray("merges");
  if (!merges)
    return jsonError(path, "model.merges is missing");
  std::vector<bool> scored(pieces.size());
  for (auto [rank, merge] : llvm::enumerate(*merges)) {
    // Older files write "left right", newer ones ["left", "right"].
    std::optional<StringRef> left, right;
    if (std::optional<StringRef> text = merge.getAsString()) {
      auto [l, r] = text->split(' ');
      if (!r.empty())
        left = l, right = r;
    } else if (const json::Array *pair = merge.getAsArray();
               pair && pair->size() == 2) {
      left = (*pair)[0].getAsString();
      right = (*pair)[1].getAsString();
    }
    if (!left || !right)
      return jsonError(path, "model.merges[" + Twine(rank) +
                                 "] is not a pair of strings");
    auto it = ids.find((*left + *right).str());
    if (it == ids.end())
      return jsonError(path, "model.merges[" + Twine(rank) +
                                 "] produces a piece missing from the vocab");
    if (!scored[it->second]) {
      scored[it->second] = true;
      pieces[it->second].score = -float(rank);
    }
  }
  return Error::success();
}

bool isBytePiece(StringRef piece) {
  return piece.size() == 6 && piece.starts_with("<0x") &&
         piece.ends_with(">") && isHexDigit(piece[3]) && isHexDigit(piece[4]) &&
         !isLower(piece[3]) && !isLower(piece[4]);
}

int32_t lookup(const StringMap<int32_t> &ids, StringRef piece) {
  auto it = ids.find(piece);
  return it == ids.end() ? -1 : it->second;
}

/// Types the pieces from the added tokens, byte pieces and special ids.
Error typePieces(const json::Object &root, const json::Object &model,
                 StringRef path, const StringMap<int32_t> &ids,
                 SentencePieceModel &sp) {
  std::optional<StringRef> unk = model.getString("unk_token");
  sp.unkId = unk ? lookup(ids, *unk) : -1;
  if (sp.unkId < 0)
    return jsonError(path, "model.unk_token is missing or not in the vocab "
                           "(SentencePiece needs an unknown piece)");
  // tokenizer.json does not say which tokens are BOS/EOS/PAD
  // (tokenizer_config.json does); Gemma's names are used.
  sp.bosId = lookup(ids, "<bos>");
  sp.eosId = lookup(ids, "<eos>");
  sp.padId = lookup(ids, "<pad>");
  sp.unkPiece = unk->str();
  sp.bosPiece = "<bos>";
  sp.eosPiece = "<eos>";
  sp.padPiece = "<pad>";

  if (const json::Array *added = root.getArray("added_tokens")) {
    for (const json::Value &value : *added) {
      const json::Object *token = value.getAsObject();
      const json::Value *idValue = token ? token->get("id") : nullptr;
      std::optional<int64_t> id =
          idValue ? getJsonInteger(*idValue) : std::nullopt;
      std::optional<StringRef> content =
          token ? token->getString("content") : std::nullopt;
      if (!id || !content)
        return jsonError(path, "added_tokens: entry without id or content");
      // HF appends some tokens (Gemma 3's <image_soft_token>) past the model's
      // vocabulary; the embedding has no row for them, so they are dropped.
      if (*id >= int64_t(sp.pieces.size()))
        continue;
      if (*id < 0 || sp.pieces[*id].piece != *content)
        return jsonError(path, "added token '" + *content +
                                   "' does not match vocab id " + Twine(*id));
      sp.pieces[*id].score = 0;
      sp.pieces[*id].type = PieceType::UserDefined;
    }
  }
  for (int32_t id : {sp.bosId, sp.eosId, sp.padId})
    if (id >= 0)
      sp.pieces[id].type = PieceType::Control;
  sp.pieces[sp.unkId].type = PieceType::Unknown;

  if (!sp.byteFallback)
    return Error::success();
  unsigned bytePieces = 0;
  for (SentencePiece &piece : sp.pieces) {
    if (piece.type == PieceType::Normal && isBytePiece(piece.piece)) {
      piece.type = PieceType::Byte;
      ++bytePieces;
    }
  }
  if (bytePieces != 256)
    return jsonError(path, "model.byte_fallback needs all 256 pieces <0x00> "
                           ".. <0xFF>, found " + Twine(bytePieces));
  return Error::success();
}

/// split_digits only guides training; it is set when the vocabulary has no
/// multi-digit piece, as a model trained with it would.
bool hasMultiDigitPiece(ArrayRef<SentencePiece> pieces) {
  return llvm::any_of(pieces, [](const SentencePiece &piece) {
    return piece.type == PieceType::Normal && piece.piece.size() > 1 &&
           llvm::all_of(piece.piece, isDigit);
  });
}

} // namespace

Expected<std::string> convertHfTokenizerJson(StringRef text,
                                             StringRef pathForErrors) {
  StringRef path = pathForErrors;
  Expected<json::Value> parsed = json::parse(text);
  if (!parsed)
    return jsonError(path, "invalid JSON: " + toString(parsed.takeError()));
  const json::Object *root = parsed->getAsObject();
  const json::Object *model = root ? root->getObject("model") : nullptr;
  if (!model)
    return jsonError(path, "no 'model' object (not a tokenizer.json?)");
  if (Error err = checkBpeOptions(*model, path))
    return std::move(err);
  if (Error err = checkNormalizer(*root, path))
    return std::move(err);
  if (Error err = checkPreTokenizer(*root, path))
    return std::move(err);

  SentencePieceModel sp;
  Expected<std::vector<SentencePiece>> pieces = readVocab(*model, path);
  if (!pieces)
    return pieces.takeError();
  sp.pieces = std::move(*pieces);
  StringMap<int32_t> ids;
  for (auto [id, piece] : llvm::enumerate(sp.pieces))
    ids[piece.piece] = int32_t(id);
  if (Error err = scoreMerges(*model, path, ids, sp.pieces))
    return std::move(err);
  sp.byteFallback = model->getBoolean("byte_fallback").value_or(false);
  if (Error err = typePieces(*root, *model, path, ids, sp))
    return std::move(err);
  sp.splitDigits = !hasMultiDigitPiece(sp.pieces);
  return serializeModelProto(sp);
}

Expected<std::string> loadTokenizerFile(StringRef path) {
  ErrorOr<std::unique_ptr<MemoryBuffer>> buffer =
      MemoryBuffer::getFile(path, /*IsText=*/false,
                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return jsonError(path, "cannot read: " + buffer.getError().message());
  StringRef bytes = (*buffer)->getBuffer();
  if (sys::path::extension(path) == ".json")
    return convertHfTokenizerJson(bytes, path);
  if (Expected<std::vector<std::string>> pieces = readPieceTexts(bytes, path); !pieces)
    return pieces.takeError();
  return bytes.str();
}

Expected<std::string> loadTokenizerModel(StringRef dir) {
  SmallString<256> modelPath(dir), jsonPath(dir);
  sys::path::append(modelPath, "tokenizer.model");
  sys::path::append(jsonPath, "tokenizer.json");
  if (sys::fs::exists(modelPath))
    return loadTokenizerFile(modelPath);
  if (sys::fs::exists(jsonPath))
    return loadTokenizerFile(jsonPath);
  return createStringError(inconvertibleErrorCode(),
                           "%s: neither tokenizer.model nor tokenizer.json found",
                           dir.str().c_str());
}

} // namespace gemmac
