// Sessions of one model on several threads at once (gemmac.h's thread-safety
// contract). Its own binary so that it runs under ThreadSanitizer too
// (scripts/sanitize.sh): api_contract_test.cpp replaces the global operator
// new, which the TSan runtime defines as well. Each session has one thread, so
// its work runs on the thread that calls it, where TSan sees every access
// (pthreadpool and XNNPACK are not instrumented).
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "gemmac/gemmac.h"
#include "test/unit/app/api_helpers.h"
#include "test/unit/runtime/tiny_model.h"

namespace {

using gemmac::test::expectOk;
using gemmac::test::loadModel;
using gemmac::test::newSession;

// Sessions of one model generate on several threads at once and get what one
// session gets alone: with bf16 weights (XNNPACK products: steps take turns
// under the model's lock) and with q4 weights (no lock).
TEST(Threads, SessionsOfOneModelRunConcurrently) {
  for (bool q4 : {false, true}) {
    gemmac::test::TinyConfig config;
    config.q4_weights = q4;
    config.hidden = 64;
    gemmac_model* model = loadModel(gemmac::test::writeTempFile(
        q4 ? "threads_q4.gmf" : "threads_bf16.gmf", gemmac::test::serialize(gemmac::test::makeTinyModel(config))));
    const std::vector<int32_t> prompt = {2, 10, 11, 12};
    gemmac_generate_options options;
    gemmac_generate_options_init(&options);
    options.max_new_tokens = 24;
    // Each thread makes its session, then all start generating together.
    std::atomic<int> waiting{0};
    auto generate = [&](std::vector<int32_t>* ids) {
      gemmac_session* session = newSession(model);
      waiting.fetch_sub(1);
      while (waiting.load() > 0) std::this_thread::yield();
      ids->assign(32, -1);
      size_t count = 0;
      expectOk(gemmac_session_generate(session, prompt.data(), prompt.size(), &options, ids->data(), ids->size(),
                                       &count));
      ids->resize(count);
      gemmac_session_free(session);
    };
    std::vector<int32_t> alone;
    waiting = 1;
    generate(&alone);
    std::vector<std::vector<int32_t>> results(4);
    waiting = static_cast<int>(results.size());
    std::vector<std::thread> threads;
    for (std::vector<int32_t>& result : results) threads.emplace_back(generate, &result);
    for (std::thread& thread : threads) thread.join();
    for (const std::vector<int32_t>& result : results) EXPECT_EQ(result, alone) << (q4 ? "q4" : "bf16");
    gemmac_model_free(model);
  }
}

}  // namespace
