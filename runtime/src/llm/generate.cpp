// The generate loop: prefill the prompt, then sample and decode one token at a
// time, streaming text through the caller's callback.
#include "llm/generate.h"

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "api/model.h"
#include "api/session.h"
#include "api/status.h"
#include "llm/chat_template.h"
#include "llm/generator.h"
#include "llm/tokenizer.h"

namespace gemmac {
namespace {

/// Appends `id` without computing logits, when the context has room: what ends
/// generation is kept too, so that a later call continues after it.
gemmac_status commitLast(gemmac_session* session, int32_t id) {
  if (session->position >= static_cast<size_t>(session->options.max_context)) return nullptr;
  return gemmac_session_prefill(session, &id, 1, nullptr);
}

}  // namespace

gemmac_status generateFrom(gemmac_session* session, const gemmac_generate_options& options, Generator* generator,
                           std::vector<float>* logits, Generation* out) {
  Generator::Pick pick;
  for (bool done = options.max_new_tokens == 0; !done;) {
    if (session->cancel_requested.exchange(false))
      return makeStatus(GEMMAC_CANCELLED, "generate: cancelled after %zu tokens", generator->ids().size());
    GEMMAC_RETURN_IF_ERROR(generator->pick(logits->data(), &pick));
    // Decode even the last token (without logits) so the session holds everything
    // generated. A full context ends generation like max_new_tokens.
    if (pick.end != Generator::End::None) {
      GEMMAC_RETURN_IF_ERROR(commitLast(session, pick.id));
      break;
    }
    gemmac_status status = gemmac_session_decode(session, pick.id, logits->data());
    if (gemmac_status_get_code(status) == GEMMAC_OUT_OF_RANGE) {
      gemmac_status_free(status);
      break;
    }
    GEMMAC_RETURN_IF_ERROR(status);
  }
  generator->finish();
  out->ids = generator->ids();
  out->text = generator->text();
  return generator->checkComplete(out->ids.size() == static_cast<size_t>(options.max_new_tokens)
                                      ? "max_new_tokens ran out"
                                      : "generation stopped");
}

}  // namespace gemmac

extern "C" {

void gemmac_generate_options_init(gemmac_generate_options* options) {
  if (options == nullptr) return;
  options->max_new_tokens = 128;
  gemmac_sampler_options_init(&options->sampler);
  options->chat = 0;
  options->on_token = nullptr;
  options->user_data = nullptr;
  options->stop_strings = nullptr;
  options->stop_string_count = 0;
  options->repeat_penalty = 1.0f;
  options->presence_penalty = 0.0f;
  options->frequency_penalty = 0.0f;
  options->penalty_last_n = 64;
  options->grammar = nullptr;
}

gemmac_status gemmac_session_generate(gemmac_session* session, const int32_t* prompt_ids,
                                      size_t prompt_count, const gemmac_generate_options* options,
                                      int32_t* out_ids, size_t capacity, size_t* out_count) {
  if (session == nullptr || options == nullptr || prompt_ids == nullptr)
    return gemmac::makeStatus(GEMMAC_INVALID_ARGUMENT, "generate: NULL session, prompt or options");
  // The first sampled token needs the logits of a prompt token.
  if (prompt_count == 0)
    return gemmac::makeStatus(GEMMAC_INVALID_ARGUMENT, "generate: the prompt has no tokens");
  return gemmac::guard("generate", [&]() -> gemmac_status {
    // Made first: it checks the options before the prompt runs.
    std::unique_ptr<gemmac::Generator> generator;
    GEMMAC_RETURN_IF_ERROR(gemmac::Generator::create(session, *options, &generator));
    std::vector<float> logits(static_cast<size_t>(session->model->vocab_size));
    GEMMAC_RETURN_IF_ERROR(gemmac_session_prefill(session, prompt_ids, prompt_count, logits.data()));
    gemmac::Generation generation;
    gemmac_status status = gemmac::generateFrom(session, *options, generator.get(), &logits, &generation);
    // A grammar's unfinished text (GEMMAC_OUT_OF_RANGE) still reports its tokens.
    if (status != nullptr && gemmac_status_get_code(status) != GEMMAC_OUT_OF_RANGE) return status;
    const std::vector<int32_t>& generated = generation.ids;
    if (out_ids != nullptr)
      std::copy_n(generated.begin(), std::min(capacity, generated.size()), out_ids);
    if (out_count != nullptr) *out_count = generated.size();
    return status;
  });
}

gemmac_status gemmac_session_generate_text(gemmac_session* session, const char* prompt,
                                           const gemmac_generate_options* options,
                                           size_t* out_count) {
  if (session == nullptr || prompt == nullptr || options == nullptr)
    return gemmac::makeStatus(GEMMAC_INVALID_ARGUMENT, "generate: NULL session, prompt or options");
  const gemmac_model& model = *session->model;
  if (model.tokenizer == nullptr)
    return gemmac::makeStatus(GEMMAC_UNIMPLEMENTED, "generate: the model file has no tokenizer");
  return gemmac::guard("generate", [&]() -> gemmac_status {
    std::string text = prompt;
    if (options->chat) {
      const gemmac_chat_message turn = {"user", prompt};
      GEMMAC_RETURN_IF_ERROR(gemmac::applyChatTemplate(&turn, 1, true, &text));
      if (!session->tokens.empty()) {
        // Continue as the template writes a transcript: "...<end_of_turn>\n<start_of_turn>user\n".
        std::vector<int32_t> end_of_turn;
        GEMMAC_RETURN_IF_ERROR(model.tokenizer->encode("<end_of_turn>", &end_of_turn));
        bool closed = end_of_turn.size() == 1 && session->tokens.back() == end_of_turn[0];
        text.insert(0, closed ? "\n" : "<end_of_turn>\n");
      }
    }
    std::vector<int32_t> ids;
    if (gemmac_session_get_position(session) == 0) ids.push_back(model.bos_id);
    std::vector<int32_t> encoded;
    GEMMAC_RETURN_IF_ERROR(model.tokenizer->encode(text, &encoded));
    ids.insert(ids.end(), encoded.begin(), encoded.end());
    return gemmac_session_generate(session, ids.data(), ids.size(), options, nullptr, 0, out_count);
  });
}

}  // extern "C"
