// The transcript gemmac_session_chat keeps in a session: text, so that the
// chat template can write it whole and turns can be dropped.
#ifndef GEMMAC_RUNTIME_SRC_LLM_CONVERSATION_H_
#define GEMMAC_RUNTIME_SRC_LLM_CONVERSATION_H_

#include <string>
#include <vector>

namespace gemmac {

struct Conversation {
  std::string system_prompt;  // "": none
  bool drop_old_turns = false;
  std::vector<std::string> turns;  // user, model, user, model, ...: complete pairs only
};

}  // namespace gemmac

#endif  // GEMMAC_RUNTIME_SRC_LLM_CONVERSATION_H_
