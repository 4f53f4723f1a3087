# Dependencies of the runtime half: FlatBuffers, sentencepiece, XNNPACK + pthreadpool.
# All come from Debian packages (scripts/setup.sh installs them).
find_package(Threads REQUIRED)
find_package(FlatBuffers CONFIG REQUIRED)
find_program(FLATC_EXECUTABLE flatc REQUIRED)

find_package(PkgConfig REQUIRED)
pkg_check_modules(SENTENCEPIECE REQUIRED IMPORTED_TARGET sentencepiece)

find_path(XNNPACK_INCLUDE_DIR xnnpack.h REQUIRED)
find_library(XNNPACK_LIBRARY NAMES XNNPACK REQUIRED)
find_library(PTHREADPOOL_LIBRARY NAMES pthreadpool REQUIRED)
add_library(gemmac_xnnpack INTERFACE)
target_include_directories(gemmac_xnnpack INTERFACE ${XNNPACK_INCLUDE_DIR})
target_link_libraries(gemmac_xnnpack INTERFACE ${XNNPACK_LIBRARY} ${PTHREADPOOL_LIBRARY} Threads::Threads)
