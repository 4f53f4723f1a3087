// gemmac-run MODEL.gmf --chat (no -p): a chat on stdin, one user turn per line,
// each reply streamed to stdout. The session keeps the conversation and its KV
// cache (gemmac_session_chat); Ctrl-C during a reply cancels it.
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <iostream>
#include <string>

#include "cli.h"

namespace gemmac_run {
namespace {

gemmac_session* g_replying = nullptr;  // the session whose reply SIGINT cancels

extern "C" void cancelReply(int) { gemmac_session_cancel(g_replying); }

/// SIGINT cancels the reply while one runs; outside replies it ends the program as usual.
class CancelOnInterrupt {
 public:
  explicit CancelOnInterrupt(gemmac_session* session) {
    g_replying = session;
    struct sigaction action = {};
    action.sa_handler = cancelReply;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, &previous_);
  }
  ~CancelOnInterrupt() { sigaction(SIGINT, &previous_, nullptr); }

 private:
  struct sigaction previous_ = {};
};

}  // namespace

int runChat(gemmac_session* session, const gemmac_generate_options& options,
            const gemmac_chat_options& chat_options) {
  const bool interactive = isatty(STDIN_FILENO) != 0;
  if (reportError(gemmac_session_chat_begin(session, &chat_options), "chat")) return 1;
  if (interactive) std::fputs("gemmac-run: chat; /reset starts over, /quit or EOF ends\n", stderr);
  int turns = 0;
  for (std::string line;;) {
    if (interactive) std::fputs("> ", stderr);
    if (!std::getline(std::cin, line) || line == "/quit") break;
    if (line == "/reset") {
      if (reportError(gemmac_session_chat_begin(session, &chat_options), "chat")) return 1;
      std::fputs("gemmac-run: conversation reset\n", stderr);
      turns = 0;
      continue;
    }
    if (line.empty()) continue;
    gemmac_status status;
    {
      CancelOnInterrupt cancel(session);
      status = gemmac_session_chat(session, line.c_str(), &options, nullptr, 0, nullptr);
    }
    std::fputc('\n', stdout);
    std::fflush(stdout);
    // A cancelled or too long turn leaves the conversation as it was: go on.
    gemmac_status_code code = gemmac_status_get_code(status);
    if (reportError(status, "turn")) {
      if (code == GEMMAC_CANCELLED || code == GEMMAC_OUT_OF_RANGE) continue;
      return 1;
    }
    std::fprintf(stderr, "gemmac-run: turn %d: %zu tokens in the context\n", ++turns,
                 gemmac_session_get_position(session));
  }
  return 0;
}

}  // namespace gemmac_run
