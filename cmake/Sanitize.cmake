# GEMMAC_SANITIZE=address,undefined (or thread, or any list clang's -fsanitize
# takes): every target of this tree (runtime, compiler, tests, tools) is built
# with the sanitizers and line tables for their reports. scripts/sanitize.sh
# makes and runs such builds.
#
# Not instrumented: the Debian libraries (XNNPACK, pthreadpool, sentencepiece,
# protobuf, MLIR/LLVM), and the code `gemmac compile --target` generates and
# builds into model libraries. Those are freestanding, link no C++ runtime and
# must leave nothing undefined but libm (the lit tests check their symbols),
# which the sanitizers' runtime calls would break; their kernels are the
# runtime's own sources (runtime/kernels), instrumented here and tested in the
# unit tests.
set(GEMMAC_SANITIZE "" CACHE STRING
    "Sanitizers for every target of this tree, e.g. address,undefined or thread (clang's -fsanitize=)")
if(NOT GEMMAC_SANITIZE)
  return()
endif()
if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  message(FATAL_ERROR "GEMMAC_SANITIZE needs clang (got ${CMAKE_CXX_COMPILER_ID})")
endif()
# A report stops the program (UBSan would go on by default): a test fails on it.
set(GEMMAC_SANITIZE_FLAGS -fsanitize=${GEMMAC_SANITIZE} -fno-sanitize-recover=all -fno-omit-frame-pointer)
# -Wno-pass-failed: the kernels' vectorize pragmas, which the instrumented
# loops no longer meet, would warn on every file.
add_compile_options(${GEMMAC_SANITIZE_FLAGS} -gline-tables-only -Wno-pass-failed)
add_link_options(${GEMMAC_SANITIZE_FLAGS})
