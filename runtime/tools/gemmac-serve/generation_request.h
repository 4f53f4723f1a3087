// From an OpenAI request to the engine's: the prompt's tokens, its limits and
// its grammar, checked against the model and the context.
#ifndef GEMMAC_TOOLS_GEMMAC_SERVE_GENERATION_REQUEST_H_
#define GEMMAC_TOOLS_GEMMAC_SERVE_GENERATION_REQUEST_H_

#include "engine.h"
#include "gemmac/gemmac.h"
#include "openai_request.h"

namespace gemmac_serve {

/// The prompt is BOS, then the chat template's text of the messages with the
/// model turn's start (chat), or the prompt text. Without max_tokens, chat
/// generates until the context is full and completions 16 tokens (OpenAI's
/// defaults); without a seed, sampling is seeded at random. Throws ApiError
/// (400) for a prompt that leaves no room in the context, or a schema the
/// grammar compiler refuses. The channel is left to the caller.
GenerationRequest makeGenerationRequest(const gemmac_model* model, const CompletionRequest& request, int32_t context);

}  // namespace gemmac_serve

#endif  // GEMMAC_TOOLS_GEMMAC_SERVE_GENERATION_REQUEST_H_
