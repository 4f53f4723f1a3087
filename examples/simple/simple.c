/* gemmac-simple: load a compiled Gemma 3 model, generate from a prompt with
 * streaming output, and free everything.
 *
 *   gemmac-simple MODEL.gmf [PROMPT] [N]
 *
 * Built with -DGEMMAC_LINKED_MODEL and a model's libmodel_<target>.a (a static
 * target such as arm64-android), it runs that linked forward pass.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gemmac/gemmac.h"

/* Prints a failed status with some context, frees it and says whether it failed. */
static int failed(gemmac_status status, const char* what) {
  if (status == NULL) return 0;
  fprintf(stderr, "%s: %s\n", what, gemmac_status_get_message(status));
  gemmac_status_free(status);
  return 1;
}

/* Called once per generated token with the text it completes. */
static int on_token(void* user_data, int32_t id, const char* text, size_t length) {
  (void)user_data;
  (void)id;
  fwrite(text, 1, length, stdout);
  fflush(stdout);
  return 0; /* nonzero would stop generation */
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s MODEL.gmf [PROMPT] [N]\n", argv[0]);
    return 2;
  }
  const char* model_path = argv[1];
  const char* prompt = argc > 2 ? argv[2] : "The capital of France is";
  int n_predict = argc > 3 ? atoi(argv[3]) : 32;

  /* 1. Load the model: maps the file and checks it. */
  gemmac_model* model = NULL;
#ifdef GEMMAC_LINKED_MODEL
  if (failed(gemmac_model_load_linked(model_path, gemmac_compiled_model_get(), &model), "load")) return 1;
#else
  if (failed(gemmac_model_load(model_path, &model), "load")) return 1;
#endif
  gemmac_model_info info;
  if (failed(gemmac_model_get_info(model, &info), "info")) {
    gemmac_model_free(model);
    return 1;
  }
  fprintf(stderr, "model: %d layers, vocabulary %d, context %d; executor: %s\n", info.num_layers,
          info.vocab_size, info.max_context, gemmac_model_get_executor(model));

  /* 2. A session holds one sequence and its KV cache. */
  gemmac_session_options session_options;
  gemmac_session_options_init(&session_options);
  /* A short context keeps the KV cache small. */
  session_options.max_context = info.max_context < 1024 ? info.max_context : 1024;
  gemmac_session* session = NULL;
  if (failed(gemmac_session_create(model, &session_options, &session), "session")) {
    gemmac_model_free(model);
    return 1;
  }

  /* 3. Show how the prompt tokenizes (size query first, then the ids). */
  size_t n_prompt = 0;
  int status_code = 0;
  if (!failed(gemmac_model_tokenize(model, prompt, strlen(prompt), NULL, 0, &n_prompt),
              "tokenize"))
    fprintf(stderr, "prompt: %zu tokens\n", n_prompt);

  /* 4. Generate greedily, streaming text through on_token. */
  gemmac_generate_options options;
  gemmac_generate_options_init(&options);
  options.max_new_tokens = n_predict;
  options.on_token = on_token;
  size_t n_generated = 0;
  printf("%s", prompt);
  if (failed(gemmac_session_generate_text(session, prompt, &options, &n_generated), "generate"))
    status_code = 1;
  printf("\n");
  fprintf(stderr, "generated %zu tokens\n", n_generated);

  /* 5. Free in reverse order of creation. */
  gemmac_session_free(session);
  gemmac_model_free(model);
  return status_code;
}
