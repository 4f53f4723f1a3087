//===- TempDir.h - A directory removed when the test ends -------*- C++ -*-===//
#ifndef GEMMAC_TEST_UNIT_COMPILER_TEMPDIR_H
#define GEMMAC_TEST_UNIT_COMPILER_TEMPDIR_H

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

#include <string>

class TempDir {
public:
  TempDir() {
    std::error_code ec =
        llvm::sys::fs::createUniqueDirectory("gemmac-test", dir);
    EXPECT_FALSE(ec) << ec.message();
  }
  ~TempDir() { llvm::sys::fs::remove_directories(dir); }

  std::string path(llvm::StringRef name) const {
    llvm::SmallString<256> out(dir);
    llvm::sys::path::append(out, name);
    return out.str().str();
  }
  llvm::StringRef root() const { return dir; }

  /// Writes `bytes` to `name` and returns its path.
  std::string write(llvm::StringRef name, llvm::StringRef bytes) const {
    std::string file = path(name);
    std::error_code ec;
    llvm::raw_fd_ostream os(file, ec);
    EXPECT_FALSE(ec) << ec.message();
    os << bytes;
    return file;
  }

private:
  llvm::SmallString<128> dir;
};

#endif // GEMMAC_TEST_UNIT_COMPILER_TEMPDIR_H
