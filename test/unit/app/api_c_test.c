/* Calls the C API from C: the header must compile as strict C11 and the calls
 * must report failures through statuses. */
#include <stdio.h>
#include <string.h>

#include "gemmac/gemmac.h"

static int failures = 0;

#define CHECK(cond)                                              \
  do {                                                           \
    if (!(cond)) {                                               \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      ++failures;                                                \
    }                                                            \
  } while (0)

static void missing_model_is_not_found(void) {
  gemmac_model* model = NULL;
  gemmac_status status = gemmac_model_load("/nonexistent/model.gmf", &model);
  CHECK(gemmac_status_get_code(status) == GEMMAC_NOT_FOUND);
  CHECK(strlen(gemmac_status_get_message(status)) > 0);
  CHECK(model == NULL);
  gemmac_status_free(status);
}

static void chat_template_formats_a_turn(void) {
  const gemmac_chat_message messages[] = {{"system", "Be brief."}, {"user", "Hi"}};
  const char* expected =
      "<start_of_turn>user\nBe brief.\n\nHi<end_of_turn>\n<start_of_turn>model\n";
  char text[256];
  size_t length = 0;
  gemmac_status status = gemmac_chat_template_apply(messages, 2, 1, text, sizeof text, &length);
  CHECK(status == NULL);
  CHECK(length == strlen(expected));
  CHECK(strcmp(text, expected) == 0);

  status = gemmac_chat_template_apply(messages, 2, 1, text, 4, &length);
  CHECK(gemmac_status_get_code(status) == GEMMAC_OUT_OF_RANGE);
  CHECK(length == strlen(expected));
  gemmac_status_free(status);
}

static void sampler_rejects_bad_options(void) {
  gemmac_sampler_options options;
  gemmac_sampler* sampler = NULL;
  gemmac_sampler_options_init(&options);
  options.top_p = 0.0f;
  gemmac_status status = gemmac_sampler_create(&options, &sampler);
  CHECK(gemmac_status_get_code(status) == GEMMAC_INVALID_ARGUMENT);
  CHECK(sampler == NULL);
  gemmac_status_free(status);
}

static void generate_defaults(void) {
  gemmac_generate_options options;
  gemmac_generate_options_init(&options);
  CHECK(options.max_new_tokens == 128);
  CHECK(options.sampler.temperature <= 0.0f);
  CHECK(options.on_token == NULL);
  CHECK(options.stop_string_count == 0);
  CHECK(options.repeat_penalty == 1.0f);
  CHECK(options.presence_penalty == 0.0f);
  CHECK(options.frequency_penalty == 0.0f);
  CHECK(options.sampler.min_p == 0.0f);

  gemmac_chat_options chat;
  gemmac_chat_options_init(&chat);
  CHECK(chat.system_prompt == NULL && chat.drop_old_turns == 0);
  gemmac_session_cancel(NULL); /* ignored */
}

int main(void) {
  missing_model_is_not_found();
  chat_template_formats_a_turn();
  sampler_rejects_bad_options();
  generate_defaults();
  if (failures == 0) printf("ok\n");
  return failures == 0 ? 0 : 1;
}
