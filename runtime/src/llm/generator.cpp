#include "llm/generator.h"

#include <algorithm>

#include "api/model.h"
#include "api/session.h"
#include "api/status.h"
#include "llm/penalties.h"

namespace gemmac {

gemmac_status Generator::create(const gemmac_session* session, const gemmac_generate_options& options,
                                std::unique_ptr<Generator>* out) {
  if (options.max_new_tokens < 0)
    return makeStatus(GEMMAC_INVALID_ARGUMENT, "generate: max_new_tokens %d is negative", options.max_new_tokens);
  GEMMAC_RETURN_IF_ERROR(checkPenalties(options));
  GEMMAC_RETURN_IF_ERROR(checkStopStrings(options));
  const gemmac_model& model = *session->model;
  std::unique_ptr<Generator> generator(new Generator(session, options));
  if (model.tokenizer != nullptr)
    generator->stream_ = std::make_unique<TextStream>(*model.tokenizer, options);
  else if (options.on_token != nullptr || options.stop_string_count > 0)
    return makeStatus(GEMMAC_UNIMPLEMENTED, "generate: the model file has no tokenizer");
  GEMMAC_RETURN_IF_ERROR(gemmac_sampler_create(&options.sampler, &generator->sampler_));
  GEMMAC_RETURN_IF_ERROR(grammar::Constraint::create(session, options, &generator->constraint_));
  *out = std::move(generator);
  return nullptr;
}

Generator::~Generator() { gemmac_sampler_free(sampler_); }

gemmac_status Generator::pick(float* logits, Pick* out) {
  const gemmac_model& model = *session_->model;
  const size_t vocab = static_cast<size_t>(model.vocab_size);
  applyPenalties(options_, session_->tokens, logits, vocab, &penalized_);
  int32_t id;
  GEMMAC_RETURN_IF_ERROR(constraint_ ? constraint_->sample(sampler_, logits, vocab, &id)
                                     : gemmac_sampler_sample(sampler_, logits, vocab, &id));
  out->id = id;
  out->text.clear();
  if (std::find(model.stop_ids.begin(), model.stop_ids.end(), id) != model.stop_ids.end()) {
    out->end = End::StopId;
    return nullptr;
  }
  ids_.push_back(id);
  if (constraint_) constraint_->accept(id);
  bool stop_string = false;
  if (stream_ != nullptr) {
    GEMMAC_RETURN_IF_ERROR(stream_->push(id, &out->text, &stop_string));
    text_ += out->text;
  }
  const bool callback_stop = options_.on_token != nullptr &&
                             options_.on_token(options_.user_data, id, out->text.c_str(), out->text.size()) != 0;
  out->end = stop_string                                                             ? End::StopString
             : callback_stop                                                         ? End::Callback
             : ids_.size() == static_cast<size_t>(options_.max_new_tokens)           ? End::Length
             : constraint_ && constraint_->finished()                                ? End::Grammar
                                                                                     : End::None;
  return nullptr;
}

std::string Generator::finish() {
  if (stream_ == nullptr) return "";
  std::string held = stream_->finish();
  text_ += held;
  if (!held.empty() && options_.on_token != nullptr) options_.on_token(options_.user_data, -1, held.c_str(), held.size());
  return held;
}

gemmac_status Generator::checkComplete(const char* why) const {
  return constraint_ ? constraint_->checkComplete(why) : nullptr;
}

}  // namespace gemmac
