/* gemmac-chat: a three-turn chat with a compiled Gemma 3 model. The session
 * keeps the conversation and its KV cache, so each turn prefills only its own
 * tokens; replies stream through a callback.
 *
 *   gemmac-chat MODEL.gmf [N]      N: new tokens per reply at most (default 48)
 *
 * At the end it checks what the session holds against the chat template's
 * text of the whole conversation, tokenized from scratch.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gemmac/gemmac.h"

#define TURNS 3
#define REPLY_CAPACITY 4096

/* Prints a failed status with some context, frees it and says whether it failed. */
static int failed(gemmac_status status, const char* what) {
  if (status == NULL) return 0;
  fprintf(stderr, "%s: %s\n", what, gemmac_status_get_message(status));
  gemmac_status_free(status);
  return 1;
}

static int on_token(void* user_data, int32_t id, const char* text, size_t length) {
  (void)user_data;
  (void)id;
  fwrite(text, 1, length, stdout);
  fflush(stdout);
  return 0;
}

/* Tokens of BOS + the chat template's text of `messages`, or 0 on failure. */
static size_t transcript_tokens(const gemmac_model* model, const gemmac_chat_message* messages, size_t count) {
  size_t length = 0, tokens = 0;
  if (failed(gemmac_chat_template_apply(messages, count, 0, NULL, 0, &length), "template")) return 0;
  char* text = malloc(length + 1);
  if (text == NULL) return 0;
  int ok = !failed(gemmac_chat_template_apply(messages, count, 0, text, length + 1, &length), "template") &&
           !failed(gemmac_model_tokenize(model, text, length, NULL, 0, &tokens), "tokenize");
  free(text);
  return ok ? tokens + 1 : 0;
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s MODEL.gmf [N]\n", argv[0]);
    return 2;
  }
  const char* system_prompt = "You are a helpful assistant. Answer in one sentence.";
  const char* questions[TURNS] = {"What is the capital of France?", "And what river runs through it?",
                                  "Name one famous museum there."};
  int max_new_tokens = argc > 2 ? atoi(argv[2]) : 48;

  gemmac_model* model = NULL;
  if (failed(gemmac_model_load(argv[1], &model), "load")) return 1;
  gemmac_session_options session_options;
  gemmac_session_options_init(&session_options);
  session_options.max_context = 1024; /* a small KV cache: enough for three short turns */
  gemmac_session* session = NULL;
  if (failed(gemmac_session_create(model, &session_options, &session), "session")) {
    gemmac_model_free(model);
    return 1;
  }

  /* A conversation with a system prompt; older turns would be dropped if it outgrew the context. */
  gemmac_chat_options chat_options;
  gemmac_chat_options_init(&chat_options);
  chat_options.system_prompt = system_prompt;
  chat_options.drop_old_turns = 1;
  int status_code = failed(gemmac_session_chat_begin(session, &chat_options), "chat");

  gemmac_generate_options options;
  gemmac_generate_options_init(&options);
  options.max_new_tokens = max_new_tokens;
  options.repeat_penalty = 1.1f; /* small models tend to loop */
  options.on_token = on_token;

  /* The transcript as gemmac_chat_template_apply takes it: system, then user/model pairs. */
  gemmac_chat_message messages[1 + 2 * TURNS];
  static char replies[TURNS][REPLY_CAPACITY];
  messages[0].role = "system";
  messages[0].content = system_prompt;
  size_t count = 1;
  for (int turn = 0; turn < TURNS && status_code == 0; ++turn) {
    printf("user: %s\nmodel: ", questions[turn]);
    size_t length = 0;
    if (failed(gemmac_session_chat(session, questions[turn], &options, replies[turn], REPLY_CAPACITY, &length),
               "chat")) {
      status_code = 1;
      break;
    }
    printf("\n");
    fflush(stdout); /* before the stderr line */
    fprintf(stderr, "turn %d: %zu bytes of reply, %zu tokens in the session\n", turn + 1, length,
            gemmac_session_get_position(session));
    messages[count].role = "user";
    messages[count++].content = questions[turn];
    messages[count].role = "model";
    messages[count++].content = replies[turn];
  }

  /* The session holds exactly the template's transcript: nothing was lost or doubled between turns. */
  if (status_code == 0) {
    size_t expected = transcript_tokens(model, messages, count);
    size_t position = gemmac_session_get_position(session);
    printf("session: %zu tokens; the transcript from scratch: %zu tokens%s\n", position, expected,
           position == expected ? " (consistent)" : "");
    if (position != expected) status_code = 1;
  }

  gemmac_session_free(session);
  gemmac_model_free(model);
  return status_code;
}
