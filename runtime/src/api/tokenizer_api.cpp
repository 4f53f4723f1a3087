// gemmac_model_tokenize / gemmac_model_detokenize: the model's embedded tokenizer
// behind the C API's capacity convention.
#include <algorithm>
#include <string>
#include <vector>

#include "api/model.h"
#include "llm/output_buffer.h"
#include "api/status.h"
#include "llm/tokenizer.h"

extern "C" gemmac_status gemmac_model_tokenize(const gemmac_model* model, const char* text,
                                               size_t text_length, int32_t* ids, size_t capacity,
                                               size_t* out_count) {
  if (model == nullptr || (text == nullptr && text_length != 0) || out_count == nullptr)
    return gemmac::makeStatus(GEMMAC_INVALID_ARGUMENT, "tokenize: NULL model, text or out_count");
  if (model->tokenizer == nullptr)
    return gemmac::makeStatus(GEMMAC_UNIMPLEMENTED, "tokenize: the model file has no tokenizer");
  return gemmac::guard("tokenize", [&]() -> gemmac_status {
    std::vector<int32_t> encoded;
    GEMMAC_RETURN_IF_ERROR(model->tokenizer->encode(std::string_view(text, text_length), &encoded));
    *out_count = encoded.size();
    if (ids == nullptr) return nullptr;
    if (capacity < encoded.size())
      return gemmac::makeStatus(GEMMAC_OUT_OF_RANGE, "tokenize: room for %zu ids, %zu needed",
                                capacity, encoded.size());
    std::copy(encoded.begin(), encoded.end(), ids);
    return nullptr;
  });
}

extern "C" gemmac_status gemmac_model_detokenize(const gemmac_model* model, const int32_t* ids,
                                                 size_t count, char* text, size_t capacity,
                                                 size_t* out_length) {
  if (model == nullptr || (ids == nullptr && count != 0))
    return gemmac::makeStatus(GEMMAC_INVALID_ARGUMENT, "detokenize: NULL model or ids");
  if (model->tokenizer == nullptr)
    return gemmac::makeStatus(GEMMAC_UNIMPLEMENTED, "detokenize: the model file has no tokenizer");
  for (size_t i = 0; i < count; ++i)
    if (ids[i] < 0 || ids[i] >= model->vocab_size)
      return gemmac::makeStatus(GEMMAC_INVALID_ARGUMENT, "detokenize: token id %d at index %zu is outside the vocabulary [0, %d)",
                                ids[i], i, model->vocab_size);
  return gemmac::guard("detokenize", [&]() -> gemmac_status {
    std::string decoded;
    GEMMAC_RETURN_IF_ERROR(model->tokenizer->decode(ids, count, &decoded));
    return gemmac::copyOutText(decoded, text, capacity, out_length);
  });
}
