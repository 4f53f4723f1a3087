#include "llm/text_stream.h"

#include <algorithm>
#include <cstring>
#include <string_view>

#include "api/status.h"

namespace gemmac {

gemmac_status checkStopStrings(const gemmac_generate_options& options) {
  if (options.stop_string_count > 0 && options.stop_strings == nullptr)
    return makeStatus(GEMMAC_INVALID_ARGUMENT, "generate: stop_strings is NULL but stop_string_count is %zu",
                      options.stop_string_count);
  for (size_t i = 0; i < options.stop_string_count; ++i)
    if (options.stop_strings[i] == nullptr || options.stop_strings[i][0] == '\0')
      return makeStatus(GEMMAC_INVALID_ARGUMENT, "generate: stop string %zu is NULL or empty", i);
  return nullptr;
}

TextStream::TextStream(const Tokenizer& tokenizer, const gemmac_generate_options& options)
    : detokenizer_(tokenizer),
      stop_strings_(options.stop_strings, options.stop_strings + options.stop_string_count) {}

gemmac_status TextStream::push(int32_t id, std::string* text, bool* stopped) {
  std::string piece;
  GEMMAC_RETURN_IF_ERROR(detokenizer_.push(id, &piece));
  held_ += piece;
  *stopped = release(false, text);
  return nullptr;
}

std::string TextStream::finish() {
  std::string text;
  if (stopped_) return text;
  held_ += detokenizer_.finish();
  release(true, &text);
  return text;
}

bool TextStream::release(bool at_end, std::string* text) {
  // Shown text never ends with the start of a stop string, so every stop string
  // that completes begins inside held_.
  size_t stop_at = std::string::npos;
  for (const std::string& stop : stop_strings_) stop_at = std::min(stop_at, held_.find(stop));
  if (stop_at != std::string::npos) {
    text->assign(held_, 0, stop_at);
    held_.clear();
    stopped_ = true;
    return true;
  }
  // Keep the longest tail that is a proper prefix of a stop string.
  size_t keep = 0;
  if (!at_end)
    for (const std::string& stop : stop_strings_)
      for (size_t length = std::min(stop.size() - 1, held_.size()); length > keep; --length)
        if (std::string_view(held_).substr(held_.size() - length) == std::string_view(stop).substr(0, length)) {
          keep = length;
          break;
        }
  text->assign(held_, 0, held_.size() - keep);
  held_.erase(0, held_.size() - keep);
  return false;
}

}  // namespace gemmac
