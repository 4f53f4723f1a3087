// The text a generate call shows: complete UTF-8 characters only, cut before
// the first stop string, holding back text that might start one.
#ifndef GEMMAC_RUNTIME_SRC_LLM_TEXT_STREAM_H_
#define GEMMAC_RUNTIME_SRC_LLM_TEXT_STREAM_H_

#include <cstdint>
#include <string>
#include <vector>

#include "gemmac/gemmac.h"
#include "llm/tokenizer.h"

namespace gemmac {

/// Fails on NULL or empty stop strings (they would stop at once), naming the index.
gemmac_status checkStopStrings(const gemmac_generate_options& options);

class TextStream {
 public:
  /// options' stop strings (checked with checkStopStrings) are copied.
  TextStream(const Tokenizer& tokenizer, const gemmac_generate_options& options);

  /// Adds one generated id: *text receives what can be shown now; *stopped
  /// says a stop string completed (then *text ends before it and the stream is done).
  gemmac_status push(int32_t id, std::string* text, bool* stopped);
  /// At the end of generation: the text held back (an unfinished character as
  /// U+FFFD per byte, as Tokenizer::decode writes it), cut before a stop string;
  /// "" after a stop string.
  std::string finish();

 private:
  /// Moves from held_ to *text what is safe to show; true if a stop string completed.
  bool release(bool at_end, std::string* text);

  StreamingDetokenizer detokenizer_;
  std::vector<std::string> stop_strings_;
  std::string held_;  // decoded text not shown yet: a possible start of a stop string
  bool stopped_ = false;  // a stop string completed: nothing more is shown
};

}  // namespace gemmac

#endif  // GEMMAC_RUNTIME_SRC_LLM_TEXT_STREAM_H_
