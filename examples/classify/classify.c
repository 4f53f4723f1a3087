/* gemmac-classify: route a customer message to one of N departments by asking
 * the model which label is the likeliest continuation of a routing prompt
 * (gemmac_session_classify_text). Only the LM-head rows of the labels' tokens
 * are computed, not the whole vocabulary.
 *
 *   gemmac-classify MODEL.gmf [MESSAGE] [LABEL...]
 *
 * Prints each label's probability and the route taken.
 */
#include <stdio.h>
#include <string.h>

#include "gemmac/gemmac.h"

/* Prints a failed status with some context, frees it and says whether it failed. */
static int failed(gemmac_status status, const char* what) {
  if (status == NULL) return 0;
  fprintf(stderr, "%s: %s\n", what, gemmac_status_get_message(status));
  gemmac_status_free(status);
  return 1;
}

enum { kMaxLabels = 16 };

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s MODEL.gmf [MESSAGE] [LABEL...]\n", argv[0]);
    return 2;
  }
  const char* message = argc > 2 ? argv[2] : "My invoice charged me twice this month.";
  /* Each label is tokenized on its own and follows "Department:", hence the space. */
  const char* labels[kMaxLabels] = {" billing", " technical support", " sales"};
  size_t label_count = 3;
  if (argc > 3) {
    label_count = (size_t)(argc - 3) < kMaxLabels ? (size_t)(argc - 3) : kMaxLabels;
    for (size_t i = 0; i < label_count; ++i) labels[i] = argv[3 + i];
  }

  char prompt[2048];
  int length = snprintf(prompt, sizeof prompt,
                        "Route the customer message to a department.\nMessage: %s\nDepartment:", message);
  if (length < 0 || (size_t)length >= sizeof prompt) {
    fprintf(stderr, "message too long\n");
    return 2;
  }

  gemmac_model* model = NULL;
  if (failed(gemmac_model_load(argv[1], &model), "load")) return 1;
  gemmac_session_options options;
  gemmac_session_options_init(&options);
  options.max_context = 512; /* a short prompt: a small KV cache */
  gemmac_session* session = NULL;
  int status = 1;
  if (failed(gemmac_session_create(model, &options, &session), "session")) goto done;

  /* The prompt as a chat turn; the labels follow the model turn's start. */
  float probabilities[kMaxLabels];
  if (failed(gemmac_session_classify_text(session, prompt, 1, labels, label_count, probabilities, NULL), "classify"))
    goto done;
  size_t best = 0;
  for (size_t i = 0; i < label_count; ++i) {
    printf("%-24s %.4f\n", labels[i], probabilities[i]);
    if (probabilities[i] > probabilities[best]) best = i;
  }
  printf("route:%s\n", labels[best]);
  status = 0;

done:
  gemmac_session_free(session);
  gemmac_model_free(model);
  return status;
}
