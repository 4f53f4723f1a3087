// Multi-turn chat, stop strings, penalties, cancel and streaming on tiny random
// models with the real Gemma 3 tokenizer embedded. Greedy text is nonsense:
// the tests compare the session with from-scratch prefills, not the words.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <string>
#include <thread>
#include <vector>

#include "gemmac/gemmac.h"
#include "llm/penalties.h"
#include "test/unit/runtime/tiny_model.h"

namespace {

void expectOk(gemmac_status status) {
  EXPECT_EQ(status, nullptr) << gemmac_status_get_message(status);
  gemmac_status_free(status);
}

/// A tiny model of `vocab` ids with the reference tokenizer (cut to them) and Gemma's stop ids.
class TinyChatModel {
 public:
  TinyChatModel(int32_t vocab, int32_t max_context) {
    gemmac::test::TinyConfig config;
    config.vocab = vocab;
    config.max_context = max_context;
    gemmac::test::ModelSpec spec = gemmac::test::makeTinyModel(config);
    spec.stop_ids = {1, 106};  // <eos>, <end_of_turn>
    spec.tokenizer = gemmac::test::referenceTokenizer(vocab);
    std::string path = gemmac::test::writeTempFile("chat" + std::to_string(vocab) + ".gmf",
                                                   gemmac::test::serialize(spec));
    expectOk(gemmac_model_load(path.c_str(), &model));
  }
  ~TinyChatModel() { gemmac_model_free(model); }

  gemmac_session* newSession(int32_t prefill_chunk = 0) const {
    gemmac_session_options options;
    gemmac_session_options_init(&options);
    options.num_threads = 1;
    options.prefill_chunk = prefill_chunk;
    gemmac_session* session = nullptr;
    expectOk(gemmac_session_create(model, &options, &session));
    return session;
  }

  std::vector<int32_t> tokenize(const std::string& text) const {
    size_t count = 0;
    expectOk(gemmac_model_tokenize(model, text.data(), text.size(), nullptr, 0, &count));
    std::vector<int32_t> ids(count);
    expectOk(gemmac_model_tokenize(model, text.data(), text.size(), ids.data(), count, &count));
    return ids;
  }

  std::string detokenize(const std::vector<int32_t>& ids) const {
    size_t length = 0;
    expectOk(gemmac_model_detokenize(model, ids.data(), ids.size(), nullptr, 0, &length));
    std::string text(length, '\0');
    expectOk(gemmac_model_detokenize(model, ids.data(), ids.size(), text.data(), length, &length));
    return text;
  }

  gemmac_model* model = nullptr;
};

struct SessionPtr {
  explicit SessionPtr(gemmac_session* s) : session(s) {}
  ~SessionPtr() { gemmac_session_free(session); }
  gemmac_session* session;
};

std::string render(const std::vector<gemmac_chat_message>& messages, bool generation_prompt) {
  size_t length = 0;
  expectOk(gemmac_chat_template_apply(messages.data(), messages.size(), generation_prompt, nullptr, 0,
                                      &length));
  std::string text(length, '\0');
  expectOk(gemmac_chat_template_apply(messages.data(), messages.size(), generation_prompt, text.data(),
                                      length, &length));
  return text;
}

gemmac_generate_options greedy(int32_t max_new_tokens) {
  gemmac_generate_options options;
  gemmac_generate_options_init(&options);
  options.max_new_tokens = max_new_tokens;
  return options;
}

/// The full-vocabulary tiny model (every id of the real tokenizer exists).
const TinyChatModel& fullVocabModel() {
  static const TinyChatModel model(262144, 512);
  return model;
}

class ChatCacheTest : public ::testing::TestWithParam<int32_t> {};

// The cache after three turns equals a from-scratch prefill of the transcript:
// with the default prefill chunk replies are re-tokenized by going back; with
// a chunk of 3 the ring caches allow no such step back, and the transcript is
// prefilled again.
TEST_P(ChatCacheTest, ThirdTurnEqualsFromScratchPrefill) {
  const TinyChatModel& tiny = fullVocabModel();
  SessionPtr chat(tiny.newSession(GetParam()));
  gemmac_chat_options chat_options;
  gemmac_chat_options_init(&chat_options);
  chat_options.system_prompt = "Answer briefly.";
  expectOk(gemmac_session_chat_begin(chat.session, &chat_options));

  std::vector<std::string> texts = {"Answer briefly."};
  const char* users[] = {"Hello there!", "What is the capital of France?", "And of Japan?"};
  for (const char* user : users) {
    char reply[4096];
    size_t length = 0;
    // The random model's replies are "\n" after "\n"; a presence penalty makes
    // them words (and exercises penalties over the whole conversation).
    gemmac_generate_options options = greedy(6);
    options.presence_penalty = 1e4f;
    expectOk(gemmac_session_chat(chat.session, user, &options, reply, sizeof reply, &length));
    texts.push_back(user);
    texts.emplace_back(reply, length);
    // After every turn the session holds BOS + the template's whole transcript.
    std::vector<gemmac_chat_message> messages = {{"system", texts[0].c_str()}};
    for (size_t i = 1; i < texts.size(); ++i)
      messages.push_back({i % 2 == 1 ? "user" : "model", texts[i].c_str()});
    EXPECT_EQ(gemmac_session_get_position(chat.session),
              1 + tiny.tokenize(render(messages, false)).size());
  }

  // Next turn's prompt appended to the chat session vs the transcript from scratch.
  std::vector<gemmac_chat_message> messages = {{"system", texts[0].c_str()}};
  for (size_t i = 1; i < texts.size(); ++i)
    messages.push_back({i % 2 == 1 ? "user" : "model", texts[i].c_str()});
  std::string before = render(messages, false);
  messages.push_back({"user", "Thanks."});
  std::string whole = render(messages, true);
  ASSERT_EQ(whole.compare(0, before.size(), before), 0);
  std::vector<int32_t> next = tiny.tokenize(whole.substr(before.size()));
  std::vector<int32_t> scratch = {2};
  std::vector<int32_t> encoded = tiny.tokenize(whole);
  scratch.insert(scratch.end(), encoded.begin(), encoded.end());
  ASSERT_EQ(gemmac_session_get_position(chat.session) + next.size(), scratch.size());

  std::vector<float> continued(262144), fresh(262144);
  expectOk(gemmac_session_prefill(chat.session, next.data(), next.size(), continued.data()));
  SessionPtr reference(tiny.newSession());
  expectOk(gemmac_session_prefill(reference.session, scratch.data(), scratch.size(), fresh.data()));
  float max_diff = 0.0f;
  for (size_t i = 0; i < fresh.size(); ++i) max_diff = std::max(max_diff, std::fabs(fresh[i] - continued[i]));
  EXPECT_LE(max_diff, 1e-4f);
}

INSTANTIATE_TEST_SUITE_P(Chunks, ChatCacheTest, ::testing::Values(0, 3));

TEST(Chat, ContextOverflowNamesTheNumbersOrDropsOldTurns) {
  const TinyChatModel& tiny = fullVocabModel();
  SessionPtr session(tiny.newSession());
  gemmac_generate_options options = greedy(200);
  std::string long_message(1500, 'a');
  for (size_t i = 0; i < long_message.size(); i += 4) long_message[i] = ' ';
  gemmac_status status = gemmac_session_chat(session.session, long_message.c_str(), &options, nullptr, 0, nullptr);
  EXPECT_EQ(gemmac_status_get_code(status), GEMMAC_OUT_OF_RANGE);
  std::string message = gemmac_status_get_message(status);
  EXPECT_NE(message.find("max_new_tokens 200"), std::string::npos) << message;
  EXPECT_NE(message.find("max_context is 512"), std::string::npos) << message;
  gemmac_status_free(status);
  EXPECT_EQ(gemmac_session_get_position(session.session), 0u);  // nothing ran

  // Turns of ~150 tokens: the fourth no longer fits 512 with 100 new tokens.
  std::string medium(600, 'b');
  for (size_t i = 0; i < medium.size(); i += 4) medium[i] = ' ';
  options = greedy(100);
  gemmac_chat_options chat_options;
  gemmac_chat_options_init(&chat_options);
  chat_options.system_prompt = "S";
  for (int drop = 0; drop <= 1; ++drop) {
    chat_options.drop_old_turns = drop;
    expectOk(gemmac_session_chat_begin(session.session, &chat_options));
    int turns = 0;
    for (; turns < 6; ++turns) {
      status = gemmac_session_chat(session.session, medium.c_str(), &options, nullptr, 0, nullptr);
      if (status != nullptr) break;
      EXPECT_LE(gemmac_session_get_position(session.session), 512u);
    }
    if (drop) {
      EXPECT_EQ(status, nullptr) << gemmac_status_get_message(status);
      EXPECT_EQ(turns, 6);
    } else {
      EXPECT_EQ(gemmac_status_get_code(status), GEMMAC_OUT_OF_RANGE);
      EXPECT_GE(turns, 1);
      EXPECT_LT(turns, 6);
    }
    gemmac_status_free(status);
  }
}

/// A small vocabulary where about a fifth of the ids are bytes >= 0x80
/// (<0x80>..<0xFF> are ids 366..493): greedy text often ends mid-character.
const TinyChatModel& byteModel() {
  static const TinyChatModel model(600, 256);
  return model;
}

struct Collected {
  std::string text;
  std::vector<int32_t> ids;
  int flushes = 0;  // calls with id -1
};

int collect(void* user_data, int32_t id, const char* text, size_t length) {
  auto* collected = static_cast<Collected*>(user_data);
  collected->text.append(text, length);
  if (id < 0) ++collected->flushes; else collected->ids.push_back(id);
  return 0;
}

Collected generateCollected(gemmac_session* session, gemmac_generate_options options,
                            std::vector<int32_t> prompt = {2, 300, 400, 450}) {
  Collected collected;
  options.on_token = collect;
  options.user_data = &collected;
  gemmac_session_reset(session);
  expectOk(gemmac_session_generate(session, prompt.data(), prompt.size(), &options, nullptr, 0, nullptr));
  return collected;
}

TEST(Streaming, JoinedPiecesEqualDetokenizedIdsAtEveryLength) {
  const TinyChatModel& tiny = byteModel();
  SessionPtr session(tiny.newSession());
  int flushed_runs = 0;
  for (int32_t n = 1; n <= 40; ++n) {
    Collected collected = generateCollected(session.session, greedy(n));
    EXPECT_EQ(collected.text, tiny.detokenize(collected.ids)) << "n = " << n;
    flushed_runs += collected.flushes;
  }
  // Some lengths must end inside a character, or the flush went untested.
  EXPECT_GT(flushed_runs, 0);
}

TEST(Detokenize, IdsOutsideTheModelVocabularyFail) {
  const TinyChatModel& tiny = byteModel();
  gemmac_model_info info;
  ASSERT_EQ(gemmac_model_get_info(tiny.model, &info), nullptr);
  for (int32_t bad : {-1, info.vocab_size}) {
    const int32_t ids[] = {2, bad};
    size_t length = 0;
    gemmac_status status = gemmac_model_detokenize(tiny.model, ids, 2, nullptr, 0, &length);
    ASSERT_NE(status, nullptr);
    EXPECT_EQ(gemmac_status_get_code(status), GEMMAC_INVALID_ARGUMENT);
    EXPECT_NE(std::string(gemmac_status_get_message(status)).find("at index 1 is outside the vocabulary"),
              std::string::npos)
        << gemmac_status_get_message(status);
    gemmac_status_free(status);
  }
}

TEST(StopStrings, StopBeforeTheStringAndHoldBackItsStart) {
  const TinyChatModel& tiny = fullVocabModel();  // words, not lone bytes
  SessionPtr session(tiny.newSession());
  Collected full = generateCollected(session.session, greedy(40));
  // A stop string of a few whole characters from the middle of the text.
  auto characterStart = [&](size_t at) {
    while (at < full.text.size() && (static_cast<unsigned char>(full.text[at]) & 0xC0) == 0x80) ++at;
    return at;
  };
  size_t at = characterStart(full.text.size() / 2), end = characterStart(at + 4);
  ASSERT_LT(end, full.text.size());
  std::string stop = full.text.substr(at, end - at);
  size_t first = full.text.find(stop);

  gemmac_generate_options options = greedy(40);
  const char* stops[] = {"never appears \x01", stop.c_str()};
  options.stop_strings = stops;
  options.stop_string_count = 2;
  Collected cut = generateCollected(session.session, options);
  EXPECT_EQ(cut.text, full.text.substr(0, first)) << "stop string \"" << stop << "\"";
  EXPECT_LT(cut.ids.size(), full.ids.size());
  // The ids are those of the full run up to the one that completed the stop string.
  EXPECT_TRUE(std::equal(cut.ids.begin(), cut.ids.end(), full.ids.begin()));

  const char* empty[] = {""};
  options.stop_strings = empty;
  options.stop_string_count = 1;
  std::vector<int32_t> prompt = {2, 300};
  gemmac_status status = gemmac_session_generate(session.session, prompt.data(), prompt.size(), &options,
                                                 nullptr, 0, nullptr);
  EXPECT_EQ(gemmac_status_get_code(status), GEMMAC_INVALID_ARGUMENT);
  gemmac_status_free(status);
}

struct CancelState {
  std::atomic<int> tokens{0};
  std::atomic<bool> cancelled{false};
};

int waitForCancelAtThird(void* user_data, int32_t, const char*, size_t) {
  auto* state = static_cast<CancelState*>(user_data);
  if (++state->tokens == 3) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!state->cancelled && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  }
  return 0;
}

TEST(Cancel, AnotherThreadStopsGenerate) {
  const TinyChatModel& tiny = byteModel();
  SessionPtr session(tiny.newSession());
  CancelState state;
  std::thread canceller([&] {
    while (state.tokens < 3) std::this_thread::yield();
    gemmac_session_cancel(session.session);
    state.cancelled = true;
  });
  gemmac_generate_options options = greedy(200);
  options.on_token = waitForCancelAtThird;
  options.user_data = &state;
  std::vector<int32_t> prompt = {2, 300};
  gemmac_status status = gemmac_session_generate(session.session, prompt.data(), prompt.size(), &options,
                                                 nullptr, 0, nullptr);
  canceller.join();
  EXPECT_EQ(gemmac_status_get_code(status), GEMMAC_CANCELLED) << gemmac_status_get_message(status);
  gemmac_status_free(status);
  EXPECT_EQ(state.tokens, 3);
  EXPECT_EQ(gemmac_session_get_position(session.session), prompt.size() + 3);

  // A cancel with nothing running cancels the next call; reset clears it.
  gemmac_session_cancel(session.session);
  status = gemmac_session_generate(session.session, prompt.data(), 1, &options, nullptr, 0, nullptr);
  EXPECT_EQ(gemmac_status_get_code(status), GEMMAC_CANCELLED);
  gemmac_status_free(status);
  gemmac_session_cancel(session.session);
  gemmac_session_reset(session.session);
  options = greedy(4);
  expectOk(gemmac_session_generate(session.session, prompt.data(), prompt.size(), &options, nullptr, 0,
                                   nullptr));
}

TEST(Penalties, RepeatAndPresenceAsLlamaCpp) {
  gemmac_generate_options options = greedy(1);
  options.repeat_penalty = 2.0f;
  options.presence_penalty = 0.5f;
  options.penalty_last_n = 3;
  std::vector<float> logits = {1.0f, 2.0f, -1.0f, 4.0f};
  std::vector<int32_t> scratch;
  gemmac::applyPenalties(options, {3, 1, 1, 2}, logits.data(), logits.size(), &scratch);
  // id 3 is outside the last 3; id 1 counts once however often it occurs.
  EXPECT_EQ(logits, (std::vector<float>{1.0f, 2.0f / 2 - 0.5f, -1.0f * 2 - 0.5f, 4.0f}));

  options.penalty_last_n = 0;
  gemmac::applyPenalties(options, {0}, logits.data(), logits.size(), &scratch);
  EXPECT_EQ(logits[0], 1.0f);

  // Frequency: times the count in the window (id 1 twice), beside presence once.
  options = greedy(1);
  options.presence_penalty = 0.5f;
  options.frequency_penalty = 0.25f;
  options.penalty_last_n = 4;
  logits = {1.0f, 2.0f, -1.0f, 4.0f};
  gemmac::applyPenalties(options, {3, 1, 1, 2, 7, -1}, logits.data(), logits.size(), &scratch);
  // The window is {1, 2, 7, -1}: ids outside the vocabulary are skipped.
  EXPECT_EQ(logits, (std::vector<float>{1.0f, 2.0f - (0.5f + 0.25f), -1.0f - (0.5f + 0.25f), 4.0f}));
  gemmac::applyPenalties(options, {1, 1, 1, 3}, logits.data(), logits.size(), &scratch);
  EXPECT_EQ(logits[1], 2.0f - (0.5f + 0.25f) - (0.5f + 3 * 0.25f));

  options = greedy(1);
  options.repeat_penalty = 0.0f;
  std::vector<int32_t> prompt = {2, 300};
  SessionPtr session(byteModel().newSession());
  gemmac_status status = gemmac_session_generate(session.session, prompt.data(), prompt.size(), &options,
                                                 nullptr, 0, nullptr);
  EXPECT_EQ(gemmac_status_get_code(status), GEMMAC_INVALID_ARGUMENT);
  gemmac_status_free(status);
  options = greedy(1);
  options.frequency_penalty = NAN;
  status = gemmac_session_generate(session.session, prompt.data(), prompt.size(), &options, nullptr, 0, nullptr);
  EXPECT_EQ(gemmac_status_get_code(status), GEMMAC_INVALID_ARGUMENT);
  EXPECT_NE(std::string(gemmac_status_get_message(status)).find("frequency_penalty"), std::string::npos);
  gemmac_status_free(status);
}

// A penalty large enough to forbid repeats: greedy never repeats a token in the window.
TEST(Penalties, PresencePenaltyPreventsRepeats) {
  SessionPtr session(byteModel().newSession());
  gemmac_generate_options options = greedy(20);
  options.presence_penalty = 1e6f;
  options.penalty_last_n = 64;
  Collected collected = generateCollected(session.session, options, {2, 300});
  std::vector<int32_t> all = {2, 300};
  all.insert(all.end(), collected.ids.begin(), collected.ids.end());
  std::vector<int32_t> sorted = all;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(std::unique(sorted.begin(), sorted.end()), sorted.end());
}

}  // namespace

namespace {

// generate_text with chat on a session that holds a reply closes the model's
// turn before the next user turn, as the template writes a transcript.
TEST(GenerateTextChat, SecondPromptClosesTheModelTurn) {
  const TinyChatModel& tiny = fullVocabModel();
  SessionPtr session(tiny.newSession());
  gemmac_generate_options options = greedy(3);  // the random model says "\n": no stop id
  options.chat = 1;
  expectOk(gemmac_session_generate_text(session.session, "Hi", &options, nullptr));
  size_t first = gemmac_session_get_position(session.session);
  EXPECT_EQ(first, 1 + tiny.tokenize("<start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\n").size() + 3);
  options.max_new_tokens = 1;
  expectOk(gemmac_session_generate_text(session.session, "Again", &options, nullptr));
  EXPECT_EQ(gemmac_session_get_position(session.session),
            first + tiny.tokenize("<end_of_turn>\n<start_of_turn>user\nAgain<end_of_turn>\n<start_of_turn>model\n").size() +
                1);
}

}  // namespace
