#include "openai_request.h"

#include <cmath>
#include <limits>

#include <nlohmann/json.hpp>

#include "api_error.h"

namespace gemmac_serve {
namespace {

using nlohmann::json;

// Deeper JSON is refused while parsing: nothing OpenAI takes nests this far,
// and a schema nested deeper would only cost stack in the grammar compiler.
constexpr int kMaxDepth = 64;
constexpr size_t kMaxStopStrings = 16;

/// The field, or NULL when it is absent or null (OpenAI treats both as "not given").
const json* field(const json& body, const char* name) {
  auto found = body.find(name);
  return found == body.end() || found->is_null() ? nullptr : &*found;
}

std::string shown(const json& value) {
  std::string text = value.dump(-1, ' ', false, json::error_handler_t::replace);
  return text.size() > 40 ? text.substr(0, 40) + "..." : text;
}

double number(const json& body, const char* name, double min, double max, const char* range) {
  const json* value = field(body, name);
  if (!value->is_number() || !(value->get<double>() >= min && value->get<double>() <= max))
    throw badField(name, std::string("expected a number in ") + range + ", got " + shown(*value));
  return value->get<double>();
}

int64_t integer(const json& body, const char* name, int64_t min, int64_t max) {
  const json* value = field(body, name);
  if (!value->is_number_integer() || (value->is_number_unsigned() && value->get<uint64_t>() > uint64_t(max)) ||
      value->get<int64_t>() < min || value->get<int64_t>() > max)
    throw badField(name, "expected an integer in [" + std::to_string(min) + ", " + std::to_string(max) + "], got " +
                             shown(*value));
  return value->get<int64_t>();
}

bool boolean(const json& body, const char* name) {
  const json* value = field(body, name);
  if (value == nullptr) return false;
  if (!value->is_boolean()) throw badField(name, "expected true or false, got " + shown(*value));
  return value->get<bool>();
}

/// A message's content: a string, or an array of {"type": "text", "text": ...} parts.
std::string messageContent(const json& content, const std::string& param) {
  if (content.is_string()) return content.get<std::string>();
  if (!content.is_array()) throw badField(param, "expected a string or an array of text parts");
  std::string text;
  for (size_t i = 0; i < content.size(); ++i) {
    const json& part = content[i];
    const std::string part_param = param + "[" + std::to_string(i) + "]";
    if (!part.is_object() || part.value("type", json()) != "text" || !part.contains("text") ||
        !part["text"].is_string())
      throw badField(part_param, "only {\"type\": \"text\", \"text\": STRING} parts are supported");
    text += part["text"].get<std::string>();
  }
  return text;
}

std::vector<ChatMessage> messages(const json& body) {
  const json* list = field(body, "messages");
  if (list == nullptr) throw badField("messages", "required");
  if (!list->is_array() || list->empty()) throw badField("messages", "expected a non-empty array of messages");
  std::vector<ChatMessage> out;
  for (size_t i = 0; i < list->size(); ++i) {
    const json& message = (*list)[i];
    const std::string param = "messages[" + std::to_string(i) + "]";
    if (!message.is_object()) throw badField(param, "expected an object with role and content");
    const json* role = field(message, "role");
    if (role == nullptr || !role->is_string()) throw badField(param + ".role", "expected a string");
    std::string name = role->get<std::string>();
    if (name == "developer") name = "system";  // OpenAI's newer name for it
    if (name != "system" && name != "user" && name != "assistant")
      throw badField(param + ".role", "expected system, developer, user or assistant, got " + shown(*role));
    const json* content = field(message, "content");
    out.push_back({name, content ? messageContent(*content, param + ".content") : std::string()});
  }
  return out;
}

std::string prompt(const json& body) {
  const json* value = field(body, "prompt");
  if (value == nullptr) throw badField("prompt", "required");
  if (value->is_string()) return value->get<std::string>();
  if (value->is_array() && value->size() == 1 && (*value)[0].is_string()) return (*value)[0].get<std::string>();
  throw badField("prompt", "expected a string or an array of one string (n prompts per request are not supported)");
}

std::vector<std::string> stopStrings(const json& body) {
  const json* value = field(body, "stop");
  if (value == nullptr) return {};
  json list = value->is_string() ? json::array({*value}) : *value;
  if (!list.is_array() || list.size() > kMaxStopStrings)
    throw badField("stop", "expected a string or an array of at most " + std::to_string(kMaxStopStrings) + " strings");
  std::vector<std::string> out;
  for (const json& text : list) {
    if (!text.is_string()) throw badField("stop", "expected strings, got " + shown(text));
    if (!text.get<std::string>().empty()) out.push_back(text.get<std::string>());  // "" stops nothing
  }
  return out;
}

std::optional<std::string> jsonSchema(const json& body) {
  const json* format = field(body, "response_format");
  if (format == nullptr) return std::nullopt;
  const json* type = format->is_object() ? field(*format, "type") : nullptr;
  if (type == nullptr || !type->is_string())
    throw badField("response_format", "expected an object with a type (text, json_object or json_schema)");
  if (*type == "text") return std::nullopt;
  if (*type == "json_object") return std::string(R"({"type": "object"})");
  if (*type != "json_schema") throw badField("response_format.type", "expected text, json_object or json_schema");
  const json* wrapper = field(*format, "json_schema");
  const json* schema = wrapper && wrapper->is_object() ? field(*wrapper, "schema") : nullptr;
  if (schema == nullptr || !(schema->is_object() || schema->is_boolean()))
    throw badField("response_format.json_schema.schema", "expected a JSON Schema (an object)");
  return schema->dump();
}

void checkUnsupported(const json& body) {
  if (field(body, "n") && integer(body, "n", 1, 1) != 1) throw badField("n", "only 1 is supported");
  const json* logprobs = field(body, "logprobs");
  if (logprobs && !(*logprobs == false || *logprobs == 0)) throw badField("logprobs", "not supported");
  if (boolean(body, "echo")) throw badField("echo", "not supported");
}

}  // namespace

CompletionRequest parseCompletionRequest(const std::string& body, Endpoint endpoint) {
  json parsed;
  try {
    parsed = json::parse(body, [](int depth, json::parse_event_t, json&) {
      if (depth > kMaxDepth) throw ApiError{400, "the JSON nests deeper than " + std::to_string(kMaxDepth) + " levels"};
      return true;
    });
  } catch (const json::exception& error) {
    throw ApiError{400, std::string("malformed JSON: ") + error.what()};
  }
  if (!parsed.is_object()) throw ApiError{400, "the request body must be a JSON object"};
  CompletionRequest request;
  request.endpoint = endpoint;
  if (const json* model = field(parsed, "model")) {
    if (!model->is_string()) throw badField("model", "expected a string");
    request.model = model->get<std::string>();
  }
  checkUnsupported(parsed);
  if (endpoint == Endpoint::Chat)
    request.messages = messages(parsed);
  else
    request.prompt = prompt(parsed);
  const int64_t int32_max = std::numeric_limits<int32_t>::max();
  for (const char* name : {"max_tokens", "max_completion_tokens"})
    if (field(parsed, name)) request.max_tokens = static_cast<int32_t>(integer(parsed, name, 1, int32_max));
  gemmac_sampler_options_init(&request.sampler);
  request.sampler.temperature = 1.0f;  // OpenAI's default; 0: greedy
  if (field(parsed, "temperature")) request.sampler.temperature = float(number(parsed, "temperature", 0, 2, "[0, 2]"));
  if (field(parsed, "top_p")) {
    request.sampler.top_p = float(number(parsed, "top_p", 0, 1, "(0, 1]"));
    if (request.sampler.top_p <= 0) throw badField("top_p", "expected a number in (0, 1], got 0");
  }
  if (field(parsed, "top_k"))  // vLLM's -1 means no limit, as 0 does here
    request.sampler.top_k = static_cast<int32_t>(std::max<int64_t>(0, integer(parsed, "top_k", -1, int32_max)));
  if (field(parsed, "seed")) {
    request.sampler.seed = static_cast<uint64_t>(
        integer(parsed, "seed", std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()));
    request.seeded = true;
  }
  request.stop = stopStrings(parsed);
  if (field(parsed, "presence_penalty"))
    request.presence_penalty = float(number(parsed, "presence_penalty", -2, 2, "[-2, 2]"));
  if (field(parsed, "frequency_penalty"))
    request.frequency_penalty = float(number(parsed, "frequency_penalty", -2, 2, "[-2, 2]"));
  request.stream = boolean(parsed, "stream");
  if (const json* options = field(parsed, "stream_options")) {
    if (!options->is_object()) throw badField("stream_options", "expected an object");
    request.include_usage = boolean(*options, "include_usage");
  }
  request.json_schema = jsonSchema(parsed);
  request.ignore_eos = boolean(parsed, "ignore_eos");
  return request;
}

}  // namespace gemmac_serve
