// SHA-256 on the FIPS 180-4 example messages (NIST's SHA256.pdf, FIPS 180-2
// appendix B): one block, two blocks, many blocks fed in pieces.
#include "loader/sha256.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <string>

namespace gemmac::test {
namespace {

std::string hex(const uint8_t digest[GEMMAC_SHA256_BYTES]) {
  std::string out;
  char byte[3];
  for (int i = 0; i < GEMMAC_SHA256_BYTES; ++i) {
    std::snprintf(byte, sizeof(byte), "%02x", digest[i]);
    out += byte;
  }
  return out;
}

std::string digestOf(const std::string& message) {
  uint8_t digest[GEMMAC_SHA256_BYTES];
  gemmac_sha256_digest(message.data(), message.size(), digest);
  return hex(digest);
}

TEST(Sha256, EmptyMessage) {
  EXPECT_EQ(digestOf(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Sha256, OneBlock) {
  EXPECT_EQ(digestOf("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

// 448 bits: the padding's length field no longer fits the block, so it takes two.
TEST(Sha256, TwoBlocks) {
  EXPECT_EQ(digestOf("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

// One million 'a', in pieces of 1 to 127 bytes that straddle block boundaries,
// and in one piece.
TEST(Sha256, OneMillionAInPieces) {
  const std::string million(1000000, 'a');
  gemmac_sha256 sha;
  gemmac_sha256_init(&sha);
  size_t piece = 1;
  for (size_t done = 0; done < million.size(); piece = piece % 127 + 1) {
    const size_t n = std::min(piece, million.size() - done);
    gemmac_sha256_update(&sha, million.data() + done, n);
    done += n;
  }
  uint8_t digest[GEMMAC_SHA256_BYTES];
  gemmac_sha256_final(&sha, digest);
  const char* expected = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
  EXPECT_EQ(hex(digest), expected);
  EXPECT_EQ(digestOf(million), expected);
}

}  // namespace
}  // namespace gemmac::test
