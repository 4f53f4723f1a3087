// The engine on a tiny synthetic model (GEMMAC_SERVE_TEST_MODEL): the bound
// on requests in flight, FIFO slots, cancellation, timeouts, drain, and the
// same tokens batched as alone and as gemmac_session_generate gives.
#include "engine.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

namespace gemmac_serve {
namespace {

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* path = std::getenv("GEMMAC_SERVE_TEST_MODEL");
    ASSERT_NE(path, nullptr) << "set GEMMAC_SERVE_TEST_MODEL to a model file";
    ASSERT_EQ(gemmac_model_load(path, &model_), nullptr);
    ASSERT_EQ(gemmac_model_get_info(model_, &info_), nullptr);
  }
  void TearDown() override {
    engine_.reset();
    gemmac_model_free(model_);
  }

  void start(EngineOptions options) {
    options.threads = 1;  // a busy 2-core machine: no spinning pool
    ASSERT_EQ(Engine::create(model_, options, &metrics_, &engine_), nullptr);
  }

  std::vector<int32_t> prompt(const std::string& text) {
    std::vector<int32_t> ids(text.size() + 1);
    size_t count = 0;
    EXPECT_EQ(gemmac_model_tokenize(model_, text.data(), text.size(), ids.data() + 1, text.size(), &count), nullptr);
    ids[0] = info_.bos_id;
    ids.resize(count + 1);
    return ids;
  }

  /// A greedy request; its channel is request.channel.
  GenerationRequest greedy(const std::string& text, int32_t max_tokens, bool ignore_eos = false) {
    GenerationRequest request;
    request.prompt = prompt(text);
    request.max_tokens = max_tokens;
    gemmac_sampler_options_init(&request.sampler);
    request.ignore_eos = ignore_eos;
    request.channel = std::make_shared<RequestChannel>();
    return request;
  }

  /// Waits (at most 60 s) for the request's end; its text in *text.
  static Outcome wait(RequestChannel& channel, std::string* text = nullptr) {
    std::string all, added;
    Outcome outcome;
    bool finished = false;
    const Clock::time_point deadline = Clock::now() + std::chrono::seconds(60);
    while (!finished && Clock::now() < deadline) {
      finished = channel.wait(std::chrono::milliseconds(100), &added, &outcome);
      all += added;
    }
    EXPECT_TRUE(finished) << "no end within 60 s";
    if (text) *text = all;
    return outcome;
  }

  gemmac_model* model_ = nullptr;
  gemmac_model_info info_{};
  Metrics metrics_;
  std::unique_ptr<Engine> engine_;
};

TEST_F(EngineTest, BoundsRequestsInFlightBySlotsAndQueueAndServesThemInOrder) {
  EngineOptions options;
  options.max_batch = 1;
  options.max_queue = 1;
  start(options);
  GenerationRequest first = greedy("the cat", 4000, /*ignore_eos=*/true);  // runs until cancelled
  GenerationRequest second = greedy("is it", 3, true);
  auto first_channel = first.channel, second_channel = second.channel;
  // Refused by count, however soon the engine takes the first into its slot.
  EXPECT_EQ(engine_->submit(std::move(first)), Engine::Admission::Accepted);
  EXPECT_EQ(engine_->submit(std::move(second)), Engine::Admission::Accepted);
  EXPECT_EQ(engine_->submit(greedy("the", 3)), Engine::Admission::QueueFull);
  first_channel->cancel();
  const Outcome cancelled = wait(*first_channel);
  EXPECT_EQ(cancelled.error_type, "cancelled");
  const Outcome served = wait(*second_channel);
  EXPECT_EQ(served.finish_reason, "length");
  EXPECT_EQ(served.completion_tokens, 3u);
  EXPECT_GE(served.first_token, cancelled.finished);  // one slot: the second waited for the first
  EXPECT_EQ(metrics_.requests.get("cancelled"), 1u);
  EXPECT_EQ(engine_->submit(greedy("the", 3)), Engine::Admission::Accepted);  // room again
}

TEST_F(EngineTest, TimesOutRequestsInSlotsAndInTheQueue) {
  EngineOptions options;
  options.max_batch = 1;
  options.timeout = std::chrono::seconds(1);
  start(options);
  // The second waits for the first's slot until about its own deadline: it
  // times out in the queue, or at the first step after it got the slot.
  GenerationRequest running = greedy("the cat", 4000, true), queued = greedy("is it", 4000, true);
  auto running_channel = running.channel, queued_channel = queued.channel;
  ASSERT_EQ(engine_->submit(std::move(running)), Engine::Admission::Accepted);
  ASSERT_EQ(engine_->submit(std::move(queued)), Engine::Admission::Accepted);
  EXPECT_EQ(wait(*running_channel).error_type, "timeout");
  EXPECT_EQ(wait(*queued_channel).error_type, "timeout");
  EXPECT_EQ(metrics_.requests.get("timeout"), 2u);
}

TEST_F(EngineTest, DrainFinishesWhatWasAcceptedThenRefuses) {
  EngineOptions options;
  options.max_batch = 2;
  start(options);
  std::vector<std::shared_ptr<RequestChannel>> channels;
  for (const char* text : {"the cat", "is it", "of the"}) {
    GenerationRequest request = greedy(text, 6, true);
    channels.push_back(request.channel);
    ASSERT_EQ(engine_->submit(std::move(request)), Engine::Admission::Accepted);
  }
  engine_->drain();
  for (auto& channel : channels) {
    std::string text;
    Outcome outcome;
    ASSERT_TRUE(channel->wait(std::chrono::milliseconds(0), &text, &outcome));  // ended before drain returned
    EXPECT_EQ(outcome.finish_reason, "length");
    EXPECT_EQ(outcome.completion_tokens, 6u);
  }
  EXPECT_EQ(engine_->submit(greedy("the", 3)), Engine::Admission::Draining);
}

TEST_F(EngineTest, BatchedRequestsGetTheirTokensAlone) {
  EngineOptions options;
  options.max_batch = 4;
  options.step_tokens = 8;  // prompts longer than the rows left: prefill spreads over steps
  start(options);
  const std::vector<std::string> texts = {"the cat is", "a b c d e f g h i j k", "of the of", "hi there"};
  std::vector<std::string> alone;
  for (const std::string& text : texts) {
    GenerationRequest request = greedy(text, 12, true);
    auto channel = request.channel;
    ASSERT_EQ(engine_->submit(std::move(request)), Engine::Admission::Accepted);
    alone.emplace_back();
    EXPECT_EQ(wait(*channel, &alone.back()).completion_tokens, 12u);
  }
  std::vector<std::shared_ptr<RequestChannel>> channels;
  for (const std::string& text : texts) {
    GenerationRequest request = greedy(text, 12, true);
    channels.push_back(request.channel);
    ASSERT_EQ(engine_->submit(std::move(request)), Engine::Admission::Accepted);
  }
  for (size_t i = 0; i < texts.size(); ++i) {
    std::string text;
    wait(*channels[i], &text);
    EXPECT_EQ(text, alone[i]) << texts[i];
  }
}

// Plain, with a stop string, and with OpenAI's penalties (which must change
// the text: the mapping is not a no-op).
TEST_F(EngineTest, GeneratesWhatSessionGenerateDoes) {
  start(EngineOptions());
  const char* stop[] = {"tt"};
  std::string plain;
  for (int variant : {0, 1, 2}) {
    const bool with_stop = variant == 1, penalized = variant == 2;
    GenerationRequest request = greedy("the cat", 10);
    if (with_stop) request.stop = {stop[0]};
    if (penalized) request.presence_penalty = request.frequency_penalty = 2.0f;
    const std::vector<int32_t> ids = request.prompt;
    auto channel = request.channel;
    ASSERT_EQ(engine_->submit(std::move(request)), Engine::Admission::Accepted);
    std::string served;
    const Outcome outcome = wait(*channel, &served);

    gemmac_session* session = nullptr;
    gemmac_session_options session_options;
    gemmac_session_options_init(&session_options);
    session_options.num_threads = 1;
    ASSERT_EQ(gemmac_session_create(model_, &session_options, &session), nullptr);
    std::string expected;
    gemmac_generate_options options;
    gemmac_generate_options_init(&options);
    options.max_new_tokens = 10;
    options.stop_strings = with_stop ? stop : nullptr;
    options.stop_string_count = with_stop ? 1 : 0;
    options.presence_penalty = options.frequency_penalty = penalized ? 2.0f : 0.0f;
    options.user_data = &expected;
    options.on_token = [](void* user_data, int32_t, const char* text, size_t length) {
      static_cast<std::string*>(user_data)->append(text, length);
      return 0;
    };
    size_t count = 0;
    ASSERT_EQ(gemmac_session_generate(session, ids.data(), ids.size(), &options, nullptr, 0, &count), nullptr);
    gemmac_session_free(session);
    EXPECT_EQ(served, expected);
    if (variant == 0) plain = served;
    if (variant != 1) EXPECT_FALSE(served.empty());
    if (penalized) EXPECT_NE(served, plain);
    EXPECT_EQ(outcome.completion_tokens, count);
    EXPECT_EQ(outcome.prompt_tokens, ids.size());
  }
}

}  // namespace
}  // namespace gemmac_serve
