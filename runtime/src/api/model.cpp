// gemmac_model_load / free / get_info.
#include "api/model.h"

#include <memory>

#include "loader/cpu_check.h"
#include "api/status.h"

gemmac_status gemmac::prepareModel(const gemmac_compiled_model* linked, gemmac_model* model) {
  const char* path = model->file.path.c_str();
  const gemmac::schema::Model& root = *model->file.root;
  GEMMAC_RETURN_IF_ERROR(gemmac::checkCpuFeatures(root.required_cpu_features(),
                                                   root.target() ? root.target()->c_str() : nullptr, path));
  const gemmac::schema::Config& config = *root.config();
  model->vocab_size = config.vocab_size();
  model->bos_id = config.bos_id();
  if (config.stop_ids()) model->stop_ids.assign(config.stop_ids()->begin(), config.stop_ids()->end());
  model->info.vocab_size = config.vocab_size();
  model->info.hidden_size = config.hidden_size();
  model->info.num_layers = config.num_layers();
  model->info.max_context = config.max_context();
  model->info.sliding_window = config.sliding_window();
  model->info.bos_id = config.bos_id();
  for (const gemmac::schema::Segment* segment : *model->file.root->segments())
    model->info.weight_bytes += segment->size();
  if (root.tokenizer() && root.tokenizer()->size() > 0) {
    gemmac_status status =
        gemmac::Tokenizer::create(root.tokenizer()->data(), root.tokenizer()->size(), &model->tokenizer);
    if (status) {
      gemmac_status wrapped = gemmac::makeStatus(GEMMAC_DATA_LOSS, "%s: embedded tokenizer: %s", path,
                                                 gemmac_status_get_message(status));
      gemmac_status_free(status);
      return wrapped;
    }
    // Every id the tokenizer encodes to must index the embedding: the app
    // layer feeds encoded text straight to the model.
    if (model->tokenizer->pieceCount() > config.vocab_size())
      return gemmac::makeStatus(GEMMAC_DATA_LOSS,
                                "%s: the embedded tokenizer has %d pieces but the model's vocabulary has %d ids",
                                path, model->tokenizer->pieceCount(), config.vocab_size());
  }
  GEMMAC_RETURN_IF_ERROR(gemmac::Program::create(model->file, &model->program));
  return gemmac::CompiledLibrary::open(model->file, *model->program, linked, &model->compiled);
}

namespace {

gemmac_status load(const char* path, const gemmac_compiled_model* linked, gemmac_model** out_model) {
  if (!path || !out_model) return gemmac::makeStatus(GEMMAC_INVALID_ARGUMENT, "model_load: NULL path or out_model");
  return gemmac::guard("model_load", [&]() -> gemmac_status {
    std::unique_ptr<gemmac_model> model(new gemmac_model);
    GEMMAC_RETURN_IF_ERROR(gemmac::openModelFile(path, &model->file));
    GEMMAC_RETURN_IF_ERROR(gemmac::prepareModel(linked, model.get()));
    *out_model = model.release();
    return nullptr;
  });
}

}  // namespace

void gemmac::retainModel(const gemmac_model* model) noexcept {
  model->references.fetch_add(1, std::memory_order_relaxed);
}

void gemmac::releaseModel(const gemmac_model* model) noexcept {
  // acq_rel: whatever the other holders did happens before the delete.
  if (model->references.fetch_sub(1, std::memory_order_acq_rel) == 1) delete model;
}

extern "C" gemmac_status gemmac_model_load(const char* path, gemmac_model** out_model) {
  return load(path, nullptr, out_model);
}

extern "C" gemmac_status gemmac_model_load_linked(const char* path, const gemmac_compiled_model* compiled,
                                                  gemmac_model** out_model) {
  if (!compiled) return gemmac::makeStatus(GEMMAC_INVALID_ARGUMENT, "model_load_linked: NULL compiled forward pass");
  return load(path, compiled, out_model);
}

extern "C" const char* gemmac_model_get_executor(const gemmac_model* model) {
  if (!model) return "";
  return model->compiled ? model->compiled->path().c_str() : "portable";
}

extern "C" void gemmac_model_free(gemmac_model* model) {
  if (model) gemmac::releaseModel(model);
}

extern "C" gemmac_status gemmac_model_get_info(const gemmac_model* model, gemmac_model_info* out_info) {
  if (!model || !out_info) return gemmac::makeStatus(GEMMAC_INVALID_ARGUMENT, "model_get_info: NULL argument");
  *out_info = model->info;
  return nullptr;
}
