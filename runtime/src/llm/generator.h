// One generation's choices, token by token: penalties, grammar, sampler, stop
// ids, stop strings, max_new_tokens and the text streamed so far. It picks
// each token from the logits of the last token the session holds; who runs
// the session (gemmac_session_generate one step at a time, a server's batch
// steps for many sequences at once) is the caller's business.
#ifndef GEMMAC_RUNTIME_SRC_LLM_GENERATOR_H_
#define GEMMAC_RUNTIME_SRC_LLM_GENERATOR_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "gemmac/gemmac.h"
#include "llm/grammar/constraint.h"
#include "llm/text_stream.h"

namespace gemmac {

class Generator {
 public:
  /// What ended a generation.
  enum class End {
    None,       // not ended: decode the token and call pick again
    StopId,     // the model's stop id (<eos>, <end_of_turn>)
    StopString, // a stop string completed
    Length,     // max_new_tokens
    Callback,   // options.on_token asked to stop
    Grammar,    // the grammar admits nothing more
  };

  struct Pick {
    int32_t id = -1;  // the token to append to the session (a stop id too)
    std::string text; // what it adds to the shown text (empty for a stop id)
    End end = End::None;
  };

  /// Checks the options (max_new_tokens, penalties, stop strings, sampler:
  /// before anything runs, so the caller makes it first) and binds them (their stop
  /// strings are copied; the grammar and the callback must outlive this) to
  /// `session`, whose held tokens the penalties look back on.
  static gemmac_status create(const gemmac_session* session, const gemmac_generate_options& options,
                              std::unique_ptr<Generator>* out);
  ~Generator();
  Generator(const Generator&) = delete;
  Generator& operator=(const Generator&) = delete;

  /// The next token from `logits` (vocab_size floats, those of the session's
  /// last token; overwritten). Calls options.on_token with it, except for a
  /// stop id. After an end, the token is still to be appended (when the
  /// context has room) so that the session holds everything it generated.
  gemmac_status pick(float* logits, Pick* out);
  /// When generation is over: the text held back (an unfinished character or
  /// a possible start of a stop string), also passed to on_token with id -1.
  std::string finish();
  /// NULL when no grammar is set or its text is complete; otherwise
  /// GEMMAC_OUT_OF_RANGE saying it was cut short (by `why`).
  gemmac_status checkComplete(const char* why) const;

  /// The ids picked so far, stop id excluded.
  const std::vector<int32_t>& ids() const { return ids_; }
  /// The text shown so far (all of pick's texts and finish's).
  const std::string& text() const { return text_; }

 private:
  Generator(const gemmac_session* session, const gemmac_generate_options& options) : session_(session), options_(options) {}

  const gemmac_session* session_;
  gemmac_generate_options options_;  // its stop strings are not read after create (stream_ copied them)
  gemmac_sampler* sampler_ = nullptr;
  std::unique_ptr<TextStream> stream_;  // NULL without a tokenizer
  std::unique_ptr<grammar::Constraint> constraint_;
  std::vector<int32_t> ids_;
  std::string text_;
  std::vector<int32_t> penalized_;  // applyPenalties' scratch
};

}  // namespace gemmac

#endif  // GEMMAC_RUNTIME_SRC_LLM_GENERATOR_H_
