// libFuzzer target of the grammar readers: the first byte picks GBNF (even) or
// JSON Schema (odd), the rest is the text. Either reader must accept it or
// refuse it with a message; it must never crash, hang, read out of bounds or
// throw anything but std::bad_alloc (which the C API's barrier maps).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <string>
#include <string_view>

#include "llm/grammar/gbnf.h"
#include "llm/grammar/json_schema.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  gemmac::grammar::Grammar grammar;
  std::string error;
  try {
    bool ok;
    if (data[0] % 2 == 0) {
      ok = gemmac::grammar::parseGbnf(text, &grammar, &error);
    } else {
      gemmac_status_code code = GEMMAC_OK;
      ok = gemmac::grammar::compileJsonSchema(text, &grammar, &code, &error);
      if (!ok && code == GEMMAC_OK) std::abort();  // a refusal without a code
    }
    if (!ok && error.empty()) std::abort();  // a refusal must say why
  } catch (const std::bad_alloc&) {
  }
  return 0;
}
