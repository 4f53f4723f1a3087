// The C API's contract beyond single calls' results (gemmac.h):
// - no exception crosses it: with global operator new failing from its Nth
//   call on, for N = 0, 1, 2, ... until a call needs no more, every entry point
//   returns success or GEMMAC_RESOURCE_EXHAUSTED and leaves no allocation
//   behind that its frees do not release. Only the entry points that stay
//   clear of sentencepiece: the system library is built without exceptions,
//   and a std::bad_alloc thrown inside it (parsing the model, Encode) ends in
//   std::terminate or a crash in its destructors, beyond any barrier of ours;
// - the model outlives the sessions and grammars made from it.
// Sessions on several threads: threads_test.cpp. This binary replaces the
// global operator new and delete, so it runs alone.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <functional>
#include <new>
#include <string>
#include <vector>

#include "gemmac/gemmac.h"
#include "test/unit/app/api_helpers.h"
#include "test/unit/runtime/tiny_model.h"

// ---- Failing allocator ----------------------------------------------------------

namespace {

std::atomic<bool> armed{false};
std::atomic<long> allowed{0};   // allocations that still succeed while armed
std::atomic<long> injected{0};  // allocations failed since arming
std::atomic<long> live{0};      // allocations not freed yet

void* allocate(size_t size, size_t alignment) noexcept {
  if (armed.load(std::memory_order_relaxed) && allowed.fetch_sub(1, std::memory_order_relaxed) <= 0) {
    injected.fetch_add(1, std::memory_order_relaxed);
    return nullptr;
  }
  if (size == 0) size = 1;
  void* p = nullptr;
  if (alignment <= alignof(std::max_align_t))
    p = std::malloc(size);
  else if (posix_memalign(&p, alignment, size) != 0)
    p = nullptr;
  if (p) live.fetch_add(1, std::memory_order_relaxed);
  return p;
}

void release(void* p) noexcept {
  if (!p) return;
  live.fetch_sub(1, std::memory_order_relaxed);
  std::free(p);
}

void* allocateOrThrow(size_t size, size_t alignment) {
  void* p = allocate(size, alignment);
  if (!p) throw std::bad_alloc();
  return p;
}

}  // namespace

void* operator new(size_t size) { return allocateOrThrow(size, 0); }
void* operator new[](size_t size) { return allocateOrThrow(size, 0); }
void* operator new(size_t size, std::align_val_t a) { return allocateOrThrow(size, static_cast<size_t>(a)); }
void* operator new[](size_t size, std::align_val_t a) { return allocateOrThrow(size, static_cast<size_t>(a)); }
void* operator new(size_t size, const std::nothrow_t&) noexcept { return allocate(size, 0); }
void* operator new[](size_t size, const std::nothrow_t&) noexcept { return allocate(size, 0); }
void* operator new(size_t size, std::align_val_t a, const std::nothrow_t&) noexcept {
  return allocate(size, static_cast<size_t>(a));
}
void* operator new[](size_t size, std::align_val_t a, const std::nothrow_t&) noexcept {
  return allocate(size, static_cast<size_t>(a));
}
void operator delete(void* p) noexcept { release(p); }
void operator delete[](void* p) noexcept { release(p); }
void operator delete(void* p, size_t) noexcept { release(p); }
void operator delete[](void* p, size_t) noexcept { release(p); }
void operator delete(void* p, std::align_val_t) noexcept { release(p); }
void operator delete[](void* p, std::align_val_t) noexcept { release(p); }
void operator delete(void* p, size_t, std::align_val_t) noexcept { release(p); }
void operator delete[](void* p, size_t, std::align_val_t) noexcept { release(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { release(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { release(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { release(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { release(p); }

namespace {

using gemmac::test::createSession;
using gemmac::test::expectOk;
using gemmac::test::loadModel;
using gemmac::test::newSession;

// Dense for the first allocations, where most objects are built; then in
// steps of 1/8, so that calls making a million allocations (loading the
// 262144-piece tokenizer) stay bounded.
long nextCount(long n) { return n < 256 ? n + 1 : n + n / 8; }
constexpr long kMaxAllocations = 50'000'000;

/// Returns the status of `expr` from a lambda when it failed.
#define RETURN_IF_FAILED(expr)      \
  do {                              \
    gemmac_status failed_ = (expr); \
    if (failed_) return failed_;    \
  } while (0)

/// Runs `call` with every allocation from the (N+1)th on failing, for N = 0,
/// 1, ... until it succeeds without a failed allocation. Each attempt must
/// succeed or fail with GEMMAC_RESOURCE_EXHAUSTED; `cleanup` (run unarmed
/// after every attempt) frees what a successful one made and restores the
/// state the next attempt starts from. A failed attempt leaves exactly the
/// allocations live that were before it (a successful one may keep caches).
void exhaust(const char* name, const std::function<gemmac_status()>& call, const std::function<void()>& cleanup) {
  // Unarmed first: what the libraries build once on first use (protobuf's
  // defaults, ...) is not a leak of the attempts.
  gemmac_status status = call();
  ASSERT_EQ(status, nullptr) << name << ": " << gemmac_status_get_message(status);
  cleanup();
  for (long n = 0;; n = nextCount(n)) {
    ASSERT_LT(n, kMaxAllocations) << name << " never succeeded";
    const long live_before = live.load();
    injected = 0;
    allowed = n;
    armed = true;
    gemmac_status status = call();
    armed = false;
    const gemmac_status_code code = gemmac_status_get_code(status);
    const std::string message = gemmac_status_get_message(status);
    gemmac_status_free(status);
    cleanup();
    ASSERT_TRUE(code == GEMMAC_OK || (code == GEMMAC_RESOURCE_EXHAUSTED && injected > 0))
        << name << " with " << n << " allocations allowed: code " << code << ": " << message;
    if (code != GEMMAC_OK)
      ASSERT_EQ(live.load(), live_before) << name << " with " << n << " allocations allowed leaks";
    if (code == GEMMAC_OK && injected == 0) return;
  }
}

/// A tiny model file with the reference tokenizer and every id it has.
const std::string& textModelPath() {
  static const std::string path = [] {
    gemmac::test::TinyConfig config;
    config.vocab = 262144;
    config.max_context = 96;
    gemmac::test::ModelSpec spec = gemmac::test::makeTinyModel(config);
    spec.stop_ids = {1, 106};  // <eos>, <end_of_turn>
    spec.tokenizer = gemmac::test::referenceTokenizer();
    return gemmac::test::writeTempFile("contract_text.gmf", gemmac::test::serialize(spec));
  }();
  return path;
}

gemmac_generate_options sampling(int32_t max_new_tokens) {
  gemmac_generate_options options;
  gemmac_generate_options_init(&options);
  options.max_new_tokens = max_new_tokens;
  options.sampler.temperature = 0.8f;
  options.sampler.top_k = 40;
  options.sampler.seed = 7;
  options.repeat_penalty = 1.1f;
  return options;
}

// ---- Allocation failure -----------------------------------------------------------

// On a model without a tokenizer: a std::bad_alloc while sentencepiece's
// protobuf-lite parses one crashes in ~ModelProto_SentencePiece.
TEST(AllocationFailure, ModelLoad) {
  gemmac::test::TinyConfig config;
  const std::string path = gemmac::test::writeTempFile(
      "contract_tiny.gmf", gemmac::test::serialize(gemmac::test::makeTinyModel(config)));
  gemmac_model* model = nullptr;
  exhaust(
      "model_load", [&] { return gemmac_model_load(path.c_str(), &model); },
      [&] {
        gemmac_model_free(model);
        model = nullptr;
      });
}

class AllocationFailureOnModel : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    gemmac::test::TinyConfig config;
    model_ = loadModel(gemmac::test::writeTempFile(
        "contract_ids.gmf", gemmac::test::serialize(gemmac::test::makeTinyModel(config))));
  }
  static void TearDownTestSuite() { gemmac_model_free(model_); }

  void SetUp() override { session_ = newSession(model_); }
  void TearDown() override { gemmac_session_free(session_); }

  /// The same session state before every attempt.
  std::function<void()> resetSession() {
    return [this] { gemmac_session_reset(session_); };
  }

  static gemmac_model* model_;
  gemmac_session* session_ = nullptr;
};

gemmac_model* AllocationFailureOnModel::model_ = nullptr;

TEST_F(AllocationFailureOnModel, SessionCreateAndKvCaches) {
  gemmac_session* session = nullptr;
  exhaust(
      "session_create", [&] { return createSession(model_, &session); },
      [&] {
        gemmac_session_free(session);
        session = nullptr;
      });
  gemmac_kv_cache_info caches[8];
  size_t count = 0;
  exhaust("get_kv_caches", [&] { return gemmac_model_get_kv_caches(model_, nullptr, caches, 8, &count); }, [] {});
}

TEST_F(AllocationFailureOnModel, ChatTemplate) {
  char buffer[256];
  size_t length = 0;
  const gemmac_chat_message messages[] = {{"system", "Be brief."}, {"user", "Hi"}, {"model", "Hello"}, {"user", "?"}};
  exhaust("chat_template_apply", [&] { return gemmac_chat_template_apply(messages, 4, 1, buffer, 256, &length); },
          [] {});
}

TEST_F(AllocationFailureOnModel, Sampler) {
  gemmac_sampler_options options;
  gemmac_sampler_options_init(&options);
  options.temperature = 1.0f;
  options.top_p = 0.9f;
  gemmac_sampler* sampler = nullptr;
  exhaust(
      "sampler_create", [&] { return gemmac_sampler_create(&options, &sampler); },
      [&] {
        gemmac_sampler_free(sampler);
        sampler = nullptr;
      });
  std::vector<float> logits(1000);
  for (size_t i = 0; i < logits.size(); ++i) logits[i] = static_cast<float>(i % 17);
  int32_t id = 0;
  // A fresh sampler per attempt: its buffers grow on the first call.
  expectOk(gemmac_sampler_create(&options, &sampler));
  exhaust(
      "sampler_sample", [&] { return gemmac_sampler_sample(sampler, logits.data(), logits.size(), &id); },
      [&] {
        gemmac_sampler_free(sampler);
        expectOk(gemmac_sampler_create(&options, &sampler));
      });
  gemmac_sampler_free(sampler);
}

TEST_F(AllocationFailureOnModel, SessionSteps) {
  const std::vector<int32_t> prompt = {2, 10, 11, 12};
  std::vector<float> logits(100 * prompt.size());
  exhaust(
      "prefill", [&] { return gemmac_session_prefill(session_, prompt.data(), prompt.size(), logits.data()); },
      resetSession());
  exhaust(
      "evaluate", [&] { return gemmac_session_evaluate(session_, prompt.data(), prompt.size(), logits.data()); },
      resetSession());
  exhaust("decode", [&] { return gemmac_session_decode(session_, prompt[0], logits.data()); }, resetSession());
}

TEST_F(AllocationFailureOnModel, Generate) {
  const std::vector<int32_t> prompt = {2, 10, 11, 12};
  const gemmac_generate_options options = sampling(6);  // no tokenizer: no callback or stop strings
  int32_t ids[8];
  size_t count = 0;
  exhaust(
      "generate",
      [&] {
        // A second call too: it continues after the first.
        RETURN_IF_FAILED(gemmac_session_generate(session_, prompt.data(), prompt.size(), &options, ids, 8, &count));
        return gemmac_session_generate(session_, prompt.data(), 1, &options, ids, 8, &count);
      },
      resetSession());
}

TEST_F(AllocationFailureOnModel, Classify) {
  const std::vector<int32_t> prompt = {2, 20, 21};
  const std::vector<int32_t> a = {30}, b = {31, 32}, c = {31, 33, 34};
  const int32_t* label_ids[] = {a.data(), b.data(), c.data()};
  const size_t label_lengths[] = {a.size(), b.size(), c.size()};
  float probabilities[3], log_probs[3];
  exhaust(
      "classify",
      [&] { return gemmac_session_classify(session_, prompt.data(), prompt.size(), label_ids, label_lengths, 3,
                                           probabilities, log_probs); },
      resetSession());
}

// ---- The model's reference count -------------------------------------------------

// gemmac_model_free drops the user's reference only: the session and the
// grammar go on using the model (tokenizer, plan, weights), and the last of
// them to be freed releases it, in either order.
TEST(ModelReference, SessionsAndGrammarsOutliveTheUsersFree) {
  gemmac_model_free(loadModel(textModelPath()));  // first-use allocations of the libraries, before counting
  const std::string gbnf = "root ::= \"yes\" | \"no\"";
  for (bool session_last : {false, true}) {
    const long live_before = live.load();
    gemmac_model* model = loadModel(textModelPath());
    gemmac_session* session = newSession(model);
    gemmac_grammar* grammar = nullptr;
    expectOk(gemmac_grammar_create_from_gbnf(model, gbnf.data(), gbnf.size(), &grammar));
    gemmac_model_free(model);

    gemmac_generate_options options = sampling(4);
    options.grammar = grammar;
    size_t count = 0;
    expectOk(gemmac_session_generate_text(session, "Answer:", &options, &count));
    const char* labels[] = {" yes", " no"};
    float probabilities[2];
    expectOk(gemmac_session_classify_text(session, "Sure?", 0, labels, 2, probabilities, nullptr));
    if (session_last) {
      gemmac_grammar_free(grammar);
      EXPECT_GT(live.load(), live_before) << "the session's model was freed";
      gemmac_session_free(session);
    } else {
      gemmac_session_free(session);
      EXPECT_GT(live.load(), live_before) << "the grammar's model was freed";
      gemmac_grammar_free(grammar);
    }
    EXPECT_EQ(live.load(), live_before) << "the last reference did not free the model";
  }
}

}  // namespace
