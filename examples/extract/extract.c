/* gemmac-extract: named entities of a text as JSON that validates against a
 * JSON Schema, by constrained decoding (gemmac_grammar).
 *
 *   gemmac-extract MODEL.gmf SCHEMA.json [TEXT] [MAX_TOKENS]
 *
 * e.g. with examples/extract/entities.schema.json. Prints the JSON document on
 * stdout; exits 1 if the token budget ran out before the document was complete.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gemmac/gemmac.h"

static int failed(gemmac_status status, const char* what) {
  if (status == NULL) return 0;
  fprintf(stderr, "%s: %s\n", what, gemmac_status_get_message(status));
  gemmac_status_free(status);
  return 1;
}

/* The whole file in a malloc'd buffer; NULL if it cannot be read. */
static char* read_file(const char* path, size_t* length) {
  FILE* file = fopen(path, "rb");
  if (file == NULL) return NULL;
  char* text = NULL;
  if (fseek(file, 0, SEEK_END) == 0) {
    long size = ftell(file);
    if (size >= 0 && fseek(file, 0, SEEK_SET) == 0 && (text = malloc((size_t)size + 1)) != NULL) {
      *length = fread(text, 1, (size_t)size, file);
      text[*length] = '\0';
    }
  }
  fclose(file);
  return text;
}

static int print_token(void* user_data, int32_t id, const char* text, size_t length) {
  (void)user_data;
  (void)id;
  fwrite(text, 1, length, stdout);
  return 0;
}

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s MODEL.gmf SCHEMA.json [TEXT] [MAX_TOKENS]\n", argv[0]);
    return 2;
  }
  const char* text = argc > 3 ? argv[3]
                              : "Ada Lovelace met Charles Babbage in London in June 1833; the Royal Society "
                                "later honoured his Analytical Engine.";
  const int max_tokens = argc > 4 ? atoi(argv[4]) : 160;
  size_t schema_length = 0;
  char* schema = read_file(argv[2], &schema_length);
  if (schema == NULL) {
    fprintf(stderr, "cannot read %s\n", argv[2]);
    return 1;
  }

  gemmac_model* model = NULL;
  gemmac_session* session = NULL;
  gemmac_grammar* grammar = NULL;
  int exit_code = 1;
  if (failed(gemmac_model_load(argv[1], &model), "load")) goto done;
  if (failed(gemmac_session_create(model, NULL, &session), "session")) goto done;
  /* The schema compiles to a grammar over the model's vocabulary; a bad schema
   * fails here with its JSON pointer or line:column. */
  if (failed(gemmac_grammar_create_from_json_schema(model, schema, schema_length, &grammar), argv[2])) goto done;

  /* The instruction and the schema in the prompt tell the model what to write;
   * the grammar makes sure whatever it writes validates. */
  const char* instruction = "Extract the people, places, organizations and date named in this text as JSON "
                            "matching the schema.\nSchema: ";
  size_t prompt_length = strlen(instruction) + schema_length + strlen(text) + 16;
  char* prompt = malloc(prompt_length);
  if (prompt == NULL) goto done;
  snprintf(prompt, prompt_length, "%s%s\nText: %s\n", instruction, schema, text);

  gemmac_generate_options options;
  gemmac_generate_options_init(&options);
  options.chat = 1;
  options.max_new_tokens = max_tokens;
  options.grammar = grammar;
  options.on_token = print_token;
  gemmac_status status = gemmac_session_generate_text(session, prompt, &options, NULL);
  free(prompt);
  fputc('\n', stdout);
  /* GEMMAC_OUT_OF_RANGE: the budget ran out and what was printed is unfinished. */
  if (!failed(status, "generate")) exit_code = 0;

done:
  gemmac_grammar_free(grammar);
  gemmac_session_free(session);
  gemmac_model_free(model);
  free(schema);
  return exit_code;
}
