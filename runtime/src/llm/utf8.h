// UTF-8 checks for streaming text out of byte-fallback tokens.
#ifndef GEMMAC_RUNTIME_SRC_UTF8_H_
#define GEMMAC_RUNTIME_SRC_UTF8_H_

#include <cstddef>
#include <string>
#include <string_view>

namespace gemmac::utf8 {

/// Length of the well-formed character starting s, or 0 when the bytes are not
/// one. *truncated is set when s is a well-formed character cut short by its end.
inline size_t characterLength(std::string_view s, bool* truncated) {
  *truncated = false;
  auto byte = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  unsigned char lead = byte(0);
  size_t length;
  unsigned char low = 0x80, high = 0xBF;  // range of the second byte (RFC 3629)
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;
    if (lead == 0xED) high = 0x9F;  // no surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;
  } else {
    return 0;
  }
  for (size_t i = 1; i < length; ++i) {
    if (i == s.size()) {
      *truncated = true;
      return 0;
    }
    unsigned char lo = i == 1 ? low : 0x80, hi = i == 1 ? high : 0xBF;
    if (byte(i) < lo || byte(i) > hi) return 0;
  }
  return length;
}

/// Length of the prefix of s that does not end in a truncated character: the
/// bytes that can be shown now, whatever bytes come next.
inline size_t completePrefixLength(std::string_view s) {
  size_t at = 0;
  while (at < s.size()) {
    bool truncated;
    size_t length = characterLength(s.substr(at), &truncated);
    if (truncated) return at;
    at += length == 0 ? 1 : length;
  }
  return at;
}

/// Appends s to *out with every byte that is not part of a well-formed character
/// replaced by U+FFFD, as SentencePiece decodes byte-fallback pieces.
inline void appendValidated(std::string_view s, std::string* out) {
  size_t at = 0;
  while (at < s.size()) {
    bool truncated;
    size_t length = characterLength(s.substr(at), &truncated);
    if (length == 0) {
      out->append("\xEF\xBF\xBD");
      ++at;
    } else {
      out->append(s.substr(at, length));
      at += length;
    }
  }
}

}  // namespace gemmac::utf8

#endif  // GEMMAC_RUNTIME_SRC_UTF8_H_
