// Gemma 3's chat template (the Jinja template of its Hugging Face tokenizer).
#ifndef GEMMAC_RUNTIME_SRC_CHAT_TEMPLATE_H_
#define GEMMAC_RUNTIME_SRC_CHAT_TEMPLATE_H_

#include <string>

#include "gemmac/gemmac.h"

namespace gemmac {

/// Formats `messages` into *text (no BOS); fails on unknown or non-alternating roles.
gemmac_status applyChatTemplate(const gemmac_chat_message* messages, size_t count,
                                bool add_generation_prompt, std::string* text);

}  // namespace gemmac

#endif  // GEMMAC_RUNTIME_SRC_CHAT_TEMPLATE_H_
