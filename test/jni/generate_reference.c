/* What GemmacJniTest holds the JNI bridge to: the same generation made through
 * the C API directly. Reads the prompt (UTF-8) from stdin, so that no locale
 * stands between the Java test and the bytes; prints one line per generated
 * token: its id, a space, and the bytes of its streamed piece in hex.
 *
 *   gemmac_jni_generate_reference MODEL.gmf MAX_CONTEXT THREADS MAX_NEW_TOKENS CHAT(0|1) < PROMPT
 */
#include <stdio.h>
#include <stdlib.h>

#include "gemmac/gemmac.h"

static int print_token(void* user_data, int32_t id, const char* text, size_t length) {
  (void)user_data;
  printf("%d ", id);
  for (size_t i = 0; i < length; i++) printf("%02x", (unsigned char)text[i]);
  printf("\n");
  return 0;
}

/* Prints a failed status, frees it and says whether it failed. */
static int failed(gemmac_status status, const char* what) {
  if (status == NULL) return 0;
  fprintf(stderr, "%s: %s\n", what, gemmac_status_get_message(status));
  gemmac_status_free(status);
  return 1;
}

int main(int argc, char** argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: %s MODEL.gmf MAX_CONTEXT THREADS MAX_NEW_TOKENS CHAT < PROMPT\n", argv[0]);
    return 2;
  }
  static char prompt[1 << 16];
  size_t length = fread(prompt, 1, sizeof prompt - 1, stdin);
  prompt[length] = '\0';

  gemmac_model* model = NULL;
  if (failed(gemmac_model_load(argv[1], &model), "load")) return 1;
  gemmac_session_options session_options;
  gemmac_session_options_init(&session_options);
  session_options.max_context = atoi(argv[2]);
  session_options.num_threads = atoi(argv[3]);
  gemmac_session* session = NULL;
  int code = failed(gemmac_session_create(model, &session_options, &session), "session");
  if (code == 0) {
    gemmac_generate_options options;
    gemmac_generate_options_init(&options); /* greedy */
    options.max_new_tokens = atoi(argv[4]);
    options.chat = atoi(argv[5]);
    options.on_token = print_token;
    code = failed(gemmac_session_generate_text(session, prompt, &options, NULL), "generate");
  }
  gemmac_session_free(session);
  gemmac_model_free(model);
  return code;
}
