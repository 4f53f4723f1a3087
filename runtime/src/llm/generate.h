// The generate loop, shared by gemmac_session_generate and gemmac_session_chat.
#ifndef GEMMAC_RUNTIME_SRC_LLM_GENERATE_H_
#define GEMMAC_RUNTIME_SRC_LLM_GENERATE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "gemmac/gemmac.h"

namespace gemmac {

struct Generation {
  std::vector<int32_t> ids;  // generated, stop id excluded
  std::string text;          // as streamed: cut before a stop string; "" without a tokenizer
};

/// Checks what the loop would only find out after the prompt ran: max_new_tokens,
/// penalties, stop strings and the sampler options.
gemmac_status checkGenerateOptions(const gemmac_generate_options& options);

/// Samples, streams and decodes from `logits` (vocab_size floats: those of the
/// last token the session holds) until a stop condition (gemmac_session_generate).
gemmac_status generateFrom(gemmac_session* session, const gemmac_generate_options& options,
                           std::vector<float>* logits, Generation* out);

}  // namespace gemmac

#endif  // GEMMAC_RUNTIME_SRC_LLM_GENERATE_H_
