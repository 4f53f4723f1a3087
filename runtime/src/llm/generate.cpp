// The generate loop: prefill the prompt, then sample and decode one token at a
// time, streaming text through the caller's callback.
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "llm/chat_template.h"
#include "api/model.h"
#include "api/session.h"
#include "api/status.h"
#include "llm/tokenizer.h"

namespace gemmac {
namespace {

const gemmac_model& modelOf(const gemmac_session* session) { return *session->model; }

bool isStopId(const gemmac_model& model, int32_t id) {
  return std::find(model.stop_ids.begin(), model.stop_ids.end(), id) != model.stop_ids.end();
}

/// Owns a sampler for the duration of one generate call.
struct SamplerHandle {
  ~SamplerHandle() { gemmac_sampler_free(sampler); }
  gemmac_sampler* sampler = nullptr;
};

/// Samples, streams and decodes until a stop condition, starting from the logits
/// of the last prompt token; *generated receives the tokens (stop ids excluded).
gemmac_status runLoop(gemmac_session* session, const gemmac_generate_options& options,
                      std::vector<float>* logits, std::vector<int32_t>* generated) {
  const gemmac_model& model = modelOf(session);
  SamplerHandle sampler;
  GEMMAC_RETURN_IF_ERROR(gemmac_sampler_create(&options.sampler, &sampler.sampler));
  std::unique_ptr<StreamingDetokenizer> stream;
  if (options.on_token != nullptr) {
    if (model.tokenizer == nullptr)
      return makeStatus(GEMMAC_UNIMPLEMENTED, "generate: the model file has no tokenizer");
    stream = std::make_unique<StreamingDetokenizer>(*model.tokenizer);
  }
  std::string text;
  while (generated->size() < static_cast<size_t>(options.max_new_tokens)) {
    int32_t id;
    GEMMAC_RETURN_IF_ERROR(
        gemmac_sampler_sample(sampler.sampler, logits->data(), logits->size(), &id));
    if (isStopId(model, id)) break;
    generated->push_back(id);
    if (stream != nullptr) {
      GEMMAC_RETURN_IF_ERROR(stream->push(id, &text));
      if (options.on_token(options.user_data, id, text.c_str(), text.size()) != 0) break;
    }
    // Decode even the last token so the session holds everything generated and a
    // later call continues from it. A full context ends generation like max_new_tokens.
    gemmac_status status = gemmac_session_decode(session, id, logits->data());
    if (gemmac_status_get_code(status) == GEMMAC_OUT_OF_RANGE) {
      gemmac_status_free(status);
      break;
    }
    GEMMAC_RETURN_IF_ERROR(status);
  }
  return nullptr;
}

}  // namespace
}  // namespace gemmac

extern "C" {

void gemmac_generate_options_init(gemmac_generate_options* options) {
  options->max_new_tokens = 128;
  gemmac_sampler_options_init(&options->sampler);
  options->chat = 0;
  options->on_token = nullptr;
  options->user_data = nullptr;
}

gemmac_status gemmac_session_generate(gemmac_session* session, const int32_t* prompt_ids,
                                      size_t prompt_count, const gemmac_generate_options* options,
                                      int32_t* out_ids, size_t capacity, size_t* out_count) {
  if (session == nullptr || options == nullptr || prompt_ids == nullptr)
    return gemmac::makeStatus(GEMMAC_INVALID_ARGUMENT, "generate: NULL session, prompt or options");
  // The first sampled token needs the logits of a prompt token.
  if (prompt_count == 0)
    return gemmac::makeStatus(GEMMAC_INVALID_ARGUMENT, "generate: the prompt has no tokens");
  if (options->max_new_tokens < 0)
    return gemmac::makeStatus(GEMMAC_INVALID_ARGUMENT, "generate: max_new_tokens %d is negative",
                              options->max_new_tokens);
  std::vector<float> logits(static_cast<size_t>(gemmac::modelOf(session).vocab_size));
  GEMMAC_RETURN_IF_ERROR(gemmac_session_prefill(session, prompt_ids, prompt_count, logits.data()));
  std::vector<int32_t> generated;
  GEMMAC_RETURN_IF_ERROR(gemmac::runLoop(session, *options, &logits, &generated));
  if (out_ids != nullptr)
    std::copy_n(generated.begin(), std::min(capacity, generated.size()), out_ids);
  if (out_count != nullptr) *out_count = generated.size();
  return nullptr;
}

gemmac_status gemmac_session_generate_text(gemmac_session* session, const char* prompt,
                                           const gemmac_generate_options* options,
                                           size_t* out_count) {
  if (session == nullptr || prompt == nullptr || options == nullptr)
    return gemmac::makeStatus(GEMMAC_INVALID_ARGUMENT, "generate: NULL session, prompt or options");
  const gemmac_model& model = gemmac::modelOf(session);
  if (model.tokenizer == nullptr)
    return gemmac::makeStatus(GEMMAC_UNIMPLEMENTED, "generate: the model file has no tokenizer");
  std::string text = prompt;
  if (options->chat) {
    const gemmac_chat_message turn = {"user", prompt};
    GEMMAC_RETURN_IF_ERROR(gemmac::applyChatTemplate(&turn, 1, true, &text));
  }
  std::vector<int32_t> ids;
  if (gemmac_session_get_position(session) == 0) ids.push_back(model.bos_id);
  std::vector<int32_t> encoded;
  GEMMAC_RETURN_IF_ERROR(model.tokenizer->encode(text, &encoded));
  ids.insert(ids.end(), encoded.begin(), encoded.end());
  return gemmac_session_generate(session, ids.data(), ids.size(), options, nullptr, 0, out_count);
}

}  // extern "C"
