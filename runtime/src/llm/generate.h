// The generate loop, shared by gemmac_session_generate and gemmac_session_chat.
#ifndef GEMMAC_RUNTIME_SRC_LLM_GENERATE_H_
#define GEMMAC_RUNTIME_SRC_LLM_GENERATE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "gemmac/gemmac.h"
#include "llm/generator.h"

namespace gemmac {

struct Generation {
  std::vector<int32_t> ids;  // generated, stop id excluded
  std::string text;          // as streamed: cut before a stop string; "" without a tokenizer
};

/// Picks with `generator` (made by Generator::create for `session` and
/// `options` before the prompt ran: that checks the options), streams and
/// decodes from `logits` (vocab_size floats: those of the last token the
/// session holds) until a stop condition (gemmac_session_generate).
gemmac_status generateFrom(gemmac_session* session, const gemmac_generate_options& options, Generator* generator,
                           std::vector<float>* logits, Generation* out);

}  // namespace gemmac

#endif  // GEMMAC_RUNTIME_SRC_LLM_GENERATE_H_
