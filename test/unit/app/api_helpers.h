// Models and sessions through the C API with every status checked by
// GoogleTest: shared by the contract test and the threads test, which are
// separate binaries (the contract test replaces the global operator new, which
// a ThreadSanitizer runtime defines too).
#ifndef GEMMAC_TEST_UNIT_APP_API_HELPERS_H_
#define GEMMAC_TEST_UNIT_APP_API_HELPERS_H_

#include <gtest/gtest.h>

#include <string>

#include "gemmac/gemmac.h"

namespace gemmac::test {

inline void expectOk(gemmac_status status) {
  EXPECT_EQ(status, nullptr) << gemmac_status_get_message(status);
  gemmac_status_free(status);
}

inline gemmac_model* loadModel(const std::string& path) {
  gemmac_model* model = nullptr;
  expectOk(gemmac_model_load(path.c_str(), &model));
  return model;
}

/// One thread: the session's work runs on the calling thread.
inline gemmac_status createSession(gemmac_model* model, gemmac_session** session) {
  gemmac_session_options options;
  gemmac_session_options_init(&options);
  options.num_threads = 1;
  return gemmac_session_create(model, &options, session);
}

inline gemmac_session* newSession(gemmac_model* model) {
  gemmac_session* session = nullptr;
  expectOk(createSession(model, &session));
  return session;
}

}  // namespace gemmac::test

#endif  // GEMMAC_TEST_UNIT_APP_API_HELPERS_H_
