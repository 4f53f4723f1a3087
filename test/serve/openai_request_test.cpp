// Reading OpenAI request bodies: the fields that matter, typed and bounded;
// every refusal a 400 naming the field.
#include "openai_request.h"

#include <gtest/gtest.h>

#include <string>

#include "api_error.h"

namespace gemmac_serve {
namespace {

ApiError refusal(const std::string& body, Endpoint endpoint = Endpoint::Chat) {
  try {
    parseCompletionRequest(body, endpoint);
  } catch (const ApiError& error) {
    return error;
  }
  ADD_FAILURE() << "accepted: " << body;
  return {};
}

const char kMessages[] = R"("messages": [{"role": "user", "content": "hi"}])";

TEST(OpenAiRequest, ReadsAChatRequest) {
  const CompletionRequest request = parseCompletionRequest(
      std::string("{") + kMessages +
          R"(, "model": "m", "max_tokens": 7, "temperature": 0, "top_p": 0.5, "top_k": 3, "seed": 9,
             "stop": ["a", ""], "stream": true, "stream_options": {"include_usage": true}, "unknown": [1],
             "presence_penalty": 0.5, "frequency_penalty": -1.5)"
          "}",
      Endpoint::Chat);
  EXPECT_EQ(request.model, "m");
  ASSERT_EQ(request.messages.size(), 1u);
  EXPECT_EQ(request.messages[0].role, "user");
  EXPECT_EQ(request.messages[0].content, "hi");
  EXPECT_EQ(request.max_tokens.value_or(0), 7);
  EXPECT_EQ(request.sampler.temperature, 0.0f);
  EXPECT_EQ(request.sampler.top_p, 0.5f);
  EXPECT_EQ(request.sampler.top_k, 3);
  EXPECT_EQ(request.sampler.seed, 9u);
  EXPECT_TRUE(request.seeded);
  ASSERT_EQ(request.stop.size(), 1u);  // "" stops nothing: dropped
  EXPECT_TRUE(request.stream);
  EXPECT_TRUE(request.include_usage);
  EXPECT_FALSE(request.json_schema.has_value());
  EXPECT_EQ(request.presence_penalty, 0.5f);
  EXPECT_EQ(request.frequency_penalty, -1.5f);
}

TEST(OpenAiRequest, DefaultsAreOpenAis) {
  const CompletionRequest request = parseCompletionRequest(R"({"prompt": ["one"]})", Endpoint::Completion);
  EXPECT_EQ(request.prompt, "one");
  EXPECT_FALSE(request.max_tokens.has_value());
  EXPECT_EQ(request.sampler.temperature, 1.0f);
  EXPECT_FALSE(request.seeded);
  EXPECT_FALSE(request.stream);
  EXPECT_EQ(request.presence_penalty, 0.0f);
  EXPECT_EQ(request.frequency_penalty, 0.0f);
}

TEST(OpenAiRequest, ReadsTextPartsAndResponseFormats) {
  const CompletionRequest request = parseCompletionRequest(
      R"({"messages": [{"role": "developer", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}],
          "max_completion_tokens": 3, "response_format": {"type": "json_schema", "json_schema": {"name": "x",
          "schema": {"type": "integer"}}}})",
      Endpoint::Chat);
  EXPECT_EQ(request.messages[0].role, "system");
  EXPECT_EQ(request.messages[0].content, "ab");
  EXPECT_EQ(request.max_tokens.value_or(0), 3);
  EXPECT_EQ(request.json_schema.value_or(""), R"({"type":"integer"})");
  const CompletionRequest object =
      parseCompletionRequest(R"({"prompt": "p", "response_format": {"type": "json_object"}})", Endpoint::Completion);
  EXPECT_TRUE(object.json_schema.has_value());
}

TEST(OpenAiRequest, RefusesMalformedJsonAndOtherBodies) {
  EXPECT_NE(refusal("{").message.find("malformed JSON"), std::string::npos);
  EXPECT_NE(refusal("[1]").message.find("JSON object"), std::string::npos);
  EXPECT_NE(refusal(std::string(100, '[') + std::string(100, ']')).message.find("deeper"), std::string::npos);
}

TEST(OpenAiRequest, NamesTheFieldOfAWrongTypeOrValue) {
  const std::string m = std::string(kMessages) + ", ";
  const struct {
    std::string body;
    const char* param;
  } cases[] = {
      {R"({})", "messages"},
      {R"({"messages": "hi"})", "messages"},
      {R"({"messages": [{"role": "tool", "content": "x"}]})", "messages[0].role"},
      {R"({"messages": [{"role": "user", "content": [{"type": "image_url"}]}]})", "messages[0].content[0]"},
      {"{" + m + R"("max_tokens": 0})", "max_tokens"},
      {"{" + m + R"("max_tokens": "5"})", "max_tokens"},
      {"{" + m + R"("temperature": 3})", "temperature"},
      {"{" + m + R"("top_p": 0})", "top_p"},
      {"{" + m + R"("top_k": 1.5})", "top_k"},
      {"{" + m + R"("stop": 5})", "stop"},
      {"{" + m + R"("presence_penalty": 2.5})", "presence_penalty"},
      {"{" + m + R"("frequency_penalty": "1"})", "frequency_penalty"},
      {"{" + m + R"("stream": "yes"})", "stream"},
      {"{" + m + R"("n": 2})", "n"},
      {"{" + m + R"("logprobs": true})", "logprobs"},
      {"{" + m + R"("model": 1})", "model"},
      {"{" + m + R"("response_format": {"type": "json_schema"}})", "response_format.json_schema.schema"},
      {"{" + m + R"("response_format": {"type": "yaml"}})", "response_format.type"},
  };
  for (const auto& test : cases) {
    const ApiError error = refusal(test.body);
    EXPECT_EQ(error.status, 400) << test.body;
    EXPECT_EQ(error.param, test.param) << test.body << ": " << error.message;
    EXPECT_EQ(error.message.rfind(std::string(test.param) + ": ", 0), 0u) << error.message;
  }
  EXPECT_EQ(refusal(R"({"prompt": 5})", Endpoint::Completion).param, "prompt");
  EXPECT_EQ(refusal(R"({"prompt": ["a", "b"]})", Endpoint::Completion).param, "prompt");
}

TEST(OpenAiRequest, ErrorsHaveOpenAisShape) {
  ApiError error = badField("top_p", "bad");
  const nlohmann::json body = error.toJson();
  EXPECT_EQ(body["error"]["message"], "top_p: bad");
  EXPECT_EQ(body["error"]["type"], "invalid_request_error");
  EXPECT_EQ(body["error"]["param"], "top_p");
  EXPECT_TRUE(body["error"]["code"].is_null());
}

}  // namespace
}  // namespace gemmac_serve
