# Cross-builds the runtime (GEMMAC_BUILD_COMPILER=OFF) for aarch64 Linux with
# clang-22, and runs its tests under qemu-aarch64 (no binfmt needed):
#   scripts/arm64-sysroot.sh
#   cmake -S . -B build-aarch64 -G Ninja -DGEMMAC_BUILD_COMPILER=OFF \
#         -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/aarch64-linux.cmake
# libc and libstdc++ are Debian's cross packages (/usr/aarch64-linux-gnu, found
# by clang's driver for the triple); the other libraries come from the private
# sysroot that scripts/arm64-sysroot.sh unpacks (GEMMAC_ARM64_SYSROOT).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(GEMMAC_AARCH64_TRIPLE aarch64-linux-gnu)

set(CMAKE_C_COMPILER clang-22)
set(CMAKE_CXX_COMPILER clang++-22)
set(CMAKE_C_COMPILER_TARGET ${GEMMAC_AARCH64_TRIPLE})
set(CMAKE_CXX_COMPILER_TARGET ${GEMMAC_AARCH64_TRIPLE})

get_filename_component(_gemmac_root "${CMAKE_CURRENT_LIST_DIR}/../.." ABSOLUTE)
set(GEMMAC_ARM64_SYSROOT "${_gemmac_root}/third_party_cache/arm64-sysroot" CACHE PATH
    "arm64 builds of XNNPACK, pthreadpool, sentencepiece, FlatBuffers, GoogleTest (scripts/arm64-sysroot.sh)")
set(GEMMAC_ARM64_LIBDIR "${GEMMAC_ARM64_SYSROOT}/usr/lib/${GEMMAC_AARCH64_TRIPLE}")
if(NOT EXISTS "${GEMMAC_ARM64_LIBDIR}/libXNNPACK.so")
  message(FATAL_ERROR "no arm64 sysroot in ${GEMMAC_ARM64_SYSROOT}: run scripts/arm64-sysroot.sh")
endif()

# Libraries and headers come from the sysroot and the cross libc only, never
# from the host's /usr; programs (flatc, python) are the host's.
set(CMAKE_FIND_ROOT_PATH "${GEMMAC_ARM64_SYSROOT}" /usr/${GEMMAC_AARCH64_TRIPLE})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
set(ENV{PKG_CONFIG_SYSROOT_DIR} "${GEMMAC_ARM64_SYSROOT}")
set(ENV{PKG_CONFIG_LIBDIR} "${GEMMAC_ARM64_LIBDIR}/pkgconfig")

# lld links for any target; the sysroot's libraries find their own
# dependencies (cpuinfo, protobuf-lite) through rpath-link.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-fuse-ld=lld -Wl,-rpath-link,${GEMMAC_ARM64_LIBDIR}")
set(CMAKE_SHARED_LINKER_FLAGS_INIT "-fuse-ld=lld -Wl,-rpath-link,${GEMMAC_ARM64_LIBDIR}")
set(CMAKE_MODULE_LINKER_FLAGS_INIT "-fuse-ld=lld -Wl,-rpath-link,${GEMMAC_ARM64_LIBDIR}")

# ctest (and gtest_discover_tests) run the binaries under qemu with the cross
# libc and the sysroot's libraries. -cpu max has every extension qemu knows.
set(GEMMAC_QEMU_CPU max CACHE STRING "qemu-aarch64 -cpu model for the tests")
set(CMAKE_CROSSCOMPILING_EMULATOR
    qemu-aarch64 -cpu ${GEMMAC_QEMU_CPU} -L /usr/${GEMMAC_AARCH64_TRIPLE}
    -E LD_LIBRARY_PATH=${GEMMAC_ARM64_LIBDIR})
